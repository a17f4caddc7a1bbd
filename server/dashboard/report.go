package dashboard

import (
	"bytes"
	"cmp"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"talbar/server/store"
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

// objectiveRow is one objective of Annex 1 in section 3: its expected result ("Хүрэх үр дүн",
// l.418, 426, 444) and the activities planned under it for the period, done in full or not.
type objectiveRow struct {
	ID, Title, Result string
	Planned, Full     int
	Share             string
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
	// Channels and Topics are how the events reached people and what they explained (l.411
	// "хэрэгжүүлсэн арга зам").
	Channels []compareRow
	Topics   []compareRow
	// Objectives are the three objectives with Annex 1's expected result and how many of the
	// activities planned under each for the period were carried out in full (section 3).
	Objectives []objectiveRow
	Places     []placeRow
	// SurveyQs and SurveyGroups are section 5's knowledge, attitude and perception results by
	// target group (reportsurvey.go); SurveyN the surveys of the period.
	SurveyQs     []surveyQuestionHead
	SurveyGroups []surveyGroupRow
	SurveyN      int
	// SurveyCover is section 5's coverage by target group as the surveys see it: the insured
	// share of each group's respondents (the fund's coverage figure is national only).
	SurveyCover []surveyCoverRow
	MinAnswers  int
	// Deviations are the activities planned for the half whose done differs from the plan.
	Deviations []planRow
	// Notes are what the division (or, for a larger unit, each division below it) wrote into
	// each section; PrevRecs the previous half-year's recommendations, to follow up.
	Notes    map[string][]noteView
	PrevRecs []noteView
	// Editable: the user may write this unit's notes; Typed is its texts (as typed, when a
	// save was refused).
	Editable  bool
	Typed     map[string]string
	NoteError string
	Saved     bool
}

// noteView is one unit's text in a report section; Unit is empty for the report's own unit.
type noteView struct {
	Unit, Text, By, At string
}

// noteSections are the sections a division writes: why the plan was deviated from (2),
// feedback from partners and staff (4), and the evaluation's findings, recommendations and
// the measures taken (6).
var noteSections = []string{"deviations", "feedback", "findings", "recommendations", "measures"}

// maxNote bounds one section's text (about two pages).
const maxNote = 6000

// report is the half-year monitoring report of the programme's chapter 5, laid out to print:
// how far the plan was carried out, what changed, whether goals were reached, feedback (left for
// the division to write), and results in each target group.
func (h *Handler) report(c *fiber.Ctx) error {
	code, st := h.scopeUnit(c, c.Query("unit"))
	if st != 0 {
		return h.scopeFail(c, st)
	}
	return h.renderReport(c, code, h.yearQuery(c), reportHalf(c.Query("half")), nil, "")
}

// reportHalf reads which report is asked for: the first (1) or second (2) half-year, or 0 for
// the annual performance report for the Director's Council (order A/21 l.399).
func reportHalf(s string) int {
	switch s {
	case "2":
		return 2
	case "0", "year":
		return 0
	}
	return 1
}

// reportPeriods are a report's period and the one it is compared with and follows up.
func reportPeriods(year, half int) (p Period, prevYear int, prevP Period) {
	switch half {
	case 0:
		return ParsePeriod("year"), year - 1, ParsePeriod("year")
	case 2:
		return ParsePeriod("h2"), year, ParsePeriod("h1")
	}
	return ParsePeriod("h1"), year - 1, ParsePeriod("h2")
}

// renderReport draws the report; typed and errKey carry a refused notes form back.
func (h *Handler) renderReport(c *fiber.Ctx, code string, year, half int, typed map[string]string, errKey string) error {
	v := h.newView(c, "report")
	ctx := c.UserContext()
	p, prevYear, prevP := reportPeriods(year, half)
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
	var channels, topics []string
	for _, ch := range record.Channels {
		channels = append(channels, "channels."+ch.Code)
	}
	for _, tp := range record.Topics {
		topics = append(topics, "topics."+tp.Code)
	}
	d.Channels, d.Topics = cmp(channels...), cmp(topics...)
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
		split, ci := surveyDetail(v, indicator.All[i], x)
		d.KPIs = append(d.KPIs, reportKPI{
			indicatorYear: indicatorYear{Year: year, Target: x.Target, Actual: x.Actual, N: x.N, Status: x.Status, Basis: basisText(v, x.ID, x),
				Split: split, CI: ci},
			ID: x.ID, Name: v.T("indicator." + x.ID), Percent: indicator.All[i].Percent,
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
	for _, r := range d.Plan.Rows {
		if r.Planned != nil && *r.Planned > 0 && (r.Done == nil || *r.Done != *r.Planned) {
			d.Deviations = append(d.Deviations, r)
		}
	}
	d.Objectives = objectives(v, d.Plan.Rows)
	d.MinAnswers = indicator.MinAnswers
	if err := h.reportSurveys(ctx, v, &d, code, year, half); err != nil {
		return h.serverError(c, err)
	}
	if err := h.reportNotes(c, v, &d, code, year, half, prevYear, prevP, typed); err != nil {
		return h.serverError(c, err)
	}
	d.Saved = c.Query("saved") == "1"
	if errKey != "" {
		d.NoteError = v.T(errKey, maxNote)
		c.Status(fiber.StatusBadRequest)
	}
	v.Title = v.T("term.monitoring_report") + " — " + strconv.Itoa(year) + ", " + v.T("dash.period."+p.Code)
	v.Data = d
	if c.Query("format") == "xlsx" {
		return h.sendReportXLSX(c, v, d)
	}
	return h.render(c, "report", v)
}

// objectives sums the plan per objective for section 3: of the activities planned for the
// period (a planned quantity above 0), how many the field app shows done in full.
func objectives(v *view, rows []planRow) []objectiveRow {
	var out []objectiveRow
	for _, o := range []string{"1", "2", "3"} {
		r := objectiveRow{ID: o, Title: v.T("dash.objective." + o), Result: v.T("report.objective_result." + o)}
		for _, p := range rows {
			if p.Objective != o || p.Planned == nil || *p.Planned <= 0 {
				continue
			}
			r.Planned++
			if p.Done != nil && *p.Done >= *p.Planned {
				r.Full++
			}
		}
		if r.Planned > 0 {
			r.Share = v.T("report.objective_full", r.Full, r.Planned)
		}
		out = append(out, r)
	}
	return out
}

// reportNotes fills in what the divisions wrote for this half-year and the previous half's
// recommendations: the unit's own, and for the nation or the capital each division's below it.
func (h *Handler) reportNotes(c *fiber.Ctx, v *view, d *reportData, code string, year, half, prevYear int, prevP Period, typed map[string]string) error {
	d.Notes, d.Typed = map[string][]noteView{}, map[string]string{}
	d.Editable = h.cfg.Notes != nil && h.mayPlan(v.User, code)
	if h.cfg.Notes == nil {
		return nil
	}
	units := h.planUnitsUnder(code)
	if len(units) == 0 {
		units = []string{code}
	}
	view := func(n store.ReportNote) noteView {
		nv := noteView{Text: n.Text, By: n.By, At: v.Since(&n.At)}
		if n.Unit != code {
			nv.Unit = v.UnitName(n.Unit)
		}
		return nv
	}
	notes, err := h.cfg.Notes.ReportNotesOf(c.UserContext(), year, half, units)
	if err != nil {
		return fmt.Errorf("report notes: %w", err)
	}
	for _, n := range notes {
		d.Notes[n.Section] = append(d.Notes[n.Section], view(n))
		if n.Unit == code {
			d.Typed[n.Section] = n.Text
		}
	}
	prevHalf := map[string]int{"h1": 1, "h2": 2, "year": 0}[prevP.Code]
	prev, err := h.cfg.Notes.ReportNotesOf(c.UserContext(), prevYear, prevHalf, units)
	if err != nil {
		return fmt.Errorf("previous report notes: %w", err)
	}
	for _, n := range prev {
		if n.Section == "recommendations" {
			d.PrevRecs = append(d.PrevRecs, view(n))
		}
	}
	for k, t := range typed {
		d.Typed[k] = t
	}
	return nil
}

// saveReportNotes stores what a division wrote into the report's sections, then shows the
// report again (POST, redirect, GET). A text over the limit is refused with the texts kept.
func (h *Handler) saveReportNotes(c *fiber.Ctx) error {
	code, st := h.scopeUnit(c, strings.Clone(c.FormValue("unit")))
	if st != 0 {
		return h.scopeFail(c, st)
	}
	if h.cfg.Notes == nil || !h.mayPlan(user(c), code) {
		return h.fail(c, fiber.StatusForbidden, "error.forbidden")
	}
	year, err := strconv.Atoi(c.FormValue("year"))
	if err != nil || year < 2019 || year > 2100 {
		return h.fail(c, fiber.StatusBadRequest, "dash.year_invalid")
	}
	half := reportHalf(c.FormValue("half"))
	typed := map[string]string{}
	for _, s := range noteSections {
		typed[s] = strings.TrimSpace(strings.ReplaceAll(strings.Clone(c.FormValue("note."+s)), "\r\n", "\n"))
	}
	for _, t := range typed {
		if utf8.RuneCountInString(t) > maxNote {
			return h.renderReport(c, code, year, half, typed, "report.note_too_long")
		}
	}
	old, err := h.cfg.Notes.ReportNotesOf(c.UserContext(), year, half, []string{code})
	if err != nil {
		return h.serverError(c, err)
	}
	cur := map[string]string{}
	for _, n := range old {
		cur[n.Section] = n.Text
	}
	for _, s := range noteSections {
		if typed[s] == cur[s] {
			continue
		}
		if err := h.cfg.Notes.SaveReportNote(c.UserContext(), store.ReportNote{Unit: code, Year: year, Half: half, Section: s,
			Text: typed[s], By: user(c).Name}); err != nil {
			return h.serverError(c, err)
		}
	}
	h.cfg.Logger.Info("report notes saved", "unit", code, "year", year, "half", half, "user", user(c).Name)
	q := url.Values{"unit": {code}, "year": {strconv.Itoa(year)}, "half": {strconv.Itoa(half)}, "saved": {"1"}}
	return c.Redirect(Prefix+"/report?"+q.Encode()+"#report-notes", fiber.StatusSeeOther)
}

// noteBox is one section's written text, and its field for a user who may write it.
type noteBox struct {
	V        *view
	Section  string
	Notes    []noteView
	Editable bool
	Text     string
}

// NoteBox is the "note" partial's data for a section of the report on the page.
func (v *view) NoteBox(section string) noteBox {
	d, _ := v.Data.(reportData)
	return noteBox{V: v, Section: section, Notes: d.Notes[section], Editable: d.Editable, Text: d.Typed[section]}
}

// sendReportXLSX answers the report as a workbook headquarters can merge across divisions: one
// sheet with every section's table and text, in the page's order and words.
func (h *Handler) sendReportXLSX(c *fiber.Ctx, v *view, d reportData) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := v.T("report.xlsx.sheet")
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return h.serverError(c, err)
	}
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	wrap, _ := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	italic, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Italic: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	n := 0
	put := func(style int, vals ...any) {
		n++
		cell := fmt.Sprintf("A%d", n)
		_ = f.SetSheetRow(sheet, cell, &vals)
		last, _ := excelize.CoordinatesToCellName(max(len(vals), 1), n)
		_ = f.SetCellStyle(sheet, cell, last, style)
	}
	put(bold, v.Title)
	put(wrap, v.UnitName(d.Unit))
	texts := func(section string) {
		for _, nt := range d.Notes[section] {
			who := nt.Unit
			if who == "" {
				who = v.UnitName(d.Unit)
			}
			put(wrap, who, nt.Text)
		}
	}
	n++
	put(bold, "1. "+v.T("dash.report.q1"))
	put(bold, "№", v.T("dash.activity"), v.T("plan.planned"), v.T("plan.done"), v.T("plan.share"))
	for _, r := range d.Plan.Rows {
		if r.Figures != nil || r.Planned != nil {
			put(wrap, r.ID, r.Title, r.PlannedText, r.DoneText, r.Share)
		}
	}
	n++
	put(bold, "2. "+v.T("dash.report.q2"))
	for _, r := range d.Deviations {
		put(wrap, r.ID, r.Title, r.PlannedText, r.DoneText, r.Share)
	}
	texts("deviations")
	n++
	put(bold, "3. "+v.T("dash.report.q3"))
	put(bold, v.T("report.objective"), v.T("report.expected_result"), v.T("report.objective_done"))
	for _, o := range d.Objectives {
		put(wrap, o.Title, o.Result, o.Share)
	}
	put(bold, v.T("term.indicator"), v.T("term.baseline"), v.T("term.target"), v.T("term.actual"), v.T("dash.status"), v.T("report.target_basis"), v.T("report.interval"))
	for _, k := range d.KPIs {
		put(wrap, k.Name, v.FV(k.Baseline, k.Percent)+" ("+strconv.Itoa(k.BaselineYear)+")", v.F(k.Target, k.Percent), v.F(k.Actual, k.Percent), v.T("status."+k.Status), k.Basis, k.CI)
	}
	n++
	put(bold, "4. "+v.T("dash.report.q4"))
	texts("feedback")
	n++
	put(bold, "5. "+v.T("dash.report.q5"))
	for _, rows := range [][]compareRow{d.Groups, d.Knowledge, d.Coverage, d.Kinds, d.Channels, d.Topics} {
		for _, r := range rows {
			put(wrap, r.Label, r.Now, r.Prev, r.Change)
		}
	}
	n++
	put(bold, v.T("report.survey.by_group"))
	if len(d.SurveyGroups) == 0 {
		put(wrap, v.T("report.survey.none"))
	} else {
		head := []any{v.T("survey.by.group")}
		for _, q := range d.SurveyQs {
			head = append(head, q.Role+": "+q.Text)
		}
		put(bold, head...)
		for _, r := range d.SurveyGroups {
			row := []any{r.Label}
			for _, c := range r.Cells {
				row = append(row, v.T("report.survey.cell", c.Share, c.N, cmp.Or(c.CI, "—")))
			}
			put(wrap, row...)
			for i, c := range r.Cells {
				if c.Few { // as on the page: a group under the minimum in italics
					cell, _ := excelize.CoordinatesToCellName(i+2, n)
					_ = f.SetCellStyle(sheet, cell, cell, italic)
				}
			}
		}
		put(wrap, v.T("report.survey.note", indicator.MinAnswers))
	}
	if len(d.SurveyCover) > 0 {
		n++
		put(bold, v.T("report.survey.coverage"))
		put(bold, v.T("survey.by.group"), v.T("report.survey.insured"), "n", v.T("report.interval"), v.T("report.survey.voluntary"))
		for _, r := range d.SurveyCover {
			put(wrap, r.Label, r.Share, r.N, cmp.Or(r.CI, "—"), r.Voluntary)
			if r.Few { // as on the page: a group under the minimum in italics
				from, _ := excelize.CoordinatesToCellName(2, n)
				to, _ := excelize.CoordinatesToCellName(5, n)
				_ = f.SetCellStyle(sheet, from, to, italic)
			}
		}
		put(wrap, v.T("report.survey.coverage_note", indicator.MinAnswers))
	}
	if len(d.Places) > 0 {
		n++
		put(bold, v.T("dash.report.places"))
		put(bold, v.T("dash.unit"), v.T("dash.m.events"), v.T("dash.m.reached"), v.T("dash.report.per_event"))
		for _, p := range d.Places {
			put(wrap, p.Name, p.Events, p.Reached, p.PerEvent)
		}
	}
	n++
	put(bold, "6. "+v.T("report.q6"))
	for _, s := range []string{"findings", "recommendations", "measures"} {
		put(bold, v.T("report.note."+s))
		texts(s)
	}
	put(bold, v.T("report.follow_up", d.PrevLabel))
	for _, nt := range d.PrevRecs {
		put(wrap, nt.Unit, nt.Text)
	}
	for col, w := range map[string]float64{"A": 28, "B": 60, "C": 16, "D": 16, "E": 14} {
		_ = f.SetColWidth(sheet, col, col, w)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return h.serverError(c, err)
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="talbar-report-%s-%d-h%d.xlsx"`, d.Unit, d.Year, d.Half))
	h.secureHeaders(c)
	return c.Send(buf.Bytes())
}
