package i18n

import (
	"strings"

	"talbar/shared/survey"
)

// SurveyProblem words one problem of a survey catalogue in lang: where it is (version,
// question) and what to do, so headquarters can fix the file it uploaded.
func (c *Catalog) SurveyProblem(lang string, p survey.Problem) string {
	var where []string
	if p.Version > 0 {
		where = append(where, c.T(lang, "survey.err.where_version", p.Version))
	}
	if p.Question != "" {
		where = append(where, c.T(lang, "survey.err.where_question", p.Question))
	}
	msg := c.T(lang, "survey.err."+p.Code)
	if strings.Contains(msg, "%s") {
		msg = c.T(lang, "survey.err."+p.Code, p.Arg)
	}
	if len(where) == 0 {
		return msg
	}
	return strings.Join(where, ", ") + ": " + msg
}
