package indicator

import (
	"talbar/shared/tally"
	"talbar/shared/unit"
)

// Target is one indicator's official figures for one year, as headquarters entered them. The
// sync protocol and the store carry this type.
type Target struct {
	Indicator string   `json:"indicator"`
	Year      int      `json:"year"`
	Target    *float64 `json:"target"`
	Actual    *float64 `json:"actual,omitempty"` // official count, for coverage indicators
	// Basis says how Target was set (the Basis constants) and BasisYear the year whose figure it
	// grew from; Resolve fills them, the store does not keep them.
	Basis     string `json:"basis,omitempty"`
	BasisYear int    `json:"basis_year,omitempty"`
}

// Baseline is the value an indicator's progress is measured from, and the year it was measured.
type Baseline struct {
	Indicator string  `json:"indicator"`
	Year      int     `json:"year"`
	Value     float64 `json:"value"`
}

// KPI is one indicator judged for a unit and year (GET /kpis, the dashboard, the report).
type KPI struct {
	ID            string   `json:"id"`
	Baseline      float64  `json:"baseline"`
	BaselineYear  int      `json:"baseline_year"`
	Target        *float64 `json:"target"`
	Actual        *float64 `json:"actual"`
	N             int64    `json:"n"`
	Status        string   `json:"status"`
	LowerIsBetter bool     `json:"lower_is_better"`
	// Basis and BasisYear say how the target was set (Target.Basis).
	Basis     string `json:"basis,omitempty"`
	BasisYear int    `json:"basis_year,omitempty"`
	// For a survey share: the answers it needs to be judged (MinAnswers), its 95 % Wilson
	// interval in percent, and for "cannot get information" the "no" and "partly" parts.
	MinAnswers int64    `json:"min_answers,omitempty"`
	CILow      *float64 `json:"ci_low,omitempty"`
	CIHigh     *float64 `json:"ci_high,omitempty"`
	InfoNo     *float64 `json:"info_no,omitempty"`
	InfoPartly *float64 `json:"info_partly,omitempty"`
}

// KPIs is every indicator judged for a unit and year.
type KPIs struct {
	Unit       string `json:"unit"`
	Year       int    `json:"year"`
	Indicators []KPI  `json:"indicators"`
}

// Judge judges every indicator for a unit and year: survey indicators from the unit's totals v,
// coverage indicators from the official figures (national only), their targets as Resolve
// derives them. Baselines entered by headquarters replace the programme's defaults. It is the
// one KPI rule: the API, the dashboard and the report all call it.
func Judge(code string, year int, v tally.Vector, targets []Target, baselines []Baseline) KPIs {
	targets = Resolve(targets, baselines)
	out := KPIs{Unit: code, Year: year, Indicators: []KPI{}}
	for _, in := range All {
		k := KPI{ID: in.ID, Baseline: in.Baseline, BaselineYear: in.BaselineYear, LowerIsBetter: in.LowerIsBetter}
		for _, b := range baselines {
			if b.Indicator == in.ID {
				k.Baseline, k.BaselineYear = b.Value, b.Year
			}
		}
		for _, t := range targets {
			if t.Indicator == in.ID && t.Year == year {
				k.Target, k.Basis, k.BasisYear = t.Target, t.Basis, t.BasisYear
				if !in.Percent && code == string(unit.Nation) {
					k.Actual = t.Actual
				}
			}
		}
		if in.Percent {
			k.Actual, k.N = Measure(in.ID, v)
			k.MinAnswers = MinAnswers
			if num, n, _ := count(in.ID, v); n > 0 {
				lo, hi := Wilson(num, n)
				k.CILow, k.CIHigh = &lo, &hi
			}
			if in.ID == CannotGetInfoPct {
				k.InfoNo, k.InfoPartly = InfoSplit(v)
			}
		} else if code != string(unit.Nation) {
			k.Target, k.Basis, k.BasisYear = nil, "", 0 // official coverage targets are national
		}
		k.Status = in.Status(k.Actual, k.Target, k.N)
		out.Indicators = append(out.Indicators, k)
	}
	return out
}
