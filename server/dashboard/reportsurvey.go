package dashboard

import (
	"context"
	"fmt"
	"strings"

	"talbar/server/surveyresult"
	"talbar/shared/indicator"
	"talbar/shared/survey"
)

// Section 5 of the half-year report asks for the knowledge, attitude and perception results in
// each target group (order A/21 l.411). They come from surveyresult.Compute, the same reading the
// survey page shows, so the two never disagree: per target group, the share giving a question's
// favourable answer, with the number who answered and the 95 % Wilson interval (a group of 12 is
// not read like one of 300; indicator.MinAnswers is the size a unit is judged on).

// surveyQuestionHead is one question column of the table.
type surveyQuestionHead struct {
	ID, Role, Text string
}

// surveyGroupCell is one group's result for one question.
type surveyGroupCell struct {
	Share string // "62.5%", "—" without answers
	N     string
	NV    int
	CI    string // "47.0–76.0%"
	Few   bool   // fewer answers than indicator.MinAnswers
}

// surveyGroupRow is one target group (Key "" is everyone).
type surveyGroupRow struct {
	Key, Label string
	Cells      []surveyGroupCell
}

// surveyCoverRow is one target group's insured share among its respondents (Key "" is everyone):
// coverage by group as the surveys see it, beside the fund's national coverage figure.
type surveyCoverRow struct {
	Key, Label string
	surveyGroupCell
	Voluntary string // the voluntary's share of the insured, "—" when none is insured
}

// surveyRoles are the roles section 5 shows, in the programme's order: knowledge, attitude,
// perception, then the two Annex 2 survey indicators for context.
var surveyRoles = []string{survey.RoleKnowledge, survey.RoleAttitude, survey.RolePerception, survey.RoleInfoAccess, survey.RoleSatisfaction}

// reportSurveys computes the knowledge and attitude table of the report's period.
// It fills d's SurveyQs, SurveyGroups, SurveyCover and SurveyN.
func (h *Handler) reportSurveys(ctx context.Context, v *view, d *reportData, code string, year, half int) error {
	cat, err := h.cfg.Store.SurveyCatalogue(ctx, false)
	if err != nil {
		return fmt.Errorf("report surveys: %w", err)
	}
	res, _, err := surveyresult.Compute(ctx, h.cfg.Store, h.cfg.Units, cat, surveyresult.Query{Unit: code, Year: year, Half: half, By: surveyresult.ByGroup})
	if err != nil {
		return fmt.Errorf("report surveys: %w", err)
	}
	var items []surveyresult.Item
	for _, role := range surveyRoles {
		for _, it := range res.Items {
			if it.Question.Role == role && len(it.Question.Positive) > 0 && !it.Multi {
				items = append(items, it)
			}
		}
	}
	var heads []surveyQuestionHead
	for _, it := range items {
		heads = append(heads, surveyQuestionHead{ID: it.Question.ID, Role: v.T("report.survey.role." + it.Question.Role), Text: it.Question.Text.In(v.Lang)})
	}
	d.SurveyQs = heads
	if res.Responses == 0 {
		return nil
	}
	share := func(p *float64, k, n int) surveyGroupCell {
		c := surveyGroupCell{Share: v.Pct(p), N: v.N(int64(n)), NV: n, Few: n < indicator.MinAnswers}
		if p != nil && n > 0 {
			lo, hi := indicator.Wilson(int64(k), int64(n))
			c.CI = strings.TrimSuffix(v.Pct(&lo), "%") + "–" + v.Pct(&hi)
		}
		return c
	}
	cell := func(r surveyresult.Row) surveyGroupCell { return share(r.Favourable, r.FavourableN, r.N) }
	for _, in := range res.Insurance {
		row := surveyCoverRow{Key: in.Key, Label: v.T("survey.all"), surveyGroupCell: share(in.InsuredShare(), in.Insured, in.N), Voluntary: v.Pct(in.VoluntaryShare())}
		if in.Key != "" {
			row.Label = surveyKeyLabel(v, surveyresult.ByGroup, in.Key)
		}
		d.SurveyCover = append(d.SurveyCover, row)
	}
	keys := append([]string{""}, res.Keys...)
	var rows []surveyGroupRow
	for _, k := range keys {
		row := surveyGroupRow{Key: k, Label: v.T("survey.all")}
		if k != "" {
			row.Label = surveyKeyLabel(v, surveyresult.ByGroup, k)
		}
		for _, it := range items {
			row.Cells = append(row.Cells, cell(it.Row(k)))
		}
		rows = append(rows, row)
	}
	d.SurveyGroups, d.SurveyN = rows, res.Responses
	return nil
}
