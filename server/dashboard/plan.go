package dashboard

import (
	"context"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"talbar/shared/tally"
)

// activity is one line of the programme's activity plan (DOMAIN.md, Annex 1) and the figures the
// field app records against it. The mapping, documented in docs/dashboard.md:
//
//	1.1 surveys at every level           → survey responses
//	1.2 information packages per group    → materials handed out (handbooks, brochures, posters, comics, other)
//	1.3 simpler voluntary sign-up         → voluntary contracts signed, contributions collected
//	1.4 service-quality evaluation        → survey responses, of which satisfied (4-5)
//	1.5 open days and mobile services     → open days / mobile services held
//	2.1 reach every group by its channels → herder meetings, market-day events, people reached
//	2.9 labour, welfare, youth bodies     → unemployed, students and pupils reached
//	3.5 supporting local staff' outreach  → all events recorded by soum and district inspectors
//
// The other activities (communication campaigns, staff training, reports) are not recorded by
// the field app; the page says so rather than showing a zero.
type activity struct {
	ID      string
	Metrics []string
}

var activities = []activity{
	{"1.1", []string{"surveys"}},
	{"1.2", []string{"materials.handbook", "materials.brochure", "materials.poster", "materials.comic", "materials.other"}},
	{"1.3", []string{"contracts_signed", "contributions_mnt"}},
	{"1.4", []string{"surveys", "satisfied"}},
	{"1.5", []string{"events.open_day"}},
	{"1.6", nil},
	{"2.1", []string{"events.herder_meeting", "events.market_day", "reached"}},
	{"2.2", nil}, {"2.3", nil}, {"2.4", nil}, {"2.5", nil}, {"2.6", nil}, {"2.7", nil}, {"2.8", nil},
	{"2.9", []string{"reached.unemployed", "reached.students", "reached.pupils"}},
	{"2.10", nil}, {"2.11", nil},
	{"3.1", nil}, {"3.2", nil}, {"3.3", nil}, {"3.4", nil},
	{"3.5", []string{"events"}},
	{"3.6", nil},
}

type planRow struct {
	ID        string
	Objective string
	Title     string
	Figures   []figure
}

type planData struct {
	Unit    string
	Units   []string
	Year    int
	Years   []int
	Period  Period
	Periods []Period
	Rows    []planRow
}

// planFor lays the activities beside what was recorded in the unit over the period.
func (h *Handler) planFor(ctx context.Context, v *view, code string, year int, p Period) (planData, tally.Vector, error) {
	months, err := h.cfg.Store.TotalsByMonth(ctx, code, year)
	if err != nil {
		return planData{}, nil, fmt.Errorf("plan totals: %w", err)
	}
	t := sumMonths(months, p)
	all := figuresOf(v, t)
	d := planData{Unit: code, Year: year, Years: h.years(), Period: p, Periods: Periods}
	for _, a := range activities {
		r := planRow{ID: a.ID, Objective: a.ID[:1], Title: v.T("dash.plan." + a.ID)}
		r.Figures = labelled(v, all, a.Metrics, func(k string) string { return metricLabel(v, k) })
		d.Rows = append(d.Rows, r)
	}
	return d, t, nil
}

func (h *Handler) plan(c *fiber.Ctx) error {
	code, st := h.scopeUnit(c, c.Query("unit"))
	if st != 0 {
		return h.scopeFail(c, st)
	}
	v := h.newView(c, "plan")
	d, _, err := h.planFor(c.UserContext(), v, code, h.yearQuery(c), ParsePeriod(c.Query("period")))
	if err != nil {
		return h.serverError(c, err)
	}
	d.Units = h.unitChoices(v)
	v.Title = v.T("term.activity_plan")
	v.Data = d
	return h.render(c, "plan", v)
}
