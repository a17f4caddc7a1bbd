// Package annualplan is the programme's activity plan (Annex 1 of order A/21) as data — each
// activity's levels, years and the measure a division plans it in — and the rules a division's
// annual plan must follow: which activities a unit may plan in a year, what a planned quantity,
// a funding source and a cost may be. The store keeps plans; the dashboard shows them beside
// what the field app recorded.
package annualplan

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"talbar/shared/tally"
	"talbar/shared/unit"
)

// Level is where Annex 1 carries out an activity: Т (Төв, headquarters), Н (Нийслэл, the
// capital department) or О (Орон нутаг, the aimag and district divisions).
type Level string

// The three levels of Annex 1.
const (
	Central Level = "central"
	Capital Level = "capital"
	Local   Level = "local"
)

// Levels in Annex 1's column order.
var Levels = []Level{Central, Capital, Local}

// Measure is what an activity's planned quantity counts, from its Annex 1 indicator
// ("шалгуур үзүүлэлт"); the dashboard's catalogue words it as plan.measure.<code>.
type Measure string

// Measures of the activities.
const (
	Responses     Measure = "responses"      // survey responses
	Materials     Measure = "materials"      // information materials handed out
	Contracts     Measure = "contracts"      // voluntary-insurance contracts signed
	Events        Measure = "events"         // events held
	Reached       Measure = "reached"        // people reached
	PartnerEvents Measure = "partner_events" // events held with labour, welfare or youth bodies
	Works         Measure = "works"          // pieces of work done ("хэрэгжүүлсэн ажлын тоо")
	Reports       Measure = "reports"        // reports issued
	Publications  Measure = "publications"   // articles and posts published
	Broadcasts    Measure = "broadcasts"     // TV and radio programmes
	Meetings      Measure = "meetings"       // meetings and discussions held
	Proposals     Measure = "proposals"      // staff proposals made or carried out
)

// Activity is one line of Annex 1.
type Activity struct {
	ID     string
	Levels []Level
	// Years are the programme years Annex 1 marks with "+".
	Years   []int
	Measure Measure
	// Recorded says the field app's records give the measure's "done" figure (docs/plans.md):
	// the others are done by headquarters or outside the field, and the page says so.
	Recorded bool
}

// FirstYear and LastYear bound the programme (2019–2022).
const (
	FirstYear = 2019
	LastYear  = 2022
)

var all4 = []int{2019, 2020, 2021, 2022}

// Activities are Annex 1's 23 activities (seed lines 419–452) in order. Levels and years are
// the table's "√" and "+" columns.
var Activities = []Activity{
	{"1.1", []Level{Central, Capital, Local}, all4, Responses, true},
	{"1.2", []Level{Central}, all4, Materials, true},
	{"1.3", []Level{Central, Capital, Local}, all4, Contracts, true},
	{"1.4", []Level{Central, Capital, Local}, all4, Responses, true},
	{"1.5", []Level{Central, Capital, Local}, all4, Events, true},
	{"1.6", []Level{Central}, []int{2020, 2021, 2022}, Works, false},
	{"2.1", []Level{Central, Capital, Local}, all4, Reached, true},
	{"2.2", []Level{Central}, all4, Reports, false},
	{"2.3", []Level{Central}, all4, Publications, false},
	{"2.4", []Level{Central, Capital, Local}, all4, Events, true},
	{"2.5", []Level{Central, Capital, Local}, all4, Broadcasts, true},
	{"2.6", []Level{Central}, []int{2019, 2020}, Works, false},
	{"2.7", []Level{Central}, []int{2019, 2020}, Events, false},
	{"2.8", []Level{Central, Capital, Local}, all4, Works, false},
	{"2.9", []Level{Central, Capital, Local}, all4, PartnerEvents, true},
	{"2.10", []Level{Central}, []int{2019, 2020}, Meetings, false},
	{"2.11", []Level{Central}, all4, Meetings, false},
	{"3.1", []Level{Central, Capital, Local}, all4, Works, false},
	{"3.2", []Level{Central, Capital, Local}, []int{2020, 2022}, Events, false},
	{"3.3", []Level{Central, Capital, Local}, all4, Events, false},
	{"3.4", []Level{Central, Capital, Local}, all4, Proposals, false},
	{"3.5", []Level{Central, Capital}, all4, Works, false},
	{"3.6", []Level{Central, Capital, Local}, []int{2020, 2022}, Reports, false},
}

