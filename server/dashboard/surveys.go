package dashboard

import (
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"talbar/server/surveyresult"
	"talbar/shared/survey"
)

// The survey results page: for each catalogue question, the answers' counts and shares with the
// number who answered, by target group, unit or half-year (chapter 5, l.411), the citizens'
// suggestions summarised, and the catalogue's versions, to which headquarters' administrators
// add one by uploading its JSON (docs/survey.md).

type surveyRowView struct {
	Key, Label string
	N          string
	Cells      []string // "12 · 34,5%" per option
	Fav        string
	Total      bool
}

type surveyItemView struct {
	ID, Text, Role, Versions string
	Options                  []string
	Rows                     []surveyRowView
	Multi, HasFav            bool
}

type surveyVersionView struct {
	Version, Year, Questions int
	Title, Responses         string
}

type surveysData struct {
	Unit      string
	Units     []string
	Year      int
	Years     []int
	Half      int
	By        string
	Responses string
	ByLabel   string
	Items     []surveyItemView
	Sugg      surveyresult.Suggestions
	SuggUnits []surveyRowView
	Topics    []surveyRowView
	Recent    []surveyRowView
	Versions  []surveyVersionView
	Message   string
	Error     string
	Problems  []string
}

// maxCatalogueFile bounds an uploaded catalogue version.
const maxCatalogueFile = 256 << 10

func (h *Handler) surveys(c *fiber.Ctx) error { return h.renderSurveys(c, "", nil) }

func (h *Handler) renderSurveys(c *fiber.Ctx, errText string, problems []string) error {
	code, st := h.scopeUnit(c, c.Query("unit"))
	if st != 0 {
		return h.scopeFail(c, st)
	}
	v := h.newView(c, "surveys")
	q := surveyresult.Query{Unit: code, Year: h.yearQuery(c), By: c.Query("by")}
	if n, err := strconv.Atoi(c.Query("half")); err == nil && (n == 1 || n == 2) {
		q.Half = n
	}
	switch q.By {
	case surveyresult.ByUnit, surveyresult.ByHalf:
	default:
		q.By = surveyresult.ByGroup
	}
	if q.By == surveyresult.ByUnit && h.cfg.Units.IsLeaf(code) {
		q.By = surveyresult.ByGroup // a soum has no units below it
	}
	cat, err := h.cfg.Store.SurveyCatalogue(c.UserContext(), false)
	if err != nil {
		return h.serverError(c, err)
	}
	res, sugg, err := surveyresult.Compute(c.UserContext(), h.cfg.Store, h.cfg.Units, cat, q)
	if err != nil {
		return h.serverError(c, err)
	}
	d := surveysData{Unit: code, Units: h.unitChoices(v), Year: q.Year, Years: h.years(), Half: q.Half, By: q.By,
		Responses: v.N(int64(res.Responses)), ByLabel: v.T("survey.by." + q.By), Sugg: sugg, Error: errText, Problems: problems}
	if n, err := strconv.Atoi(c.Query("added")); err == nil {
		if ver, ok := cat.Version(n); ok {
			d.Message = v.T("survey.upload_done", ver.Version, len(ver.Questions))
		}
	}
	keyLabel := func(k string) string { return surveyKeyLabel(v, q.By, k) }
	for _, it := range res.Items {
		iv := surveyItemView{ID: it.Question.ID, Text: it.Question.Text.In(v.Lang), Role: it.Question.Role,
			Multi: it.Multi, HasFav: len(it.Question.Positive) > 0 && !it.Multi}
		var vs []string
		for _, n := range it.Versions {
			vs = append(vs, strconv.Itoa(n))
		}
		iv.Versions = strings.Join(vs, ", ")
		for _, o := range it.Question.Options {
			iv.Options = append(iv.Options, o.Label(v.Lang))
		}
		row := func(r surveyresult.Row, label string, total bool) surveyRowView {
			rv := surveyRowView{Key: r.Key, Label: label, N: v.N(int64(r.N)), Fav: v.Pct(r.Favourable), Total: total}
			for _, cell := range r.Cells {
				share := cell.Share
				var p *float64
				if r.N > 0 {
					p = &share
				}
				rv.Cells = append(rv.Cells, v.N(int64(cell.Count))+" · "+v.Pct(p))
			}
			return rv
		}
		iv.Rows = append(iv.Rows, row(it.Total, v.T("survey.all"), true))
		for _, r := range it.Rows {
			iv.Rows = append(iv.Rows, row(r, keyLabel(r.Key), false))
		}
		d.Items = append(d.Items, iv)
	}
	for _, u := range sugg.ByUnit {
		d.SuggUnits = append(d.SuggUnits, surveyRowView{Key: u.Key, Label: v.UnitName(u.Key), N: v.N(int64(u.Count))})
	}
	for _, t := range sugg.Topics {
		d.Topics = append(d.Topics, surveyRowView{Key: t.Key, Label: v.T("survey.topic." + t.Key), N: v.N(int64(t.Count))})
	}
	for _, s := range sugg.Recent {
		var topics []string
		for _, t := range s.Topics {
			topics = append(topics, v.T("survey.topic."+t))
		}
		d.Recent = append(d.Recent, surveyRowView{Key: s.ID, Label: s.Text,
			Cells: []string{v.FormatDate(s.Date), v.UnitName(s.Unit), surveyKeyLabel(v, surveyresult.ByGroup, s.TargetGroup), strings.Join(topics, ", ")}})
	}
	for _, ver := range cat.Versions {
		d.Versions = append(d.Versions, surveyVersionView{Version: ver.Version, Year: ver.Year, Questions: len(ver.Questions),
			Title: ver.Title.In(v.Lang), Responses: v.N(int64(res.ByVersion[ver.Version]))})
	}
	v.Title = v.T("survey.title")
	v.Data = d
	return h.render(c, "surveys", v)
}

