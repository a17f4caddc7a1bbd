package dashboard

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"talbar/server/api"
	"talbar/server/store"
	"talbar/shared/indicator"
	"talbar/shared/unit"
)

type indicatorYear struct {
	Year   int
	Target *float64
	Actual *float64
	N      int64
	Status string
}

type indicatorRow struct {
	ID            string
	Name          string
	Percent       bool
	LowerIsBetter bool
	Baseline      float64
	BaselineYear  int
	Years         []indicatorYear
	Chart         string
}

type indicatorsData struct {
	Unit       string
	Units      []string
	Rows       []indicatorRow
	Years      []int
	Indicators []indicator.Indicator
	FormYear   int
	Saved      bool
	Error      string
}

// indicatorYears are the programme's years, every year headquarters entered figures for, and
// the current year, so a new programme appears without a code change.
func (h *Handler) indicatorYears(targets []store.Target) []int {
	ys := slices.Clone(indicator.ProgrammeYears)
	for _, t := range targets {
		ys = append(ys, t.Year)
	}
	ys = append(ys, h.cfg.Now().Year())
	slices.Sort(ys)
	return slices.Compact(ys)
}

func (h *Handler) indicators(c *fiber.Ctx) error {
	code, st := h.scopeUnit(c, c.Query("unit"))
	if st != 0 {
		return h.scopeFail(c, st)
	}
	v := h.newView(c, "indicators")
	d, err := h.indicatorsFor(c, v, code)
	if err != nil {
		return h.serverError(c, err)
	}
	d.Saved = c.Query("saved") == "1"
	v.Title = v.T("dash.nav.indicators")
	v.Data = d
	return h.render(c, "indicators", v)
}

// indicatorsFor judges every indicator in every year with api.Judge, the same rule /kpis uses.
func (h *Handler) indicatorsFor(c *fiber.Ctx, v *view, code string) (indicatorsData, error) {
	targets, err := h.cfg.Store.Targets(c.UserContext())
	if err != nil {
		return indicatorsData{}, err
	}
	baselines, err := h.cfg.Store.Baselines(c.UserContext())
	if err != nil {
		return indicatorsData{}, err
	}
	years := h.indicatorYears(targets)
	d := indicatorsData{Unit: code, Units: h.unitChoices(v), Years: years, Indicators: indicator.All, FormYear: h.cfg.Now().Year()}
	byYear := map[int]api.KPIs{}
	for _, y := range years {
		t, err := h.cfg.Store.Totals(c.UserContext(), code, y, 0)
		if err != nil {
			return d, err
		}
		byYear[y] = api.Judge(code, y, t, targets, baselines)
	}
	for i, in := range indicator.All {
		r := indicatorRow{ID: in.ID, Name: v.T("indicator." + in.ID), Percent: in.Percent, LowerIsBetter: in.LowerIsBetter,
			Baseline: in.Baseline, BaselineYear: in.BaselineYear}
		cd := chartData{}
		actual, target := chartSeriesF{Label: v.T("term.actual")}, chartSeriesF{Label: v.T("term.target")}
		for _, y := range years {
			k := byYear[y].Indicators[i]
			r.Years = append(r.Years, indicatorYear{Year: y, Target: k.Target, Actual: k.Actual, N: k.N, Status: k.Status})
			cd.Labels = append(cd.Labels, strconv.Itoa(y))
			actual.Data = append(actual.Data, k.Actual)
			target.Data = append(target.Data, k.Target)
		}
		b, _ := json.Marshal(struct {
			Labels  []string       `json:"labels"`
			Series  []chartSeriesF `json:"series"`
			Percent bool           `json:"percent"`
		}{cd.Labels, []chartSeriesF{actual, target}, in.Percent})
		r.Chart = string(b)
		d.Rows = append(d.Rows, r)
	}
	return d, nil
}

// chartSeriesF is a series with gaps (nil) where a year has no figure.
type chartSeriesF struct {
	Label string     `json:"label"`
	Data  []*float64 `json:"data"`
}

// setTarget stores headquarters' official figures for one indicator and year. An empty field
// keeps what is stored; the survey indicators' actual values are measured, so only their
// targets are taken.
func (h *Handler) setTarget(c *fiber.Ctx) error {
	v := h.newView(c, "indicators")
	in, ok := indicator.ByID(c.FormValue("indicator"))
	year, yerr := strconv.Atoi(strings.TrimSpace(c.FormValue("year")))
	target, terr := optionalNumber(c.FormValue("target"))
	actual, aerr := optionalNumber(c.FormValue("actual"))
	if !ok || yerr != nil || year < 2000 || year > 2100 || terr != nil || aerr != nil || (in.Percent && target != nil && (*target < 0 || *target > 100)) {
		d, err := h.indicatorsFor(c, v, string(unit.Nation))
		if err != nil {
			return h.serverError(c, err)
		}
		d.Error = v.T("dash.target_invalid")
		v.Title, v.Data = v.T("dash.nav.indicators"), d
		c.Status(fiber.StatusBadRequest)
		return h.render(c, "indicators", v)
	}
	if in.Percent {
		actual = nil
	}
	// An empty field keeps the figure already stored, so entering this year's official count
	// does not wipe its target.
	ts, err := h.cfg.Store.Targets(c.UserContext())
	if err != nil {
		return h.serverError(c, err)
	}
	for _, t := range ts {
		if t.Indicator == in.ID && t.Year == year {
			if target == nil {
				target = t.Target
			}
			if actual == nil && !in.Percent {
				actual = t.Actual
			}
		}
	}
	err = h.cfg.Store.SetTarget(c.UserContext(), store.Target{Indicator: in.ID, Year: year, Target: target, Actual: actual})
	if errors.Is(err, store.ErrInvalid) {
		return h.fail(c, fiber.StatusBadRequest, "dash.target_invalid")
	}
	if err != nil {
		return h.serverError(c, err)
	}
	h.cfg.Logger.Info("target set", "indicator", in.ID, "year", year, "user", user(c).Name)
	return c.Redirect(Prefix+"/indicators?saved=1", fiber.StatusSeeOther)
}

// optionalNumber reads a figure typed by a person: spaces, no-break spaces and thousands commas
// are ignored, a decimal comma is accepted; empty is nil.
func optionalNumber(s string) (*float64, error) {
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "").Replace(strings.TrimSpace(s))
	if s == "" {
		return nil, nil
	}
	if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") && len(s)-strings.Index(s, ",") != 4 {
		s = strings.Replace(s, ",", ".", 1)
	}
	s = strings.ReplaceAll(s, ",", "")
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return nil, errors.New("not a number")
	}
	return &f, nil
}
