package api

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"talbar/server/store"
	"talbar/shared/indicator"
	"talbar/shared/tally"
	"talbar/shared/unit"
	"talbar/syncproto"
)

// reportQuery reads year, unit and month and checks the caller may see that unit: an inspector
// their own soum or district and the nation, an officer their aimag (and its soums) and the nation.
func (a *API) reportQuery(c *fiber.Ctx) (code string, year, month int, status int, msg string) {
	code = c.Query("unit", string(unit.Nation))
	year = time.Now().Year()
	if s := c.Query("year"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 2000 || n > 2100 {
			return "", 0, 0, fiber.StatusBadRequest, "year must be a year such as 2026"
		}
		year = n
	}
	if s := c.Query("month"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 12 {
			return "", 0, 0, fiber.StatusBadRequest, "month must be 1 to 12"
		}
		month = n
	}
	if _, ok := a.cfg.Units.Get(unit.Code(code)); !ok {
		return "", 0, 0, fiber.StatusBadRequest, fmt.Sprintf("unit %q is not a known unit code", code)
	}
	p := principal(c)
	if code != string(unit.Nation) && !a.cfg.Units.Contains(unit.Code(p.Inspector.Unit), unit.Code(code)) {
		return "", 0, 0, fiber.StatusForbidden, fmt.Sprintf("unit %s is outside %s", code, p.Inspector.Unit)
	}
	return code, year, month, 0, ""
}

func (a *API) totals(c *fiber.Ctx) error {
	code, year, month, st, msg := a.reportQuery(c)
	if st != 0 {
		return fail(c, st, map[int]string{400: syncproto.ErrMalformed, 403: syncproto.ErrForbidden}[st], msg)
	}
	v, err := a.cfg.Store.Totals(c.UserContext(), code, year, month)
	if err != nil {
		return a.storeError(c, err)
	}
	t := v.Shape(code, year)
	t.Month = month
	return c.JSON(t)
}

// KPI is one indicator of GET /kpis.
type KPI struct {
	ID            string   `json:"id"`
	Baseline      float64  `json:"baseline"`
	BaselineYear  int      `json:"baseline_year"`
	Target        *float64 `json:"target"`
	Actual        *float64 `json:"actual"`
	N             int64    `json:"n"`
	Status        string   `json:"status"`
	LowerIsBetter bool     `json:"lower_is_better"`
}

// KPIs is the body of GET /kpis.
type KPIs struct {
	Unit       string `json:"unit"`
	Year       int    `json:"year"`
	Indicators []KPI  `json:"indicators"`
}

// MeasureKPIs judges every indicator for a unit and year from the store: survey indicators from
// the unit's surveys, coverage indicators from the official figures (national only).
func MeasureKPIs(ctx context.Context, s store.Store, code string, year int) (KPIs, error) {
	v, err := s.Totals(ctx, code, year, 0)
	if err != nil {
		return KPIs{}, err
	}
	targets, err := s.Targets(ctx)
	if err != nil {
		return KPIs{}, err
	}
	baselines, err := s.Baselines(ctx)
	if err != nil {
		return KPIs{}, err
	}
	return Judge(code, year, v, targets, baselines), nil
}

// Judge is MeasureKPIs's pure part. Baselines entered by headquarters replace the programme's
// defaults of shared/indicator.
func Judge(code string, year int, v tally.Vector, targets []store.Target, baselines []store.Baseline) KPIs {
	out := KPIs{Unit: code, Year: year, Indicators: []KPI{}}
	for _, in := range indicator.All {
		k := KPI{ID: in.ID, Baseline: in.Baseline, BaselineYear: in.BaselineYear, LowerIsBetter: in.LowerIsBetter}
		for _, b := range baselines {
			if b.Indicator == in.ID {
				k.Baseline, k.BaselineYear = b.Value, b.Year
			}
		}
		for _, t := range targets {
			if t.Indicator == in.ID && t.Year == year {
				k.Target = t.Target
				if !in.Percent && code == string(unit.Nation) {
					k.Actual = t.Actual
				}
			}
		}
		if in.Percent {
			k.Actual, k.N = indicator.Measure(in.ID, v)
		} else if code != string(unit.Nation) {
			k.Target = nil // official coverage targets are national
		}
		k.Status = in.Status(k.Actual, k.Target)
		out.Indicators = append(out.Indicators, k)
	}
	return out
}

func (a *API) kpis(c *fiber.Ctx) error {
	code, year, _, st, msg := a.reportQuery(c)
	if st != 0 {
		return fail(c, st, map[int]string{400: syncproto.ErrMalformed, 403: syncproto.ErrForbidden}[st], msg)
	}
	k, err := MeasureKPIs(c.UserContext(), a.cfg.Store, code, year)
	if err != nil {
		return a.storeError(c, err)
	}
	return c.JSON(k)
}

func (a *API) units(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(a.unitsJSON)
}

func (a *API) healthz(c *fiber.Ctx) error {
	if err := a.cfg.Store.Ping(c.UserContext()); err != nil {
		return fail(c, fiber.StatusServiceUnavailable, syncproto.ErrUnavailable, "store unreachable")
	}
	if a.draining.Load() {
		return fail(c, fiber.StatusServiceUnavailable, syncproto.ErrUnavailable, "shutting down")
	}
	return c.JSON(fiber.Map{"status": "ok", "epoch": a.cfg.Store.Epoch()})
}
