// Package indicator holds the programme's four key performance indicators (DOMAIN.md, Annex 2):
// their baselines, the default yearly targets of the 2019-2022 programme, and the rules that
// measure a value from survey totals and judge it against a target. Headquarters may replace any
// year's figures in the store; these defaults only seed it.
package indicator

import (
	"math"

	"talbar/shared/tally"
)

// Indicator ids on the wire.
const (
	MandatoryInsured = "mandatory_insured"
	VoluntaryInsured = "voluntary_insured"
	CannotGetInfoPct = "cannot_get_info_pct"
	SatisfactionPct  = "satisfaction_pct"
)

// MinAnswers is how many survey answers a unit's share needs before the dashboard judges it
// met or not met: with 100 answers a share near 30 % is known to about ±9 percentage points
// (95 %), already wider than a year's step of the programme's targets (5 points), so fewer
// would judge noise (docs/indicators.md).
const MinAnswers = 100

// MarginPct is the 95 % margin of error, in percentage points, of a share pct (0–100) measured
// from n answers (the normal approximation, 1.96·√(p(1−p)/n)), rounded to one decimal.
func MarginPct(pct float64, n int64) float64 {
	if n <= 0 {
		return 0
	}
	p := pct / 100
	return math.Round(1960*math.Sqrt(p*(1-p)/float64(n))) / 10
}

// Status of an actual value against its target.
const (
	StatusMet    = "met"
	StatusNotMet = "not_met"
	StatusNoData = "no_data"
)

// Indicator describes one KPI.
type Indicator struct {
	ID            string
	NameMN        string
	NameEN        string
	Baseline      float64
	BaselineYear  int
	Percent       bool // measured from surveys as a percentage; otherwise an official count
	LowerIsBetter bool // "cannot get information": a fall is progress
}

// All lists the four indicators in the programme's order.
var All = []Indicator{
	{MandatoryInsured, "Албан журмын даатгуулагчдын тоо", "Mandatorily insured persons", 639820, 2018, false, false},
	{VoluntaryInsured, "Сайн дурын даатгуулагчдын тоо", "Voluntarily insured persons", 194418, 2018, false, false},
	{CannotGetInfoPct, "Мэдээлэл авч чадахгүй иргэдийн хувь", "Share who cannot get enough information", 35, 2017, true, true},
	{SatisfactionPct, "Үйлчлүүлэгчийн сэтгэл ханамжийн түвшин", "Customer satisfaction", 70, 2017, true, false},
}

// ByID returns the indicator with id.
func ByID(id string) (Indicator, bool) {
	for _, in := range All {
		if in.ID == id {
			return in, true
		}
	}
	return Indicator{}, false
}

// ProgrammeYears are the years of the 2019-2022 programme.
var ProgrammeYears = []int{2019, 2020, 2021, 2022}

// growthPct is the yearly rise the programme asks of each coverage indicator.
var growthPct = map[string]int64{MandatoryInsured: 3, VoluntaryInsured: 10}

// pctTargets are the survey indicators' published targets per year.
var pctTargets = map[string]map[int]float64{
	CannotGetInfoPct: {2019: 30, 2020: 25, 2021: 20, 2022: 15},
	SatisfactionPct:  {2019: 75, 2020: 80, 2021: 85, 2022: 90},
}

// DefaultTarget returns the programme's target for id in year, and false outside 2019-2022.
// Coverage targets compound on the previous year's target and round up, in integer arithmetic so
// that 639,820 × 1.03 is exactly 659,015 rather than a float's guess.
func DefaultTarget(id string, year int) (float64, bool) {
	if year < 2019 || year > 2022 {
		return 0, false
	}
	in, ok := ByID(id)
	if !ok {
		return 0, false
	}
	if in.Percent {
		t, ok := pctTargets[id][year]
		return t, ok
	}
	g := growthPct[id]
	v := int64(in.Baseline)
	for y := 2019; y <= year; y++ {
		v = (v*(100+g) + 99) / 100
	}
	return float64(v), true
}

// Meets reports whether actual reaches target; lower is better for "cannot get information".
func (in Indicator) Meets(actual, target float64) bool {
	if in.LowerIsBetter {
		return actual <= target
	}
	return actual >= target
}

// Status judges a measured value; a nil actual or a missing target is no data.
func (in Indicator) Status(actual *float64, target *float64) string {
	if actual == nil || target == nil {
		return StatusNoData
	}
	if in.Meets(*actual, *target) {
		return StatusMet
	}
	return StatusNotMet
}

// Measure computes a survey indicator from totals: the percentage, rounded to one decimal, and the
// number of responses it rests on. It returns nil for no responses or a coverage indicator.
//
// "Cannot get enough information" counts the answers "no" and "partly": Annex 2 (seed l.461)
// measures the share who "cannot get *sufficient* information" ("хангалттай мэдээлэл авч
// чаддаггүй"), and someone who gets it only partly does not get enough. InfoSplit gives the
// two parts, which pages show beside the figure (docs/indicators.md).
func Measure(id string, v tally.Vector) (actual *float64, n int64) {
	n = v.Get("surveys")
	if n == 0 {
		return nil, 0
	}
	var num int64
	switch id {
	case CannotGetInfoPct:
		num = v.Get("info_no") + v.Get("info_partly")
	case SatisfactionPct:
		num = v.Get("satisfied")
	default:
		return nil, n
	}
	p := math.Round(float64(num)*1000/float64(n)) / 10
	return &p, n
}

// InfoSplit is the share answering "no" and the share answering "partly" to the information
// question, each rounded to one decimal; nil without responses.
func InfoSplit(v tally.Vector) (no, partly *float64) {
	n := v.Get("surveys")
	if n == 0 {
		return nil, nil
	}
	share := func(k string) *float64 {
		p := math.Round(float64(v.Get(k))*1000/float64(n)) / 10
		return &p
	}
	return share("info_no"), share("info_partly")
}