// Find returns the activity with id.
func Find(id string) (Activity, bool) {
	for _, a := range Activities {
		if a.ID == id {
			return a, true
		}
	}
	return Activity{}, false
}

// InYear reports whether Annex 1 runs the activity in year. After 2022 the programme's last
// year carries on until a new programme replaces the catalogue: an activity marked for 2022
// may be planned in later years.
func (a Activity) InYear(year int) bool {
	if year > LastYear {
		year = LastYear
	}
	return slices.Contains(a.Years, year)
}

// AtLevel reports whether Annex 1 carries the activity out at level.
func (a Activity) AtLevel(l Level) bool { return slices.Contains(a.Levels, l) }

// Why is why an activity cannot be planned by a unit in a year: "" when it can, else
// "level" (not carried out at the unit's level) or "year" (not run that year).
func (a Activity) Why(l Level, year int) string {
	switch {
	case !a.AtLevel(l):
		return "level"
	case !a.InYear(year):
		return "year"
	}
	return ""
}

// LevelOf is the Annex 1 level a unit plans at: the nation (headquarters) central, the
// capital (its department) capital, an aimag or a district division local. Soums do not plan.
func LevelOf(t *unit.Tree, code string) (Level, bool) {
	u, ok := t.Get(unit.Code(code))
	if !ok {
		return "", false
	}
	switch u.Level {
	case unit.LevelNation:
		return Central, true
	case unit.LevelCapital:
		return Capital, true
	case unit.LevelAimag, unit.LevelDistrict:
		return Local, true
	}
	return "", false
}

// Units are every unit that makes a plan: the nation, the capital, the districts, the aimags.
func Units(t *unit.Tree) []string {
	out := []string{string(unit.Nation)}
	for _, c := range t.Children(unit.Nation) {
		if u, _ := t.Get(c); u.Level == unit.LevelCapital {
			out = append(out, string(c))
			for _, d := range t.Children(c) {
				out = append(out, string(d))
			}
		}
	}
	for _, c := range t.Children(unit.Nation) {
		if u, _ := t.Get(c); u.Level == unit.LevelAimag {
			out = append(out, string(c))
		}
	}
	return out
}

// Fundings are the programme's sources of funds (§4.1, seed lines 385–392); a plan line may
// name one. The dashboard's catalogue words them as plan.funding.<code>.
var Fundings = []string{"si_budget", "international", "business", "state", "ngo", "other"}

// Limits of what a plan line may hold.
const (
	MaxQuantity = 10_000_000
	MaxCostMNT  = 10_000_000_000_000
)

// Item is one activity's line of a unit's plan for a year: the quantity planned for each
// half-year in the activity's measure, and optionally a funding source and a cost in tögrög.
type Item struct {
	Activity string `json:"activity"`
	H1       int64  `json:"h1"`
	H2       int64  `json:"h2"`
	Funding  string `json:"funding,omitempty"`
	CostMNT  *int64 `json:"cost_mnt,omitempty"`
}

// Planned is the year's planned quantity.
func (i Item) Planned() int64 { return i.H1 + i.H2 }

// Empty reports whether the line plans nothing (it is then not kept).
func (i Item) Empty() bool { return i.H1 == 0 && i.H2 == 0 && i.Funding == "" && i.CostMNT == nil }

// Problem is what is wrong with one value of a plan: the field (h1, h2, funding, cost_mnt,
// activity) and a catalogue key with its arguments, so every language words it.
type Problem struct {
	Activity string
	Field    string
	Key      string
	Args     []any
}

