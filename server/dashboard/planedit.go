package dashboard

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"talbar/server/annualplan"
	"talbar/server/store"
)

// planFormRow is one activity's line of the plan form: what it holds or was typed, and the
// translated message for each wrong field.
type planFormRow struct {
	ID, Title, Measure    string
	H1, H2, Funding, Cost string
	Errs                  map[string]string
}

type planEditData struct {
	Unit, UnitName string
	Year           int
	Years          []int
	Units          []string
	Level          string
	Base           int
	Rows           []planFormRow
	Fundings       []string
	History        []planChangeRow
	Saved          bool
	Error          string
	// Problems lists every wrong cell of a refused spreadsheet.
	Problems []string
}

type planChangeRow struct {
	Version        int
	At, By, Source string
	Activity       string
	Before, After  string
}

// planTarget reads and checks the unit and year a plan form or file is for.
func (h *Handler) planTarget(c *fiber.Ctx, unitQ, yearQ string) (string, int, annualplan.Level, int) {
	code, st := h.scopeUnit(c, unitQ)
	if st != 0 {
		return "", 0, "", st
	}
	level, ok := annualplan.LevelOf(h.cfg.Units, code)
	if !ok {
		return "", 0, "", fiber.StatusBadRequest
	}
	year, err := strconv.Atoi(yearQ)
	if err != nil || year < annualplan.FirstYear || year > 2100 {
		year = h.cfg.Now().Year()
	}
	return code, year, level, 0
}

