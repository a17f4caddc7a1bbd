package storetest

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"

	"talbar/shared/tally"
)

// totalsColumn matches a totals column with its metric in a migration: "m05 ... -- reached.herders".
var totalsColumn = regexp.MustCompile(`(?m)\bm(\d\d)\s+(?:INTEGER|bigint|BIGINT|integer)\b[^\n]*--\s*(\S+)`)

// CheckTotalsColumns reads a backend's migrations (dir/*.sql) and checks that its totals columns
// are exactly m00..mNN, each named in a comment with the metric tally.Metrics puts at that
// position, and that live (the columns of a real store's totals table) holds every one of them.
func CheckTotalsColumns(t *testing.T, dir string, live []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations in %s: %v", dir, err)
	}
	sort.Strings(files)
	named := map[int]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range totalsColumn.FindAllStringSubmatch(string(b), -1) {
			n, _ := strconv.Atoi(m[1])
			if prev, ok := named[n]; ok {
				t.Errorf("%s: column m%02d declared twice (%s, %s)", f, n, prev, m[2])
			}
			named[n] = m[2]
		}
	}
	for i, name := range tally.Metrics {
		if named[i] != name {
			t.Errorf("column m%02d holds %q in the migrations, tally.Metrics[%d] is %q", i, named[i], i, name)
		}
	}
	if len(named) != tally.N {
		t.Errorf("migrations declare %d totals columns, tally has %d metrics", len(named), tally.N)
	}
	have := map[string]bool{}
	for _, c := range live {
		have[c] = true
	}
	for i := range tally.Metrics {
		if c := "m" + strconv.Itoa(i/10) + strconv.Itoa(i%10); !have[c] {
			t.Errorf("the live totals table has no column %s", c)
		}
	}
}