// surveyKeyLabel names a breakdown value in the interface's language.
func surveyKeyLabel(v *view, by, key string) string {
	switch by {
	case surveyresult.ByUnit:
		return v.UnitName(key)
	case surveyresult.ByHalf:
		return v.T("dash.period.h" + key)
	}
	if key == "" {
		return v.T("survey.no_group")
	}
	return v.T("target_group." + key)
}

// surveyCatalogueJSON serves the catalogue as devices get it, for headquarters to start the
// next version from.
func (h *Handler) surveyCatalogueJSON(c *fiber.Ctx) error {
	cat, err := h.cfg.Store.SurveyCatalogue(c.UserContext(), true)
	if err != nil {
		return h.serverError(c, err)
	}
	c.Set(fiber.HeaderContentType, "application/json; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="survey-catalogue.json"`)
	return c.Send(cat.JSON())
}

// uploadSurveyVersion adds the uploaded version to the catalogue, or shows why not, problem by
// problem, in the user's language.
func (h *Handler) uploadSurveyVersion(c *fiber.Ctx) error {
	v := h.newView(c, "surveys")
	refuse := func(key string, problems []string) error {
		return h.renderSurveys(c, v.T(key), problems)
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return refuse("survey.err.file_missing", nil)
	}
	if fh.Size > maxCatalogueFile {
		return refuse("survey.err.file_large", nil)
	}
	fr, err := fh.Open()
	if err != nil {
		return h.serverError(c, err)
	}
	defer fr.Close()
	data, err := io.ReadAll(io.LimitReader(fr, maxCatalogueFile+1))
	if err != nil {
		return h.serverError(c, err)
	}
	ver, ps := survey.ParseVersion(data)
	if len(ps) == 0 {
		ps, err = h.cfg.Store.AddSurveyVersion(c.UserContext(), ver, "dashboard:"+user(c).Name)
		if err != nil {
			return h.serverError(c, err)
		}
	}
	if len(ps) > 0 {
		var msgs []string
		for _, p := range ps {
			msgs = append(msgs, h.cfg.Catalog.SurveyProblem(v.Lang, p))
		}
		h.cfg.Logger.Info("survey catalogue version refused", "user", user(c).Name, "problems", len(ps))
		return refuse("survey.upload_refused", msgs)
	}
	h.cfg.Logger.Info("survey catalogue version added", "version", ver.Version, "questions", len(ver.Questions), "user", user(c).Name)
	return c.Redirect("/dashboard/surveys?added="+strconv.Itoa(ver.Version), fiber.StatusSeeOther)
}
