package dashboard

import (
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"talbar/shared/indicator"
	"talbar/shared/record"
	"talbar/shared/tally"
	"talbar/shared/unit"
)

// compareRow is one figure this half-year beside the half-year before.
type compareRow struct {
	Label      string
	Now, Prev  string
	Change     string
	Up         bool
	Down       bool
	NowV, PrvV int64
}

// reportKPI is one indicator in the year of the report, with the baseline it is measured from.
type reportKPI struct {
	indicatorYear
	ID           string
	Name         string
	Percent      bool
	Baseline     float64
	BaselineYear int
}

type placeRow struct {
	Name     string
	Events   string
	Reached  string
	PerEvent string
}

type reportData struct {
	Unit      string
	Units     []string
	Year      int
	Years     []int
	Half      int
	PrevLabel string
	Plan      planData
	Changes   []compareRow
	KPIs      []reportKPI
	Groups    []compareRow
	Knowledge []compareRow
	Coverage  []compareRow
	Kinds     []compareRow
	Places    []placeRow
}

// report is the half-year monitoring report of the programme's chapter 5, laid out to print:
// how far the plan was carried out, what changed, whether goals were reached, feedback (left for
// the division to write), and results in each target group.
func (h *Handler) report(c *fiber.Ctx) error {
	code, st := h.scopeUnit(c, c.Query("unit"))
	if st != 0 {
		return h.scopeFail(c, st)
	}
	v := h.newView(c, "report")
	ctx := c.UserContext()
	year := h.yearQuery(c)
	half := 1
	if c.Query("half") == "2" {
		half = 2
	}
	p := ParsePeriod("h" + strconv.Itoa(half))
	prevYear, prevP := year, ParsePeriod("h1")
	if half == 1 {
		prevYear, prevP = year-1, ParsePeriod("h2")
	}
	d := reportData{Unit: code, Units: h.unitChoices(v), Year: year, Years: h.years(), Half: half,
		PrevLabel: v.T("dash.report.half_of", strconv.Itoa(prevYear), v.T("dash.period."+prevP.Code))}
	var err error
	var now tally.Vector
	if d.Plan, now, err = h.planFor(ctx, v, code, year, p); err != nil {
		return h.serverError(c, err)
	}
	prevMonths, err := h.cfg.Store.TotalsByMonth(ctx, code, prevYear)
	if err != nil {
		return h.serverError(c, err)
	}
	prev := sumMonths(prevMonths, prevP)
	cmp := func(keys ...string) []compareRow {
		var out []compareRow
		for _, k := range keys {
			a, b := now.Get(k), prev.Get(k)
			r := compareRow{Label: metricLabel(v, k), Now: v.N(a), Prev: v.N(b), NowV: a, PrvV: b, Up: a > b, Down: a < b}
			switch {
			case b == 0 && a == 0:
				r.Change = "—"
			case b == 0:
				r.Change = "+" + v.N(a)
			default:
				ch := float64(a-b) * 100 / float64(b)
				r.Change = v.Pct(&ch)
				if ch > 0 {
					r.Change = "+" + r.Change
				}
			}
			out = append(out, r)
		}
		return out
	}
	d.Changes = cmp("events", "reached", "consultations", "contracts_signed", "contributions_mnt", "surveys")
	var groups, kinds []string
	for _, g := range record.TargetGroups {
		groups = append(groups, "reached."+g.Code)
	}
	for _, k := range record.EventKinds {
		kinds = append(kinds, "events."+k.Code)
	}
	d.Groups = cmp(groups...)
	d.Kinds = cmp(kinds...)
	d.Coverage = cmp("contracts_signed", "contributions_mnt")
	// Knowledge and attitude: the shares of answers, this half-year against the one before.
	for _, k := range []string{"info_yes", "info_partly", "info_no", "satisfied"} {
		a, b := pct(now.Get(k), now.Get("surveys")), pct(prev.Get(k), prev.Get("surveys"))
		r := compareRow{Label: metricLabel(v, k), Now: v.Pct(a), Prev: v.Pct(b), Change: "—"}
		if a != nil && b != nil {
			// A change of shares is in percentage points; fewer "no" answers is progress.
			ch := *a - *b
			r.Change = strings.TrimSuffix(v.Pct(&ch), "%") + " " + v.T("dash.report.pp")
			if ch > 0 {
				r.Change = "+" + r.Change
			}
			r.Up, r.Down = ch > 0, ch < 0
			if k == "info_no" || k == "info_partly" {
				r.Up, r.Down = r.Down, r.Up
			}
		}
		d.Knowledge = append(d.Knowledge, r)
	}
	targets, err := h.cfg.Store.Targets(ctx)
	if err != nil {
		return h.serverError(c, err)
	}
	baselines, err := h.cfg.Store.Baselines(ctx)
	if err != nil {
		return h.serverError(c, err)
	}
	k := indicator.Judge(code, year, now, targets, baselines)
	for i, x := range k.Indicators {
		d.KPIs = append(d.KPIs, reportKPI{
			indicatorYear: indicatorYear{Year: year, Target: x.Target, Actual: x.Actual, N: x.N, Status: x.Status},
			ID:            x.ID, Name: v.T("indicator." + x.ID), Percent: indicator.All[i].Percent,
			Baseline: x.Baseline, BaselineYear: x.BaselineYear})
	}
	// Which places worked: the units below that reached the most people per event (a unit with
	// one large event is not hidden behind one with many small ones); ties by people reached.
	leaves, err := h.leafTotals(ctx, year, p)
	if err != nil {
		return h.serverError(c, err)
	}
	var below []unit.Code
	if code == string(unit.Nation) {
		below = h.cfg.Units.Children(unit.Nation)
	} else {
		below = h.cfg.Units.Leaves(unit.Code(code))
	}
	type scored struct {
		code string
		t    tally.Vector
	}
	var sc []scored
	for _, b := range below {
		t := h.rollUp(leaves, string(b))
		if t.Get("events") > 0 {
			sc = append(sc, scored{string(b), t})
		}
	}
	perEvent := func(t tally.Vector) float64 { return float64(t.Get("reached")) / float64(t.Get("events")) }
	sort.SliceStable(sc, func(i, j int) bool {
		if a, b := perEvent(sc[i].t), perEvent(sc[j].t); a != b {
			return a > b
		}
		return sc[i].t.Get("reached") > sc[j].t.Get("reached")
	})
	for i, s := range sc {
		if i == 10 {
			break
		}
		per := perEvent(s.t)
		d.Places = append(d.Places, placeRow{Name: v.UnitName(s.code), Events: v.N(s.t.Get("events")),
			Reached: v.N(s.t.Get("reached")), PerEvent: v.N(int64(per + 0.5))})
	}
	v.Title = v.T("term.monitoring_report") + " — " + strconv.Itoa(year) + ", " + v.T("dash.period."+p.Code)
	v.Data = d
	return h.render(c, "report", v)
}
