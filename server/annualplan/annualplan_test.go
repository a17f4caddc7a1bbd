package annualplan

import (
	"strconv"
	"strings"
	"testing"

	"talbar/assets"
	"talbar/shared/tally"
	"talbar/shared/unit"
)

// TestAnnex1 checks the catalogue against Annex 1's table: 23 activities, and the levels and
// years the review found the plan page ignoring.
func TestAnnex1(t *testing.T) {
	if len(Activities) != 23 {
		t.Fatalf("%d activities, want 23", len(Activities))
	}
	for _, c := range []struct {
		id       string
		l        Level
		year     int
		why      string
		recorded bool
	}{
		{"1.2", Local, 2020, "level", true}, {"1.2", Central, 2020, "", true},
		{"1.6", Central, 2019, "year", false}, {"1.6", Central, 2021, "", false},
		{"2.6", Central, 2021, "year", false}, {"2.7", Central, 2020, "", false}, {"2.10", Central, 2022, "year", false},
		{"3.2", Local, 2021, "year", false}, {"3.2", Local, 2022, "", false}, {"3.6", Capital, 2020, "", false},
		{"3.5", Local, 2020, "level", false}, {"3.5", Capital, 2020, "", false},
		{"2.9", Local, 2026, "", true}, {"2.4", Local, 2021, "", true}, {"2.5", Local, 2021, "", true}, {"2.6", Central, 2026, "year", false}, {"1.5", Local, 2018, "year", true},
	} {
		a, ok := Find(c.id)
		if !ok {
			t.Fatalf("no activity %s", c.id)
		}
		if got := a.Why(c.l, c.year); got != c.why || a.Recorded != c.recorded {
			t.Errorf("%s at %s in %d: %q recorded %v, want %q %v", c.id, c.l, c.year, got, a.Recorded, c.why, c.recorded)
		}
	}
}

func TestLevelOfAndCheck(t *testing.T) {
	tree, err := unit.Parse(strings.NewReader(string(assets.UnitsCSV())))
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[string]Level{"MN": Central, "MN-1": Capital, "MN-073": Local} {
		if l, ok := LevelOf(tree, code); !ok || l != want {
			t.Errorf("LevelOf(%s) = %s %v, want %s", code, l, ok, want)
		}
	}
	if _, ok := LevelOf(tree, "MN6501"); ok {
		t.Error("a soum plans")
	}
	us := Units(tree)
	if us[0] != "MN" || us[1] != "MN-1" || len(us) != 1+1+9+21 {
		t.Errorf("plan units: %d, %v", len(us), us[:3])
	}
	neg := int64(-5)
	probs := Check(Local, 2021, []Item{{Activity: "1.5", H1: 3, H2: -1}, {Activity: "1.2", H1: 1}, {Activity: "9.9", H1: 1},
		{Activity: "2.1", H1: 10, Funding: "lottery", CostMNT: &neg}, {Activity: "2.1", H1: 1}, {Activity: "1.3"}})
	var got []string
	for _, p := range probs {
		got = append(got, p.Activity+"/"+p.Field+"/"+p.Key)
	}
	want := "1.5/h2/plan.err.quantity 1.2/activity/plan.err.not_in_annex_level 9.9/activity/plan.err.activity_unknown " +
		"2.1/funding/plan.err.funding 2.1/cost_mnt/plan.err.cost 2.1/activity/plan.err.activity_twice"
	if strings.Join(got, " ") != want {
		t.Errorf("problems:\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
}

func TestParseWhole(t *testing.T) {
	for in, want := range map[string]string{"12": "12", " 1 200 ": "1200", "1,200": "1200", "1.200.000": "1200000", "12.0": "12",
		"1\u00a0000": "1000", "": "nil"} {
		n, key := ParseWhole(in)
		got := "nil"
		if n != nil {
			got = strconv.FormatInt(*n, 10)
		}
		if got != want || key != "" {
			t.Errorf("ParseWhole(%q) = %s %q, want %s", in, got, key, want)
		}
	}
	for in, want := range map[string]string{"12,5": "plan.err.whole", "abc": "plan.err.whole", "-3": "plan.err.negative",
		"Inf": "plan.err.whole", "0x10": "plan.err.whole", "1e400": "plan.err.whole"} {
		if n, key := ParseWhole(in); n != nil || key != want {
			t.Errorf("ParseWhole(%q) = %v %q, want %q", in, n, key, want)
		}
	}
}

// TestDoneOfNewKinds: the kinds of issue 14 count where docs/plans.md says: 2.4 the lectures,
// 2.5 the broadcasts (a series says how many), 1.5 open days, mobile services and market days;
// every metric named exists (Get panics on an unknown one) and every recorded activity but 2.9
// has a done figure.
func TestDoneOfNewKinds(t *testing.T) {
	v := tally.New()
	for k, n := range map[string]int64{"events.lecture": 3, "events.workplace_talk": 2, "broadcasts": 5, "events.broadcast": 2,
		"events.open_day": 1, "events.mobile_service": 4, "events.market_day": 2, "reached": 70, "surveys": 9} {
		v[tally.Index[k]] = n
	}
	for id, want := range map[string]int64{"2.4": 3, "2.5": 5, "1.5": 7, "2.1": 70, "1.1": 9} {
		if got, ok := Done(id, v); !ok || got != want {
			t.Errorf("done of %s = %d (%v), want %d", id, got, ok, want)
		}
	}
	for _, a := range Activities {
		if _, ok := DoneMetrics[a.ID]; a.Recorded != ok && a.ID != "2.9" {
			t.Errorf("%s: recorded %v but done metrics %v", a.ID, a.Recorded, ok)
		}
	}
	if _, ok := Done("3.5", v); ok {
		t.Error("3.5 has a done figure")
	}
}
