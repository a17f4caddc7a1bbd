package dashboard

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"talbar/shared/tally"
	"talbar/shared/unit"
)

// Early detection (order A/21 l.405: prevent, detect early, correct): the soums and districts
// of a division that held no event this quarter, those without the quarterly market-day event
// (l.342), and those whose figures are far outside their usual range. What counts as "far" is
// in docs/plans.md.

// alertRow is one soum or district on an early-detection list.
type alertRow struct {
	Code, Name string
	Now, Usual string
}

type alertsData struct {
	Unit      string
	Units     []string
	Year      int
	Years     []int
	Quarter   int
	InProcess bool
	Leaves    int
	NoEvents  []alertRow
	NoMarket  []alertRow
	Unusual   []alertRow
}

// Outlier thresholds: a quarter's events (or people reached) at least outlierFactor times the
// unit's average over the four quarters before, and at least outlierMinEvents events (or
// outlierMinReached people) above it, so a soum going from 1 to 3 events is not flagged.
const (
	outlierFactor     = 3
	outlierMinEvents  = 6
	outlierMinReached = 150
)

// quarterTotals is every leaf's totals for a quarter (q may be 0 or negative: earlier years).
func (h *Handler) quarterTotals(ctx context.Context, year, q int) (map[string]tally.Vector, error) {
	for q < 1 {
		q += 4
		year--
	}
	m, err := h.cfg.Store.TotalsByLeafMonths(ctx, year, 3*q-2, 3*q)
	if err != nil {
		return nil, fmt.Errorf("totals of %d Q%d: %w", year, q, err)
	}
	return m, nil
}

func (h *Handler) alertsFor(ctx context.Context, v *view, code string, year, q int) (alertsData, error) {
	now := h.cfg.Now()
	d := alertsData{Unit: code, Year: year, Years: h.years(), Quarter: q,
		InProcess: year == now.Year() && (int(now.Month())-1)/3+1 == q}
	cur, err := h.quarterTotals(ctx, year, q)
	if err != nil {
		return d, err
	}
	var before []map[string]tally.Vector
	for i := 1; i <= 4; i++ {
		m, err := h.quarterTotals(ctx, year, q-i)
		if err != nil {
			return d, err
		}
		before = append(before, m)
	}
	name := func(c unit.Code) string {
		u, _ := h.cfg.Units.Get(c)
		if p, ok := h.cfg.Units.Get(u.Parent); ok && p.Level != unit.LevelNation {
			return p.Name(v.Lang) + " / " + u.Name(v.Lang)
		}
		return u.Name(v.Lang)
	}
	get := func(m map[string]tally.Vector, c, k string) int64 {
		if t, ok := m[c]; ok {
			return t.Get(k)
		}
		return 0
	}
	for _, c := range h.cfg.Units.Leaves(unit.Code(code)) {
		d.Leaves++
		s := string(c)
		ev := get(cur, s, "events")
		if ev == 0 {
			d.NoEvents = append(d.NoEvents, alertRow{Code: s, Name: name(c)})
		}
		if get(cur, s, "events.market_day") == 0 {
			d.NoMarket = append(d.NoMarket, alertRow{Code: s, Name: name(c)})
		}
		var avgEv, avgRe float64
		for _, m := range before {
			avgEv += float64(get(m, s, "events")) / 4
			avgRe += float64(get(m, s, "reached")) / 4
		}
		re := get(cur, s, "reached")
		switch {
		case float64(ev) >= outlierFactor*avgEv && float64(ev)-avgEv >= outlierMinEvents && avgEv > 0:
			d.Unusual = append(d.Unusual, alertRow{Code: s, Name: name(c),
				Now: v.T("alerts.events_n", v.N(ev)), Usual: v.T("alerts.events_n", v.N(int64(avgEv+0.5)))})
		case float64(re) >= outlierFactor*avgRe && float64(re)-avgRe >= outlierMinReached && avgRe > 0:
			d.Unusual = append(d.Unusual, alertRow{Code: s, Name: name(c),
				Now: v.T("alerts.reached_n", v.N(re)), Usual: v.T("alerts.reached_n", v.N(int64(avgRe+0.5)))})
		}
	}
	return d, nil
}

func (h *Handler) alerts(c *fiber.Ctx) error {
	code, st := h.scopeUnit(c, c.Query("unit"))
	if st != 0 {
		return h.scopeFail(c, st)
	}
	v := h.newView(c, "alerts")
	year := h.yearQuery(c)
	q, err := strconv.Atoi(c.Query("quarter"))
	if err != nil || q < 1 || q > 4 {
		q = (int(h.cfg.Now().Month())-1)/3 + 1
	}
	d, err := h.alertsFor(c.UserContext(), v, code, year, q)
	if err != nil {
		return h.serverError(c, err)
	}
	d.Units = h.unitChoices(v)
	v.Title = v.T("dash.nav.alerts")
	v.Data = d
	return h.render(c, "alerts", v)
}
