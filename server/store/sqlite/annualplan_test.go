package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"talbar/server/annualplan"
	"talbar/server/store"
)

// TestAnnualPlanVersions: a plan saved, changed and emptied keeps every version with who made
// it and what each line was before and after; a save over a stale version is refused; a save
// that changes nothing makes no version; the plan outlives a reopen of the file.
func TestAnnualPlanVersions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	db := openAt(t, path)
	p, err := db.AnnualPlan(ctx, "MN-073", 2026)
	if err != nil || p.Version != 0 || len(p.Items) != 0 {
		t.Fatalf("plan never entered: %+v %v", p, err)
	}
	cost := int64(1_500_000)
	v1 := []annualplan.Item{{Activity: "2.1", H1: 400, H2: 600}, {Activity: "1.5", H1: 4, H2: 4, Funding: "si_budget", CostMNT: &cost}}
	if v, err := db.SaveAnnualPlan(ctx, "MN-073", 2026, v1, "arkhangai", "form", 0); err != nil || v != 1 {
		t.Fatalf("first save: %d %v", v, err)
	}
	if v, err := db.SaveAnnualPlan(ctx, "MN-073", 2026, v1, "arkhangai", "form", 1); err != nil || v != 1 {
		t.Fatalf("save with no change: version %d, %v; want 1", v, err)
	}
	if _, err := db.SaveAnnualPlan(ctx, "MN-073", 2026, nil, "hq", "form", 0); !errors.Is(err, store.ErrStaleVersion) {
		t.Fatalf("save over version 0 when 1 is current: %v, want ErrStaleVersion", err)
	}
	v2 := []annualplan.Item{{Activity: "1.5", H1: 5, H2: 4, Funding: "si_budget", CostMNT: &cost}, {Activity: "2.9", H1: 1, H2: 1}, {Activity: "3.3"}}
	if v, err := db.SaveAnnualPlan(ctx, "MN-073", 2026, v2, "hq", "xlsx", 1); err != nil || v != 2 {
		t.Fatalf("second save: %d %v", v, err)
	}
	db.Close()
	db = openAt(t, path)
	defer db.Close()
	p, err = db.AnnualPlan(ctx, "MN-073", 2026)
	if err != nil || p.Version != 2 || p.By != "hq" || len(p.Items) != 2 || p.Items[0].Activity != "1.5" || p.Items[0].H1 != 5 ||
		p.Items[0].CostMNT == nil || *p.Items[0].CostMNT != cost || p.Items[1].Activity != "2.9" {
		t.Fatalf("plan after reopen: %+v %v", p, err)
	}
	h, err := db.AnnualPlanHistory(ctx, "MN-073", 2026, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Version 2: 1.5 changed, 2.1 removed, 2.9 added (Annex order); version 1: 1.5 and 2.1 added.
	want := []struct {
		v        int
		act, by  string
		had, has bool
	}{{2, "1.5", "hq", true, true}, {2, "2.1", "hq", true, false}, {2, "2.9", "hq", false, true},
		{1, "1.5", "arkhangai", false, true}, {1, "2.1", "arkhangai", false, true}}
	if len(h) != len(want) {
		t.Fatalf("history: %+v", h)
	}
	for i, w := range want {
		c := h[i]
		if c.Version != w.v || c.Activity != w.act || c.By != w.by || (c.Before != nil) != w.had || (c.After != nil) != w.has {
			t.Errorf("history[%d] = v%d %s by %s before %v after %v, want %+v", i, c.Version, c.Activity, c.By, c.Before, c.After, w)
		}
	}
	if h[0].Before.H1 != 4 || h[0].After.H1 != 5 || h[0].Source != "xlsx" {
		t.Errorf("1.5's change: %+v → %+v (%s)", h[0].Before, h[0].After, h[0].Source)
	}
	all, err := db.AnnualPlansOfYear(ctx, 2026)
	if err != nil || len(all) != 1 || len(all["MN-073"]) != 2 {
		t.Fatalf("plans of 2026: %v %v", all, err)
	}
}
