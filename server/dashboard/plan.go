package dashboard

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"talbar/server/annualplan"
	"talbar/server/store"
	"talbar/shared/tally"
	"talbar/shared/unit"
)

// recordedMetrics are the tally metrics each recorded activity's row details (what the field
// app recorded against it), and done is the one figure in the activity's own measure that its
// plan is measured against. docs/plans.md explains the choices:
//
//	1.1 surveys at every level           → survey responses
//	1.2 information packages (central)    → materials handed out
//	1.3 simpler voluntary sign-up         → voluntary contracts signed (and contributions)
//	1.4 service-quality evaluation        → survey responses (each rates the service), of which satisfied
//	1.5 open days, mobile service, market-day open days → those events
//	2.1 reach every group by its channels → people reached (by every kind of event)
//	2.4 public lectures, seminars, open discussions → those events
//	2.5 TV and radio → the broadcasts (and their minutes)
//	2.9 labour, welfare and youth bodies  → events held with those bodies as partners
//
// The done figures are annualplan.Done's. 3.5 is support given by headquarters and the capital
// department to staff, which the field app does not record; neither does it record the other
// activities. The page says so rather than showing a zero.
var recordedMetrics = map[string][]string{
	"1.1": {"surveys"},
	"1.2": {"materials.handbook", "materials.brochure", "materials.poster", "materials.comic", "materials.other"},
	"1.3": {"contracts_signed", "contributions_mnt"},
	"1.4": {"surveys", "satisfied"},
	"1.5": {"events.open_day", "events.mobile_service", "events.market_day"},
	"2.1": {"events.herder_meeting", "events.market_day", "events.open_day", "events.mobile_service", "events.workplace_talk",
		"events.office_counselling", "events.student_conference", "events.essay_contest", "events.sms_campaign", "reached", "messages_sent"},
	"2.4": {"events.lecture"},
	"2.5": {"events.broadcast", "broadcasts", "broadcast_minutes"},
}

// doneOf is an activity's done figure in its own measure from a period's totals; 2.9 is
// counted from the records (partnerEvents), not from the totals.
func doneOf(id string, t tally.Vector) int64 {
	n, _ := annualplan.Done(id, t)
	return n
}

type planRow struct {
	ID        string
	Objective string
	Title     string
	// Levels and Years are Annex 1's marks: which of Т/Н/О and which programme years.
	Levels  []bool
	Years   []bool
	Measure string
	// Figures is the detail of what the field app recorded (nil when it records nothing).
	Figures []figure
	// Applies is false when Annex 1 does not run the activity at this unit's level or in this
	// year; NotApplied says which.
	Applies    bool
	NotApplied string
	// Planned is nil when nothing was planned; Done nil when the field app does not record it.
	Planned, Done *int64
	PlannedText   string
	DoneText      string
	Share         string
}

type planData struct {
	Unit     string
	Units    []string
	Year     int
	Years    []int
	Period   Period
	Periods  []Period
	Rows     []planRow
	Levels   []string
	ProgYrs  []int
	HasPlans bool
	// Editable: the user may change this unit's plan (its own division, or any for an admin).
	Editable bool
	PlanUnit bool
	Version  store.AnnualPlan
}

// planPeriods are the periods a plan is made for: the year and its halves.
var planPeriods = []Period{Periods[0], Periods[1], Periods[2]}

// planUnitsUnder are the units whose plans add up to code's: itself, and for the nation every
// plan, for the capital its districts too.
func (h *Handler) planUnitsUnder(code string) []string {
	var out []string
	for _, u := range annualplan.Units(h.cfg.Units) {
		if u == code || h.cfg.Units.Contains(unit.Code(code), unit.Code(u)) {
			out = append(out, u)
		}
	}
	return out
}