// planLines are the activities a unit may plan in a year, with its current lines.
func planLines(v *view, level annualplan.Level, year int, items []annualplan.Item) []planFormRow {
	cur := map[string]annualplan.Item{}
	for _, it := range items {
		cur[it.Activity] = it
	}
	var rows []planFormRow
	for _, a := range annualplan.Activities {
		if a.Why(level, year) != "" {
			continue
		}
		r := planFormRow{ID: a.ID, Title: v.T("dash.plan." + a.ID), Measure: v.T("plan.measure." + string(a.Measure)), Errs: map[string]string{}}
		if it, ok := cur[a.ID]; ok {
			r.H1, r.H2, r.Funding = strconv.FormatInt(it.H1, 10), strconv.FormatInt(it.H2, 10), it.Funding
			if it.CostMNT != nil {
				r.Cost = strconv.FormatInt(*it.CostMNT, 10)
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// planEditData builds the form page; rows, when given, are what was typed into a refused form.
func (h *Handler) planEditData(c *fiber.Ctx, v *view, code string, year int, level annualplan.Level, rows []planFormRow) (planEditData, error) {
	p, err := h.cfg.Plans.AnnualPlan(c.UserContext(), code, year)
	if err != nil {
		return planEditData{}, fmt.Errorf("plan of %s: %w", code, err)
	}
	d := planEditData{Unit: code, UnitName: v.UnitName(code), Year: year, Years: h.years(), Units: h.editableUnits(v),
		Level: v.T("plan.level." + string(level)), Base: p.Version, Fundings: annualplan.Fundings}
	d.Rows = rows
	if d.Rows == nil {
		d.Rows = planLines(v, level, year, p.Items)
	}
	hist, err := h.cfg.Plans.AnnualPlanHistory(c.UserContext(), code, year, 60)
	if err != nil {
		return d, fmt.Errorf("plan history: %w", err)
	}
	for _, ch := range hist {
		at := ch.At
		d.History = append(d.History, planChangeRow{Version: ch.Version, At: v.Since(&at), By: ch.By, Source: v.T("plan.source." + ch.Source),
			Activity: ch.Activity, Before: h.itemText(v, ch.Before), After: h.itemText(v, ch.After)})
	}
	return d, nil
}

// editableUnits are the plan units the user may change.
func (h *Handler) editableUnits(v *view) []string {
	var out []string
	for _, c := range annualplan.Units(h.cfg.Units) {
		if h.mayPlan(v.User, c) {
			out = append(out, c)
		}
	}
	return out
}

// itemText is one plan line in words, for the history.
func (h *Handler) itemText(v *view, it *annualplan.Item) string {
	if it == nil {
		return "—"
	}
	s := v.T("plan.item_text", v.N(it.H1), v.N(it.H2))
	if it.Funding != "" {
		s += "; " + v.T("plan.funding."+it.Funding)
	}
	if it.CostMNT != nil {
		s += "; " + v.N(*it.CostMNT) + " ₮"
	}
	return s
}

func (h *Handler) planEdit(c *fiber.Ctx) error {
	code, year, level, st := h.planTarget(c, c.Query("unit"), c.Query("year"))
	if st != 0 {
		return h.scopeFail(c, st)
	}
	if !h.mayPlan(user(c), code) {
		return h.fail(c, fiber.StatusForbidden, "error.forbidden")
	}
	v := h.newView(c, "plan")
	d, err := h.planEditData(c, v, code, year, level, nil)
	if err != nil {
		return h.serverError(c, err)
	}
	d.Saved = c.Query("saved") == "1"
	return h.renderPlanEdit(c, v, d)
}

func (h *Handler) renderPlanEdit(c *fiber.Ctx, v *view, d planEditData) error {
	v.Title = v.T("plan.edit", d.UnitName, d.Year)
	v.Data = d
	return h.render(c, "plan_edit", v)
}

// parsePlanForm reads the form's lines and checks them, putting a message beside each wrong
// field; ok is false when any is wrong.
func parsePlanForm(c *fiber.Ctx, v *view, level annualplan.Level, year int) ([]planFormRow, []annualplan.Item, bool) {
	rows := planLines(v, level, year, nil)
	items := make([]annualplan.Item, 0, len(rows))
	ok := true
	for i := range rows {
		r := &rows[i]
		r.H1, r.H2 = strings.Clone(c.FormValue("h1."+r.ID)), strings.Clone(c.FormValue("h2."+r.ID))
		r.Funding, r.Cost = strings.Clone(c.FormValue("funding."+r.ID)), strings.Clone(c.FormValue("cost."+r.ID))
		it := annualplan.Item{Activity: r.ID, Funding: r.Funding}
		for _, f := range []struct {
			name string
			s    string
			to   *int64
		}{{"h1", r.H1, &it.H1}, {"h2", r.H2, &it.H2}} {
			n, key := annualplan.ParseWhole(f.s)
			if key != "" {
				r.Errs[f.name] = v.T(key)
				ok = false
			} else if n != nil {
				*f.to = *n
			}
		}
		if n, key := annualplan.ParseWhole(r.Cost); key != "" {
			r.Errs["cost_mnt"] = v.T(key)
			ok = false
		} else {
			it.CostMNT = n
		}
		items = append(items, it)
	}
	for _, p := range annualplan.Check(level, year, items) {
		for i := range rows {
			if rows[i].ID == p.Activity && rows[i].Errs[p.Field] == "" {
				rows[i].Errs[p.Field] = v.T(p.Key, p.Args...)
			}
		}
		ok = false
	}
	return rows, items, ok
}

func (h *Handler) savePlan(c *fiber.Ctx) error {
	code, year, level, st := h.planTarget(c, strings.Clone(c.FormValue("unit")), strings.Clone(c.FormValue("year")))
	if st != 0 {
		return h.scopeFail(c, st)
	}
	if !h.mayPlan(user(c), code) {
		return h.fail(c, fiber.StatusForbidden, "error.forbidden")
	}
	v := h.newView(c, "plan")
	base, _ := strconv.Atoi(c.FormValue("base"))
	rows, items, ok := parsePlanForm(c, v, level, year)
	if !ok {
		h.cfg.Logger.Info("plan refused", "unit", code, "year", year, "user", user(c).Name)
		return h.refusePlan(c, v, code, year, level, rows, "plan.form_invalid", nil)
	}
	return h.storePlan(c, v, code, year, level, items, "form", base, rows)
}

// storePlan saves checked lines and redirects to the form (POST, redirect, GET); a plan saved
// by someone else meanwhile is not overwritten.
func (h *Handler) storePlan(c *fiber.Ctx, v *view, code string, year int, level annualplan.Level, items []annualplan.Item, source string, base int, rows []planFormRow) error {
	ver, err := h.cfg.Plans.SaveAnnualPlan(c.UserContext(), code, year, items, user(c).Name, source, base)
	if errors.Is(err, store.ErrStaleVersion) {
		cur, _ := h.cfg.Plans.AnnualPlan(c.UserContext(), code, year)
		c.Status(fiber.StatusConflict)
		return h.refusePlan(c, v, code, year, level, rows, "", func(d *planEditData) {
			d.Error = v.T("plan.err.conflict", cur.By, v.Since(&cur.At))
		})
	}
	if err != nil {
		return h.serverError(c, err)
	}
	h.cfg.Logger.Info("plan saved", "unit", code, "year", year, "version", ver, "source", source, "user", user(c).Name)
	q := url.Values{"unit": {code}, "year": {strconv.Itoa(year)}, "saved": {"1"}}
	return c.Redirect(Prefix+"/plan/edit?"+q.Encode(), fiber.StatusSeeOther)
}

// refusePlan shows the form again as typed with a message (400 unless a status is set).
func (h *Handler) refusePlan(c *fiber.Ctx, v *view, code string, year int, level annualplan.Level, rows []planFormRow, key string, edit func(*planEditData)) error {
	d, err := h.planEditData(c, v, code, year, level, rows)
	if err != nil {
		return h.serverError(c, err)
	}
	if key != "" {
		d.Error = v.T(key)
	}
	if edit != nil {
		edit(&d)
	}
	if c.Response().StatusCode() == fiber.StatusOK {
		c.Status(fiber.StatusBadRequest)
	}
	return h.renderPlanEdit(c, v, d)
}

// Plan spreadsheet columns.
const (
	colID = iota + 1
	colTitle
	colMeasure
	colH1
	colH2
	colFunding
	colCost
)

var planFieldCol = map[string]int{"activity": colID, "h1": colH1, "h2": colH2, "funding": colFunding, "cost_mnt": colCost}

// planTemplate answers the plan of a unit and year as an XLSX to fill in offline: one line per
// activity the unit may plan that year, with its current figures, the funding source chosen
// from a list, and a second sheet naming the unit and year so an upload can check them.
func (h *Handler) planTemplate(c *fiber.Ctx) error {
	code, year, level, st := h.planTarget(c, c.Query("unit"), c.Query("year"))
	if st != 0 {
		return h.scopeFail(c, st)
	}
	if h.cfg.Plans == nil {
		return h.fail(c, fiber.StatusNotFound, "dash.page_not_found")
	}
	v := h.newView(c, "plan")
	p, err := h.cfg.Plans.AnnualPlan(c.UserContext(), code, year)
	if err != nil {
		return h.serverError(c, err)
	}
	b, err := planWorkbook(v, code, year, p.Version, planLines(v, level, year, p.Items))
	if err != nil {
		return h.serverError(c, err)
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="talbar-plan-%s-%d.xlsx"`, code, year))
	h.secureHeaders(c)
	return c.Send(b)
}

func planWorkbook(v *view, code string, year, version int, rows []planFormRow) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := v.T("plan.xlsx.sheet")
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, fmt.Errorf("name sheet: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return nil, fmt.Errorf("header style: %w", err)
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return nil, fmt.Errorf("text style: %w", err)
	}
	head := []string{v.T("plan.xlsx.id"), v.T("dash.activity"), v.T("plan.measure"), v.T("plan.planned_h1"), v.T("plan.planned_h2"),
		v.T("plan.funding"), v.T("plan.cost")}
	widths := []float64{7, 60, 26, 14, 14, 40, 16}
	for i, s := range head {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellValue(sheet, cell, s); err != nil {
			return nil, fmt.Errorf("header: %w", err)
		}
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sheet, col, col, widths[i]); err != nil {
			return nil, fmt.Errorf("width: %w", err)
		}
	}
	if err := f.SetCellStyle(sheet, "A1", "G1", bold); err != nil {
		return nil, fmt.Errorf("header style: %w", err)
	}
	var labels []string
	fundingLabel := map[string]string{}
	for _, fu := range annualplan.Fundings {
		fundingLabel[fu] = v.T("plan.funding." + fu)
		labels = append(labels, fundingLabel[fu])
	}
	for i, r := range rows {
		n := i + 2
		vals := []any{r.ID, r.Title, r.Measure, cellNum(r.H1), cellNum(r.H2), fundingLabel[r.Funding], cellNum(r.Cost)}
		for j, x := range vals {
			cell, _ := excelize.CoordinatesToCellName(j+1, n)
			if err := f.SetCellValue(sheet, cell, x); err != nil {
				return nil, fmt.Errorf("line %s: %w", r.ID, err)
			}
		}
		// The number stays text ("2.10" is not 2.1).
		if err := f.SetCellStyle(sheet, fmt.Sprintf("A%d", n), fmt.Sprintf("C%d", n), text); err != nil {
			return nil, fmt.Errorf("text cells: %w", err)
		}
	}
	last := len(rows) + 1
	if len(rows) > 0 {
		dv := excelize.NewDataValidation(true)
		dv.Sqref = fmt.Sprintf("F2:F%d", last)
		if err := dv.SetDropList(labels); err != nil {
			return nil, fmt.Errorf("funding list: %w", err)
		}
		if err := f.AddDataValidation(sheet, dv); err != nil {
			return nil, fmt.Errorf("funding list: %w", err)
		}
		whole := excelize.NewDataValidation(true)
		whole.Sqref = fmt.Sprintf("D2:E%d G2:G%d", last, last)
		if err := whole.SetRange(0, float64(annualplan.MaxCostMNT), excelize.DataValidationTypeWhole, excelize.DataValidationOperatorBetween); err != nil {
			return nil, fmt.Errorf("whole numbers: %w", err)
		}
		whole.SetError(excelize.DataValidationErrorStyleStop, v.T("plan.xlsx.whole_title"), v.T("plan.err.whole"))
		if err := f.AddDataValidation(sheet, whole); err != nil {
			return nil, fmt.Errorf("whole numbers: %w", err)
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, fmt.Errorf("freeze header: %w", err)
	}
	about := v.T("plan.xlsx.about")
	if _, err := f.NewSheet(about); err != nil {
		return nil, fmt.Errorf("about sheet: %w", err)
	}
	for i, kv := range [][2]any{{"unit", code}, {"year", year}, {"version", version}, {v.T("dash.unit"), v.UnitName(code)}} {
		if err := f.SetSheetRow(about, fmt.Sprintf("A%d", i+1), &[]any{kv[0], kv[1]}); err != nil {
			return nil, fmt.Errorf("about sheet: %w", err)
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("write xlsx: %w", err)
	}
	return buf.Bytes(), nil
}

// cellNum is a figure for a spreadsheet cell: a number, or empty.
func cellNum(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	return nil
}

// maxPlanFile bounds an uploaded plan: the template is about 10 KB.
const maxPlanFile = 2 << 20

// uploadPlan reads a filled-in template, checks every cell and saves the plan only when all
// are right; otherwise it lists each wrong cell by its address, in the user's language.
func (h *Handler) uploadPlan(c *fiber.Ctx) error {
	code, year, level, st := h.planTarget(c, strings.Clone(c.FormValue("unit")), strings.Clone(c.FormValue("year")))
	if st != 0 {
		return h.scopeFail(c, st)
	}
	if !h.mayPlan(user(c), code) {
		return h.fail(c, fiber.StatusForbidden, "error.forbidden")
	}
	v := h.newView(c, "plan")
	refuse := func(problems []string, key string, args ...any) error {
		h.cfg.Logger.Info("plan file refused", "unit", code, "year", year, "user", user(c).Name, "problems", len(problems))
		return h.refusePlan(c, v, code, year, level, nil, "", func(d *planEditData) {
			d.Error = v.T(key, args...)
			d.Problems = problems
		})
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return refuse(nil, "plan.err.file_missing")
	}
	if fh.Size > maxPlanFile {
		return refuse(nil, "plan.err.file_large")
	}
	fr, err := fh.Open()
	if err != nil {
		return h.serverError(c, err)
	}
	defer fr.Close()
	data, err := io.ReadAll(io.LimitReader(fr, maxPlanFile+1))
	if err != nil {
		return h.serverError(c, err)
	}
	items, base, problems, key := readPlanWorkbook(v, data, code, year, level)
	if key != "" {
		return refuse(nil, key)
	}
	if len(problems) > 0 {
		return refuse(problems, "plan.err.file_cells", len(problems))
	}
	return h.storePlan(c, v, code, year, level, items, "xlsx", base, nil)
}

// readPlanWorkbook reads and checks a plan spreadsheet for code and year. key is set when the
// file as a whole is wrong (not a spreadsheet, another unit's or year's plan); problems lists
// the wrong cells.
func readPlanWorkbook(v *view, data []byte, code string, year int, level annualplan.Level) (items []annualplan.Item, base int, problems []string, key string) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, 0, nil, "plan.err.file_not_xlsx"
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, 0, nil, "plan.err.file_not_xlsx"
	}
	// The about sheet, in either language, names the unit and year the template was made for.
	for _, s := range sheets[1:] {
		meta, err := f.GetRows(s)
		if err != nil {
			continue
		}
		kv := map[string]string{}
		for _, r := range meta {
			if len(r) >= 2 {
				kv[strings.TrimSpace(r[0])] = strings.TrimSpace(r[1])
			}
		}
		if u, ok := kv["unit"]; ok {
			if u != code || kv["year"] != strconv.Itoa(year) {
				return nil, 0, []string{v.T("plan.err.file_other_plan", v.UnitName(u), kv["year"])}, ""
			}
			base, _ = strconv.Atoi(kv["version"])
		}
	}
	rows, err := f.GetRows(sheets[0], excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, 0, nil, "plan.err.file_not_xlsx"
	}
	fundingByText := map[string]string{}
	for _, fu := range annualplan.Fundings {
		fundingByText[strings.ToLower(fu)] = fu
		for _, lang := range []string{"mn", "en"} {
			fundingByText[strings.ToLower(v.h.cfg.Catalog.T(lang, "plan.funding."+fu))] = fu
		}
	}
	titleToID := map[string]string{}
	for _, a := range annualplan.Activities {
		for _, lang := range []string{"mn", "en"} {
			titleToID[strings.TrimSpace(v.h.cfg.Catalog.T(lang, "dash.plan."+a.ID))] = a.ID
		}
	}
	cellName := func(col, row int) string { n, _ := excelize.CoordinatesToCellName(col, row); return n }
	bad := func(col, row int, msg string) {
		problems = append(problems, v.T("plan.err.cell", cellName(col, row), msg))
	}
	rowOf := map[string]int{}
	get := func(r []string, col int) string {
		if col-1 < len(r) {
			return strings.TrimSpace(r[col-1])
		}
		return ""
	}
	for i, r := range rows {
		n := i + 1
		if n == 1 {
			continue
		}
		id := get(r, colID)
		if _, ok := annualplan.Find(id); !ok {
			if t, ok := titleToID[get(r, colTitle)]; ok {
				id = t
			}
		}
		h1s, h2s, fus, costs := get(r, colH1), get(r, colH2), get(r, colFunding), get(r, colCost)
		if id == "" && h1s == "" && h2s == "" && fus == "" && costs == "" {
			continue
		}
		if _, ok := annualplan.Find(id); !ok {
			bad(colID, n, v.T("plan.err.activity_unknown", id))
			continue
		}
		it := annualplan.Item{Activity: id}
		okRow := true
		for _, q := range []struct {
			col int
			s   string
			to  *int64
		}{{colH1, h1s, &it.H1}, {colH2, h2s, &it.H2}} {
			x, k := annualplan.ParseWhole(q.s)
			if k != "" {
				bad(q.col, n, v.T(k))
				okRow = false
			} else if x != nil {
				*q.to = *x
			}
		}
		if x, k := annualplan.ParseWhole(costs); k != "" {
			bad(colCost, n, v.T(k))
			okRow = false
		} else {
			it.CostMNT = x
		}
		if fus != "" {
			fu, ok := fundingByText[strings.ToLower(fus)]
			if !ok {
				bad(colFunding, n, v.T("plan.err.funding"))
				okRow = false
			}
			it.Funding = fu
		}
		if okRow {
			rowOf[id] = n
			items = append(items, it)
		}
	}
	for _, p := range annualplan.Check(level, year, items) {
		bad(planFieldCol[p.Field], rowOf[p.Activity], v.T(p.Key, p.Args...))
	}
	return items, base, problems, ""
}
