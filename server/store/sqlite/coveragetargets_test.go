package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// A store created before coverage targets were derived holds the seeded compound defaults for
// 2019-2022. Migration 0013 drops them (indicator.Resolve derives them from the baseline and
// the official actuals), keeps an actual headquarters entered, and keeps a target it typed.
func TestUpgradeCoverageTargets(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db := openAt(t, path)
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO targets (indicator, year, target, actual) VALUES ('mandatory_insured', 2019, 659015, 662214),
			('mandatory_insured', 2020, 678786, NULL), ('mandatory_insured', 2021, 700000, NULL),
			('voluntary_insured', 2022, 284649, NULL)`,
		`DELETE FROM migrations WHERE name = 'migrations/0013_coverage_targets.sql'`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	db = openAt(t, path)
	defer db.Close()
	ts, err := db.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, x := range ts {
		if x.Indicator == "mandatory_insured" || x.Indicator == "voluntary_insured" {
			s := "target=nil"
			if x.Target != nil {
				s = fmt.Sprint("target=", *x.Target)
			}
			if x.Actual != nil {
				s += fmt.Sprint(" actual=", *x.Actual)
			}
			got[fmt.Sprint(x.Indicator[:1], x.Year)] = s
		}
	}
	want := map[string]string{"m2019": "target=nil actual=662214", "m2021": "target=700000"}
	if len(got) != len(want) || got["m2019"] != want["m2019"] || got["m2021"] != want["m2021"] {
		t.Fatalf("coverage rows after the upgrade: %v, want %v", got, want)
	}
	for _, x := range ts {
		if x.Indicator == "satisfaction_pct" && x.Year == 2022 && (x.Target == nil || *x.Target != 90) {
			t.Fatalf("survey target lost: %+v", x)
		}
	}
}
