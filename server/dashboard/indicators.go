package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

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
	// Split is the "no" and "partly" shares behind "cannot get enough information"; CI the
	// survey share's 95 % Wilson interval; Basis how the year's target was set.
	Split string
	CI    string
	Basis string
}

// surveyDetail is the split and the 95 % interval a survey share is shown with.
func surveyDetail(v *view, in indicator.Indicator, k indicator.KPI) (split, ci string) {
	if !in.Percent || k.Actual == nil || k.N == 0 {
		return "", ""
	}
	if k.InfoNo != nil {
		split = v.T("indicator.info_split", v.Pct(k.InfoNo), v.Pct(k.InfoPartly))
	}
	if k.CILow != nil && k.CIHigh != nil {
		ci = v.T("indicator.ci", strings.TrimSuffix(v.Pct(k.CILow), "%"), v.Pct(k.CIHigh))
	}
	return split, ci
}

// basisText says how a year's target was set: typed by headquarters, Annex 2's figure, or the
// programme's growth on the baseline, the previous year's actual or its target.
func basisText(v *view, id string, k indicator.KPI) string {
	g, _ := indicator.Growth(id)
	switch k.Basis {
	case indicator.BasisBaseline, indicator.BasisActual, indicator.BasisTarget:
		return v.T("indicator.basis."+k.Basis, k.BasisYear, g)
	case indicator.BasisEntered, indicator.BasisProgramme:
		return v.T("indicator.basis." + k.Basis)
	}
	return ""
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
	MinAnswers int
	Saved      bool
	Error      string
	// Form is what was typed into a refused form, with a message beside each wrong field.
	Form targetForm
	// BaselineForm is the same for the baseline form.
	BaselineForm baselineForm
}

// targetForm is the figures form as typed, and the translated message for each wrong field.
type targetForm struct {
	Indicator, Year, Target, Actual string
	YearError, TargetError          string
	ActualError                     string
}

