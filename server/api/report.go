package api

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"talbar/server/store"
	"talbar/shared/indicator"
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
type KPI = indicator.KPI

// KPIs is the body of GET /kpis.
type KPIs = indicator.KPIs

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
	return indicator.Judge(code, year, v, targets, baselines), nil
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
