package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"talbar/server/store/storetest"
)

// TestTotalsColumns: each totals column holds the metric tally.Metrics puts at its position.
func TestTotalsColumns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	openAt(t, path).Close()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT name FROM pragma_table_info('totals')`)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for rows.Next() {
		var c string
		rows.Scan(&c)
		cols = append(cols, c)
	}
	storetest.CheckTotalsColumns(t, "migrations", cols)
}
