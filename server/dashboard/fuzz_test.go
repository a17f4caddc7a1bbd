package dashboard

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzFormParsers feeds the dashboard's parsers of typed and linked input: the sign-in redirect
// (safeNext), figures typed into the indicators forms (optionalNumber), the period of a link
// (ParsePeriod) and the CSV cell writer (safeText, csvField). None may panic; a redirect stays a
// printable same-site path; a figure is finite and not negative; a CSV cell reads back as one
// field that no spreadsheet runs as a formula.
func FuzzFormParsers(f *testing.F) {
	for _, s := range []string{"/dashboard/", "/dashboard/\r\nSet-Cookie: x=1", "//evil.example/", "/dashboard/\\evil",
		"https://evil.example/", "1 234,5", "1e308", "1e309", "NaN", "-1", "0x1p3", "h1", "q4", "Bazaar;=1+1;",
		"  =1+1", "\t=cmd", "a\"b", "x,\n-y", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n := safeNext(s); n != s && n != Prefix+"/" || !strings.HasPrefix(n, Prefix+"/") || strings.HasPrefix(n, "//") ||
			strings.ContainsAny(n, "\r\n\\ ") {
			t.Fatalf("safeNext(%q)=%q", s, n)
		}
		if v, err := optionalNumber(s); err == nil && v != nil && (math.IsInf(*v, 0) || math.IsNaN(*v) || *v < 0) {
			t.Fatalf("optionalNumber(%q)=%v", s, *v)
		}
		ParsePeriod(s)
		if !utf8.ValidString(s) || strings.ContainsRune(s, '\r') {
			return // cells come from validated text, where a CR cannot stand alone in a round trip
		}
		var b bytes.Buffer
		w := bufio.NewWriter(&b)
		csvField(w, safeText(s))
		w.WriteString(",x\r\n")
		w.Flush()
		rows, err := csv.NewReader(&b).ReadAll()
		if err != nil || len(rows) != 1 || len(rows[0]) != 2 {
			t.Fatalf("cell %q does not read back as one field: %q %v", s, rows, err)
		}
		cell := rows[0][0]
		for _, seg := range strings.FieldsFunc(cell, func(r rune) bool { return r == ';' || r == ',' }) {
			if t2 := strings.TrimLeft(seg, " "); t2 != "" && strings.ContainsRune("=+-@\t", rune(t2[0])) {
				t.Fatalf("cell %q holds a formula start %q", cell, seg)
			}
		}
		if strings.ReplaceAll(cell, "'", "") != strings.ReplaceAll(s, "'", "") {
			t.Fatalf("cell %q changed the text %q beyond quotes", cell, s)
		}
	})
}
