package indicator_test

import (
	"testing"

	"talbar/shared/indicator"
	"talbar/shared/tally"
)

func TestDefaultTargetsCompoundAndRoundUp(t *testing.T) {
	for _, tc := range []struct {
		id   string
		year int
		want float64
	}{
		{indicator.MandatoryInsured, 2019, 659015},
		{indicator.VoluntaryInsured, 2019, 213860},
		{indicator.MandatoryInsured, 2020, 678786}, // 659,015 × 1.03 = 678,785.45 ↑
		{indicator.VoluntaryInsured, 2020, 235246}, // 213,860 × 1.10 = 235,246
		{indicator.CannotGetInfoPct, 2021, 20},
		{indicator.SatisfactionPct, 2022, 90},
	} {
		got, ok := indicator.DefaultTarget(tc.id, tc.year)
		if !ok || got != tc.want {
			t.Errorf("%s %d = %v, want %v", tc.id, tc.year, got, tc.want)
		}
	}
	if _, ok := indicator.DefaultTarget(indicator.MandatoryInsured, 2023); ok {
		t.Error("2023 has no programme target")
	}
}

func TestMeetsLowerIsBetter(t *testing.T) {
	info, _ := indicator.ByID(indicator.CannotGetInfoPct)
	sat, _ := indicator.ByID(indicator.SatisfactionPct)
	if !info.Meets(28, 30) || info.Meets(31, 30) {
		t.Error("cannot-get-info: lower should be better")
	}
	if !sat.Meets(76, 75) || sat.Meets(74.9, 75) {
		t.Error("satisfaction: higher should be better")
	}
	thirty, fifty := 30.0, 50.0
	for _, tc := range []struct {
		in             indicator.Indicator
		actual, target *float64
		n              int64
		want           string
	}{
		{info, nil, &thirty, 0, indicator.StatusNoData},
		{info, &fifty, nil, 500, indicator.StatusNoTarget},
		{info, &fifty, &thirty, indicator.MinAnswers - 1, indicator.StatusTooFew},
		{info, &fifty, &thirty, indicator.MinAnswers, indicator.StatusNotMet},
		{sat, &fifty, &thirty, indicator.MinAnswers, indicator.StatusMet},
	} {
		if got := tc.in.Status(tc.actual, tc.target, tc.n); got != tc.want {
			t.Errorf("%s status(%v, %v, n=%d) = %s, want %s", tc.in.ID, tc.actual, tc.target, tc.n, got, tc.want)
		}
	}
	// A coverage count is official, not a sample: no minimum.
	mand, _ := indicator.ByID(indicator.MandatoryInsured)
	if got := mand.Status(&fifty, &thirty, 0); got != indicator.StatusMet {
		t.Errorf("coverage status %s", got)
	}
}

// TestWilson: the 95 % Wilson interval of published cases, and bounds that stay inside 0-100.
func TestWilson(t *testing.T) {
	for _, tc := range []struct {
		k, n   int64
		lo, hi float64
	}{
		{30, 100, 21.9, 39.6},
		{0, 10, 0, 27.8},
		{10, 10, 72.2, 100},
		{60, 120, 41.2, 58.8},
	} {
		if lo, hi := indicator.Wilson(tc.k, tc.n); lo != tc.lo || hi != tc.hi {
			t.Errorf("Wilson(%d, %d) = %v–%v, want %v–%v", tc.k, tc.n, lo, hi, tc.lo, tc.hi)
		}
	}
}

func find(ts []indicator.Target, id string, year int) indicator.Target {
	for _, t := range ts {
		if t.Indicator == id && t.Year == year {
			return t
		}
	}
	return indicator.Target{}
}

func num(t indicator.Target) float64 {
	if t.Target == nil {
		return -1
	}
	return *t.Target
}