// planFor lays Annex 1's activities beside the unit's plan (its own and those under it) and
// what was recorded in the unit over the period.
func (h *Handler) planFor(ctx context.Context, v *view, code string, year int, p Period) (planData, tally.Vector, error) {
	months, err := h.cfg.Store.TotalsByMonth(ctx, code, year)
	if err != nil {
		return planData{}, nil, fmt.Errorf("plan totals: %w", err)
	}
	t := sumMonths(months, p)
	all := figuresOf(v, t)
	d := planData{Unit: code, Year: year, Years: h.years(), Period: p, Periods: planPeriods,
		ProgYrs: []int{2019, 2020, 2021, 2022}}
	for _, l := range annualplan.Levels {
		d.Levels = append(d.Levels, v.T("plan.level_short."+string(l)))
	}
	level, isPlanUnit := annualplan.LevelOf(h.cfg.Units, code)
	d.PlanUnit = isPlanUnit
	// The levels whose plans roll up here: the capital's own and its districts' (local).
	levels := []annualplan.Level{level}
	if level == annualplan.Capital {
		levels = append(levels, annualplan.Local)
	}
	planned := map[string]*int64{}
	if h.cfg.Plans != nil && isPlanUnit {
		plans, err := h.cfg.Plans.AnnualPlansOfYear(ctx, year)
		if err != nil {
			return d, nil, fmt.Errorf("plans of %d: %w", year, err)
		}
		for _, u := range h.planUnitsUnder(code) {
			for _, it := range plans[u] {
				q := it.Planned()
				switch p.Code {
				case "h1":
					q = it.H1
				case "h2":
					q = it.H2
				}
				if planned[it.Activity] == nil {
					planned[it.Activity] = new(int64)
				}
				*planned[it.Activity] += q
				d.HasPlans = true
			}
		}
		if d.Version, err = h.cfg.Plans.AnnualPlan(ctx, code, year); err != nil {
			return d, nil, fmt.Errorf("plan of %s: %w", code, err)
		}
	}
	var partnerEvents int64
	if a, _ := annualplan.Find("2.9"); a.Recorded {
		if partnerEvents, err = h.partnerEvents(ctx, code, year, p); err != nil {
			return d, nil, err
		}
	}
	for _, a := range annualplan.Activities {
		r := planRow{ID: a.ID, Objective: a.ID[:1], Title: v.T("dash.plan." + a.ID), Measure: v.T("plan.measure." + string(a.Measure))}
		for _, l := range annualplan.Levels {
			r.Levels = append(r.Levels, a.AtLevel(l))
		}
		for _, y := range d.ProgYrs {
			r.Years = append(r.Years, a.InYear(y))
		}
		r.Applies = a.InYear(year) && slices.ContainsFunc(levels, a.AtLevel)
		switch {
		case !isPlanUnit:
			r.Applies = true
		case !a.InYear(year):
			r.NotApplied = v.T("plan.not_in_annex_year", year)
		case !r.Applies:
			var at []string
			for _, l := range a.Levels {
				at = append(at, v.T("plan.level_short."+string(l)))
			}
			r.NotApplied = v.T("plan.not_in_annex_level", strings.Join(at, ", "))
		}
		if a.Recorded {
			done := doneOf(a.ID, t)
			if a.ID == "2.9" {
				done = partnerEvents
				r.Figures = []figure{{Key: "partner_events", Label: r.Measure, Value: done, Text: v.N(done)}}
			} else {
				r.Figures = labelled(v, all, recordedMetrics[a.ID], func(k string) string { return metricLabel(v, k) })
			}
			r.Done, r.DoneText = &done, v.N(done)
		} else {
			r.DoneText = v.T("dash.not_recorded")
		}
		switch {
		case !isPlanUnit || h.cfg.Plans == nil:
			// A soum does not plan; a store that keeps no plans (PostgreSQL, for now) must
			// not make every activity look "not planned".
			r.PlannedText = "—"
		case !r.Applies && planned[a.ID] == nil:
			r.PlannedText = r.NotApplied
		case planned[a.ID] == nil:
			r.PlannedText = v.T("plan.not_planned")
		default:
			r.Planned, r.PlannedText = planned[a.ID], v.N(*planned[a.ID])
		}
		if r.Planned != nil && r.Done != nil && *r.Planned > 0 {
			pct := 100 * float64(*r.Done) / float64(*r.Planned)
			r.Share = v.Pct(&pct)
		}
		d.Rows = append(d.Rows, r)
	}
	return d, t, nil
}

// partnerEvents counts the events in the unit over the period that had a labour, welfare or
// youth body among their partners (activity 2.9).
func (h *Handler) partnerEvents(ctx context.Context, code string, year int, p Period) (int64, error) {
	recs, err := h.cfg.Store.Records(ctx, store.RecordFilter{Entity: "event", Unit: code, Year: year})
	if err != nil {
		return 0, fmt.Errorf("events for 2.9: %w", err)
	}
	var n int64
	for _, r := range recs {
		if r.Deleted || len(r.Date) < 7 {
			continue
		}
		m, err := strconv.Atoi(r.Date[5:7])
		if err != nil || m < p.From || m > p.To {
			continue
		}
		ps, _ := r.Values["partners"].([]any)
		if slices.ContainsFunc(ps, func(x any) bool { s, _ := x.(string); return slices.Contains(annualplan.CooperationPartners, s) }) {
			n++
		}
	}
	return n, nil
}

// planPeriod is the plan page's period: the year or one of its halves.
func planPeriod(s string) Period {
	for _, p := range planPeriods {
		if p.Code == s {
			return p
		}
	}
	return planPeriods[0]
}

// mayPlan reports whether the user may change code's plan: an administrator any plan unit, an
// officer the plan units of their own division.
func (h *Handler) mayPlan(u store.User, code string) bool {
	if _, ok := annualplan.LevelOf(h.cfg.Units, code); !ok || h.cfg.Plans == nil {
		return false
	}
	switch u.Role {
	case store.WebAdmin:
		return true
	case store.WebOfficer:
		return h.mayView(u, code)
	}
	return false
}

// planUnitChoices are the plan units the user may see.
func (h *Handler) planUnitChoices(u store.User) []string {
	var out []string
	for _, c := range annualplan.Units(h.cfg.Units) {
		if h.mayView(u, c) {
			out = append(out, c)
		}
	}
	return out
}

func (h *Handler) plan(c *fiber.Ctx) error {
	code, st := h.scopeUnit(c, c.Query("unit"))
	if st != 0 {
		return h.scopeFail(c, st)
	}
	v := h.newView(c, "plan")
	d, _, err := h.planFor(c.UserContext(), v, code, h.yearQuery(c), planPeriod(c.Query("period")))
	if err != nil {
		return h.serverError(c, err)
	}
	d.Units = h.planUnitChoices(v.User)
	d.Editable = h.mayPlan(v.User, code)
	v.Title = v.T("term.activity_plan")
	v.Data = d
	return h.render(c, "plan", v)
}