// Check validates a plan for a unit's level and year: every activity known, planned only
// where Annex 1 runs it, quantities and costs whole, not negative and within the limits, the
// funding one of Fundings. It returns every problem, not only the first.
func Check(l Level, year int, items []Item) []Problem {
	var out []Problem
	seen := map[string]bool{}
	for _, it := range items {
		a, ok := Find(it.Activity)
		if !ok {
			out = append(out, Problem{it.Activity, "activity", "plan.err.activity_unknown", []any{it.Activity}})
			continue
		}
		if seen[it.Activity] {
			out = append(out, Problem{it.Activity, "activity", "plan.err.activity_twice", []any{it.Activity}})
			continue
		}
		seen[it.Activity] = true
		if it.Empty() {
			continue
		}
		if why := a.Why(l, year); why != "" {
			args := []any{it.Activity}
			if why == "year" {
				args = append(args, year)
			}
			out = append(out, Problem{it.Activity, "activity", "plan.err.not_in_annex_" + why, args})
			continue
		}
		for _, q := range []struct {
			field string
			v     int64
		}{{"h1", it.H1}, {"h2", it.H2}} {
			if q.v < 0 || q.v > MaxQuantity {
				out = append(out, Problem{it.Activity, q.field, "plan.err.quantity", nil})
			}
		}
		if it.Funding != "" && !slices.Contains(Fundings, it.Funding) {
			out = append(out, Problem{it.Activity, "funding", "plan.err.funding", nil})
		}
		if it.CostMNT != nil && (*it.CostMNT < 0 || *it.CostMNT > MaxCostMNT) {
			out = append(out, Problem{it.Activity, "cost_mnt", "plan.err.cost", nil})
		}
	}
	return out
}

// DoneMetrics are, for each activity the field app records but 2.9 (counted from the records,
// see CooperationPartners), the tally metrics whose sum is its done figure in its own measure
// (docs/plans.md, "Done"): 1.5 counts open days, mobile services and market-day open days, 2.4
// the lectures, seminars and open discussions, 2.5 the broadcasts (a series recorded as one
// event says how many), 2.1 the people reached by every kind of event.
var DoneMetrics = map[string][]string{
	"1.1": {"surveys"},
	"1.2": {"materials.handbook", "materials.brochure", "materials.poster", "materials.comic", "materials.other"},
	"1.3": {"contracts_signed"},
	"1.4": {"surveys"},
	"1.5": {"events.open_day", "events.mobile_service", "events.market_day"},
	"2.1": {"reached"},
	"2.4": {"events.lecture"},
	"2.5": {"broadcasts"},
}

// Done is an activity's done figure from a period's totals; false when DoneMetrics has none.
func Done(id string, t tally.Vector) (int64, bool) {
	ms, ok := DoneMetrics[id]
	var n int64
	for _, m := range ms {
		n += t.Get(m)
	}
	return n, ok
}

// CooperationPartners are the event partners that make an event count for 2.9 (cooperation
// with labour, welfare and youth bodies): the partner codes of shared/record.
var CooperationPartners = []string{"labour_welfare", "youth"}

// ParseWhole reads a whole number typed by a person or read from a spreadsheet cell: spaces,
// no-break spaces and thousands separators are ignored; empty is nil. The error is a catalogue
// key: plan.err.whole (not a whole number), plan.err.negative.
func ParseWhole(s string) (*int64, string) {
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", "'", "").Replace(strings.TrimSpace(s))
	if s == "" {
		return nil, ""
	}
	// "1,200" and "1.200" are thousands; "12,5" or "12.5" is not whole.
	if g := thousands.FindString(s); g == s {
		s = strings.NewReplacer(",", "", ".", "").Replace(s)
	}
	// A spreadsheet may hand over a whole number written as a float ("12.0", "1.2E3").
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "xXpP") {
		if math.IsInf(f, 0) || math.IsNaN(f) || f != math.Trunc(f) || math.Abs(f) > 1e15 {
			return nil, "plan.err.whole"
		}
		n := int64(f)
		if n < 0 {
			return nil, "plan.err.negative"
		}
		return &n, ""
	}
	return nil, "plan.err.whole"
}

var thousands = regexp.MustCompile(`^-?[0-9]{1,3}([,.][0-9]{3})+$`)