// TestResolveCoverageTargets: Annex 2 (l.459-460) grows 2019 on the baseline and each later year
// on the previous year ("2019 оноос"): on its official actual once entered, else on its target;
// a new baseline or actual recomputes every later year; a typed target is kept.
func TestResolveCoverageTargets(t *testing.T) {
	m := indicator.MandatoryInsured
	ts := indicator.Resolve(nil, nil)
	for y := 2019; y <= 2022; y++ {
		want, _ := indicator.DefaultTarget(m, y)
		if got := find(ts, m, y); num(got) != want {
			t.Errorf("no actuals: %d = %v, want %v", y, num(got), want)
		}
	}
	if got := find(ts, m, 2019); got.Basis != indicator.BasisBaseline || got.BasisYear != 2018 {
		t.Errorf("2019 basis %s %d", got.Basis, got.BasisYear)
	}
	if got := find(ts, m, 2020); got.Basis != indicator.BasisTarget || got.BasisYear != 2019 {
		t.Errorf("2020 basis without an actual: %s %d", got.Basis, got.BasisYear)
	}
	// The review's case: the 2019 actual 662 214 makes 2020 ≥ 662 214 × 1.03 = 682 080.42 ↑.
	a2019 := 662214.0
	ts = indicator.Resolve([]indicator.Target{{Indicator: m, Year: 2019, Actual: &a2019}}, nil)
	if got := find(ts, m, 2020); num(got) != 682081 || got.Basis != indicator.BasisActual || got.BasisYear != 2019 {
		t.Errorf("2020 on the 2019 actual: %v %s %d", num(got), got.Basis, got.BasisYear)
	}
	if got := find(ts, m, 2021); num(got) != 702544 || got.Basis != indicator.BasisTarget {
		t.Errorf("2021 on the 2020 target: %v %s", num(got), got.Basis) // 682 081 × 1.03 = 702 543.43 ↑
	}
	if got := find(ts, m, 2019); num(got) != 659015 {
		t.Errorf("2019 keeps growing on the baseline: %v", num(got))
	}
	// A corrected baseline recomputes 2019 and the years that grow from it.
	ts = indicator.Resolve(nil, []indicator.Baseline{{Indicator: m, Year: 2018, Value: 650000}})
	if got := find(ts, m, 2019); num(got) != 669500 {
		t.Errorf("2019 on a new baseline: %v", num(got))
	}
	if got := find(ts, m, 2020); num(got) != 689585 {
		t.Errorf("2020 on the new 2019 target: %v", num(got))
	}
	// A typed target is kept, and the next year grows from it.
	typed := 700000.0
	ts = indicator.Resolve([]indicator.Target{{Indicator: m, Year: 2021, Target: &typed}}, nil)
	if got := find(ts, m, 2021); num(got) != 700000 || got.Basis != indicator.BasisEntered {
		t.Errorf("typed 2021: %v %s", num(got), got.Basis)
	}
	if got := find(ts, m, 2022); num(got) != 721000 || got.BasisYear != 2021 {
		t.Errorf("2022 on the typed 2021: %v %d", num(got), got.BasisYear)
	}
	// Resolving twice changes nothing; survey targets keep the programme's figure.
	again := indicator.Resolve(ts, nil)
	if len(again) != len(ts) || num(find(again, m, 2020)) != num(find(ts, m, 2020)) || find(again, m, 2020).Basis != find(ts, m, 2020).Basis {
		t.Errorf("resolve twice: %+v", again)
	}
	thirty := 30.0
	ts = indicator.Resolve([]indicator.Target{{Indicator: indicator.CannotGetInfoPct, Year: 2019, Target: &thirty}}, nil)
	if got := find(ts, indicator.CannotGetInfoPct, 2019); got.Basis != indicator.BasisProgramme {
		t.Errorf("survey target basis %s", got.Basis)
	}
	// A new programme's baseline (2022) leaves 2019-2022 on this programme's own baseline.
	ts = indicator.Resolve(nil, []indicator.Baseline{{Indicator: m, Year: 2022, Value: 720000}})
	if got := find(ts, m, 2019); num(got) != 659015 || got.BasisYear != 2018 {
		t.Errorf("2019 beside a new programme's 2022 baseline: %v (%d)", num(got), got.BasisYear)
	}
}

func TestMeasure(t *testing.T) {
	v := tally.New()
	v[tally.Index["surveys"]] = 3
	v[tally.Index["info_no"]] = 1
	v[tally.Index["info_partly"]] = 1
	v[tally.Index["satisfied"]] = 2
	// "Cannot get sufficient information" (Annex 2, seed l.461) is "no" and "partly".
	a, n := indicator.Measure(indicator.CannotGetInfoPct, v)
	if a == nil || *a != 66.7 || n != 3 {
		t.Fatalf("actual=%v n=%d, want 66.7 (no and partly) of 3", a, n)
	}
	no, partly := indicator.InfoSplit(v)
	if no == nil || *no != 33.3 || partly == nil || *partly != 33.3 {
		t.Fatalf("split: no %v partly %v", no, partly)
	}
	a, _ = indicator.Measure(indicator.SatisfactionPct, v)
	if *a != 66.7 {
		t.Fatalf("satisfaction=%v", *a)
	}
	if a, _ := indicator.Measure(indicator.SatisfactionPct, tally.New()); a != nil {
		t.Fatal("no responses should be no data")
	}
}