// baselineForm is the baseline form as typed, and the translated message for each wrong field.
type baselineForm struct {
	Indicator, Year, Value string
	YearError, ValueError  string
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

// indicatorsFor judges every indicator in every year with indicator.Judge, the same rule /kpis uses.
func (h *Handler) indicatorsFor(c *fiber.Ctx, v *view, code string) (indicatorsData, error) {
	targets, err := h.cfg.Store.Targets(c.UserContext())
	if err != nil {
		return indicatorsData{}, fmt.Errorf("targets: %w", err)
	}
	baselines, err := h.cfg.Store.Baselines(c.UserContext())
	if err != nil {
		return indicatorsData{}, fmt.Errorf("baselines: %w", err)
	}
	years := h.indicatorYears(targets)
	d := indicatorsData{Unit: code, Units: h.unitChoices(v), Years: years, Indicators: indicator.All, FormYear: h.cfg.Now().Year(),
		MinAnswers: indicator.MinAnswers}
	byYear := map[int]indicator.KPIs{}
	targets = indicator.Resolve(targets, baselines)
	for _, y := range years {
		t, err := h.cfg.Store.Totals(c.UserContext(), code, y, 0)
		if err != nil {
			return d, fmt.Errorf("totals %s %d: %w", code, y, err)
		}
		byYear[y] = indicator.Judge(code, y, t, targets, baselines)
	}
	for i, in := range indicator.All {
		// The stored baseline, as indicator.Judge puts it into every year's KPI (the programme's
		// default only when the store has none); years is never empty.
		bl := byYear[years[0]].Indicators[i]
		r := indicatorRow{ID: in.ID, Name: v.T("indicator." + in.ID), Percent: in.Percent, LowerIsBetter: in.LowerIsBetter,
			Baseline: bl.Baseline, BaselineYear: bl.BaselineYear}
		cd := chartData{}
		actual, target := chartSeriesF{Label: v.T("term.actual")}, chartSeriesF{Label: v.T("term.target")}
		for _, y := range years {
			k := byYear[y].Indicators[i]
			split, ci := surveyDetail(v, in, k)
			r.Years = append(r.Years, indicatorYear{Year: y, Target: k.Target, Actual: k.Actual, N: k.N, Status: k.Status,
				Split: split, CI: ci, Basis: basisText(v, in.ID, k)})
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
// targets are taken. A refused form is shown again as typed, with a message beside each wrong
// field.
func (h *Handler) setTarget(c *fiber.Ctx) error {
	v := h.newView(c, "indicators")
	form := targetForm{Indicator: strings.Clone(c.FormValue("indicator")), Year: strings.Clone(c.FormValue("year")),
		Target: strings.Clone(c.FormValue("target")), Actual: strings.Clone(c.FormValue("actual"))}
	in, ok := indicator.ByID(form.Indicator)
	year, yerr := strconv.Atoi(strings.TrimSpace(form.Year))
	if yerr != nil || year < 2000 || year > 2100 {
		form.YearError = v.T("dash.year_invalid")
	}
	target, terr := optionalNumber(form.Target)
	if terr != nil {
		form.TargetError = v.T(numberErrorKey(terr))
	} else if ok && in.Percent && target != nil && *target > 100 {
		form.TargetError = v.T("dash.number_percent")
	}
	actual, aerr := optionalNumber(form.Actual)
	if aerr != nil {
		form.ActualError = v.T(numberErrorKey(aerr))
	}
	if !ok || form.YearError != "" || form.TargetError != "" || form.ActualError != "" {
		h.cfg.Logger.Info("target refused", "indicator", form.Indicator, "user", user(c).Name,
			"year_ok", form.YearError == "", "target_ok", form.TargetError == "", "actual_ok", form.ActualError == "")
		return h.refuseFigures(c, v, "dash.target_invalid", func(d *indicatorsData) {
			if ok {
				d.Form = form
			}
		})
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

// setBaseline replaces the value an indicator's progress is measured from and the year it was
// measured, so a new programme needs no code change. Both fields are required; a refused form
// is shown again as typed, with a message beside each wrong field.
func (h *Handler) setBaseline(c *fiber.Ctx) error {
	v := h.newView(c, "indicators")
	form := baselineForm{Indicator: strings.Clone(c.FormValue("indicator")), Year: strings.Clone(c.FormValue("year")),
		Value: strings.Clone(c.FormValue("value"))}
	in, ok := indicator.ByID(form.Indicator)
	year, yerr := strconv.Atoi(strings.TrimSpace(form.Year))
	if yerr != nil || year < 1990 || year > 2100 {
		form.YearError = v.T("dash.baseline_year_invalid")
	}
	value, verr := optionalNumber(form.Value)
	switch {
	case verr != nil:
		form.ValueError = v.T(numberErrorKey(verr))
	case value == nil:
		form.ValueError = v.T("dash.number_invalid")
	case ok && in.Percent && *value > 100:
		form.ValueError = v.T("dash.number_percent")
	}
	if !ok || form.YearError != "" || form.ValueError != "" {
		h.cfg.Logger.Info("baseline refused", "indicator", form.Indicator, "user", user(c).Name,
			"year_ok", form.YearError == "", "value_ok", form.ValueError == "")
		return h.refuseFigures(c, v, "dash.baseline_invalid", func(d *indicatorsData) {
			if ok {
				d.BaselineForm = form
			}
		})
	}
	err := h.cfg.Store.SetBaseline(c.UserContext(), store.Baseline{Indicator: in.ID, Year: year, Value: *value})
	if errors.Is(err, store.ErrInvalid) {
		return h.fail(c, fiber.StatusBadRequest, "dash.baseline_invalid")
	}
	if err != nil {
		return h.serverError(c, fmt.Errorf("set baseline %s %d: %w", in.ID, year, err))
	}
	h.cfg.Logger.Info("baseline set", "indicator", in.ID, "year", year, "user", user(c).Name)
	return c.Redirect(Prefix+"/indicators?saved=1", fiber.StatusSeeOther)
}

// Why a typed figure is refused; numberErrorKey names each one's message.
var (
	errNotNumber = errors.New("not a number")
	errNotFinite = errors.New("not a finite number")
	errNegative  = errors.New("negative")
)

// numberErrorKey is the catalogue key of the message shown beside a refused figure.
func numberErrorKey(err error) string {
	switch {
	case errors.Is(err, errNotFinite):
		return "dash.number_not_finite"
	case errors.Is(err, errNegative):
		return "dash.number_negative"
	}
	return "dash.number_invalid"
}

// plainNumber is the shape of a typed figure once spaces and thousands commas are gone: digits
// with an optional decimal point and exponent. strconv.ParseFloat alone would also take "Inf",
// "NaN" and hexadecimal floats.
var plainNumber = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// optionalNumber reads a figure typed by a person: spaces, no-break spaces and thousands commas
// are ignored, a decimal comma is accepted; empty is nil. Only finite, non-negative numbers are
// taken: an infinite target could not be written as JSON by /api/v1/pull and /api/v1/kpis.
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
	switch {
	case (err == nil || errors.Is(err, strconv.ErrRange)) && (math.IsInf(f, 0) || math.IsNaN(f)):
		return nil, fmt.Errorf("%q: %w", s, errNotFinite)
	case err != nil || !plainNumber.MatchString(s):
		return nil, fmt.Errorf("%q: %w", s, errNotNumber)
	case f < 0:
		return nil, fmt.Errorf("%q: %w", s, errNegative)
	}
	return &f, nil
}

// refuseFigures shows the national indicators page again with a refused form kept as typed.
func (h *Handler) refuseFigures(c *fiber.Ctx, v *view, errKey string, keep func(*indicatorsData)) error {
	d, err := h.indicatorsFor(c, v, string(unit.Nation))
	if err != nil {
		return h.serverError(c, err)
	}
	d.Error = v.T(errKey)
	keep(&d)
	v.Title, v.Data = v.T("dash.nav.indicators"), d
	c.Status(fiber.StatusBadRequest)
	return h.render(c, "indicators", v)
}
