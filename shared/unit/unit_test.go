package unit_test

import (
	"strings"
	"testing"

	"talbar/shared/unit"
)

const sample = `code,parent,level,name_mn,name_en,lat,lon
MN,,nation,Монгол Улс,Mongolia,47.9,107.0
MN-1,MN,capital,Улаанбаатар,Ulaanbaatar,47.9,107.0
MN1101,MN-1,district,Багануур,Baganuur,47.7,108.3
MN-073,MN,aimag,Архангай,Arkhangai,47.4,101.4
MN6501,MN-073,soum,Эрдэнэбулган,Erdenebulgan,,
`

func TestParse(t *testing.T) {
	tr, err := unit.Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(tr.All()), 5; got != want {
		t.Fatalf("units=%d, want %d", got, want)
	}
	if !tr.IsLeaf("MN6501") || tr.IsLeaf("MN-073") || tr.IsLeaf("nope") {
		t.Fatal("IsLeaf wrong")
	}
	if got := tr.Division("MN6501"); got != "MN-073" {
		t.Fatalf("Division=%s", got)
	}
	if !tr.Contains("MN", "MN1101") || tr.Contains("MN-073", "MN1101") {
		t.Fatal("Contains wrong")
	}
	if got := tr.Leaves("MN"); len(got) != 2 {
		t.Fatalf("Leaves=%v", got)
	}
}

func TestParseRejectsMissingParent(t *testing.T) {
	_, err := unit.Parse(strings.NewReader("code,parent,level,name_mn,name_en\nMN6501,MN-073,soum,a,b\n"))
	if err == nil || !strings.Contains(err.Error(), "parent MN-073 not found") {
		t.Fatalf("err=%v", err)
	}
}
