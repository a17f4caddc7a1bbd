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

// MinAnswers is how many survey answers a unit's share needs before it is judged met or not
// met: with 100 answers a share near 30 % is known to about ±9 percentage points (95 %),
// already wider than a year's step of the programme's targets (5 points), so fewer would judge
// noise (docs/indicators.md).
const MinAnswers = 100

// Wilson is the 95 % Wilson score interval, in percent rounded to one decimal, of k answers
// out of n. Unlike the normal approximation it stays inside 0–100 and is honest for shares
// near 0 or 100 and for small n, which unit-level surveys often are (docs/indicators.md).
func Wilson(k, n int64) (lo, hi float64) {
	if n <= 0 {
		return 0, 0
	}
	const z = 1.959964
	p, nf := float64(k)/float64(n), float64(n)
	d := 1 + z*z/nf
	c := (p + z*z/(2*nf)) / d
	h := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / d
	round := func(x float64) float64 { return math.Round(math.Min(math.Max(x, 0), 1)*1000) / 10 }
	return round(c - h), round(c + h)
}

// Status of an actual value against its target.
const (
	StatusMet    = "met"
	StatusNotMet = "not_met"
	StatusNoData = "no_data"
	// StatusNoTarget: there is an actual but no target for its year (after the programme, until
	// headquarters enters one). It is not "no data".
	StatusNoTarget = "no_target"
	// StatusTooFew: a survey share from fewer than MinAnswers answers is not judged.
	StatusTooFew = "too_few"
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

// Growth is the yearly rise in percent Annex 2 asks of a coverage indicator; false for a
// survey indicator.
func Growth(id string) (int64, bool) {
	g, ok := growthPct[id]
	return g, ok
}

// pctTargets are the survey indicators' published targets per year.
var pctTargets = map[string]map[int]float64{
	CannotGetInfoPct: {2019: 30, 2020: 25, 2021: 20, 2022: 15},
	SatisfactionPct:  {2019: 75, 2020: 80, 2021: 85, 2022: 90},
}

// DefaultTarget returns the programme's target for id in year as it reads with no official
// actual entered, and false outside 2019-2022: coverage targets compound on the previous year's
// target from the programme's baseline (Resolve anchors them on actuals once entered).
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
	v := in.Baseline
	for y := 2019; y <= year; y++ {
		v = grow(v, growthPct[id])
	}
	return v, true
}

// Meets reports whether actual reaches target; lower is better for "cannot get information".
func (in Indicator) Meets(actual, target float64) bool {
	if in.LowerIsBetter {
		return actual <= target
	}
	return actual >= target
}

// Status judges a measured value: no actual is no data, an actual without a target is no
// target, and a survey share from fewer than MinAnswers answers is too few to judge.
func (in Indicator) Status(actual *float64, target *float64, n int64) string {
	switch {
	case actual == nil:
		return StatusNoData
	case target == nil:
		return StatusNoTarget
	case in.Percent && n < MinAnswers:
		return StatusTooFew
	case in.Meets(*actual, *target):
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
	num, n, ok := count(id, v)
	if !ok || n == 0 {
		return nil, n
	}
	p := math.Round(float64(num)*1000/float64(n)) / 10
	return &p, n
}

// count is how many of a survey indicator's n answers it counts; false for a coverage indicator.
func count(id string, v tally.Vector) (num, n int64, ok bool) {
	n = v.Get("surveys")
	switch id {
	case CannotGetInfoPct:
		return v.Get("info_no") + v.Get("info_partly"), n, true
	case SatisfactionPct:
		return v.Get("satisfied"), n, true
	}
	return 0, n, false
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
