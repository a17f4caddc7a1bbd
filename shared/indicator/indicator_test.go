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
	if got := info.Status(nil, nil); got != indicator.StatusNoData {
		t.Errorf("status=%s", got)
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
