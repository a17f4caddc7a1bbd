package record

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// FieldCatalogueVersion names, on a survey, the version of the survey catalogue its questions
// were asked under (shared/survey). A survey without it predates the catalogue: version 1.
const FieldCatalogueVersion = "catalogue_version"

// Problem codes of answers checked against a catalogue version.
const (
	ErrUnknownVersion  = "unknown_version"  // catalogue_version names no version the catalogue has
	ErrUnknownQuestion = "unknown_question" // the field is not a question of the version named
)

// Question kinds of the survey catalogue.
const (
	QuestionSingle = "single" // one option code, sent as text
	QuestionMulti  = "multi"  // a list of distinct option codes
	QuestionScale  = "scale"  // one option code, sent as a whole number ("1"…"5")
	QuestionText   = "text"   // free text of at most Max characters
)

// Question is one survey question of a catalogue version as validation needs it: the wire field
// of its answer, how it is answered and whether it must be.
type Question struct {
	Field    string
	Kind     string
	Options  []string // codes, for single, multi and scale
	Max      int      // longest text, for text
	Required bool
}

// Questionnaire gives the questions of each version of the survey catalogue; shared/survey's
// Catalogue is one. Validation asks it only for surveys that name their catalogue_version.
type Questionnaire interface {
	Questions(version int) ([]Question, bool)
}

// fixedSurvey are the fields of a survey that are not catalogue questions: who answered, when and
// where. Breakdowns by target group and unit rely on them, so they are not HQ-editable data.
var fixedSurvey = map[string]bool{
	"date": true, "unit": true, "event_id": true, "target_group": true, "age_band": true,
	"sex": true, "insurance_status": true, FieldDeleted: true, FieldCatalogueVersion: true,
}

// IsQuestionField reports whether a survey field is a catalogue question's answer (not one of
// the fixed fields of who, when and where).
func IsQuestionField(field string) bool { return !fixedSurvey[field] }

// catalogueSpec returns the field specs of a survey asked under the catalogue version named in
// fields: the fixed fields and that version's questions. ok is false when fields name no version
// (the survey is checked as before the catalogue); a problem is returned for a bad version.
func catalogueSpec(fields map[string]json.RawMessage, q Questionnaire) (spec map[string]fieldSpec, p *Problem, ok bool) {
	raw, has := fields[FieldCatalogueVersion]
	if !has || isNull(raw) {
		return nil, nil, false
	}
	v, good := integer(raw)
	if !good || v < 1 {
		return nil, &Problem{FieldCatalogueVersion, ErrInvalidType, "must be a catalogue version, a whole number from 1"}, true
	}
	qs, known := q.Questions(int(v))
	if !known {
		return nil, &Problem{FieldCatalogueVersion, ErrUnknownVersion, fmt.Sprintf("%d is not a version of this server's survey catalogue", v)}, true
	}
	spec = make(map[string]fieldSpec, len(fixedSurvey)+len(qs))
	for name := range fixedSurvey {
		spec[name] = surveySpec[name]
	}
	for _, x := range qs {
		spec[x.Field] = questionSpec(x)
	}
	return spec, nil, true
}

func questionSpec(q Question) fieldSpec {
	labels := make([]Label, len(q.Options))
	for i, c := range q.Options {
		labels[i] = Label{Code: c}
	}
	s := fieldSpec{required: q.Required, list: labels}
	switch q.Kind {
	case QuestionSingle:
		s.kind = fEnum
	case QuestionMulti:
		s.kind = fEnumList
	case QuestionScale:
		s.kind = fScaleCodes
	default:
		s.kind, s.max, s.multiline = fText, float64(q.Max), true
	}
	return s
}

// checkScaleCode checks a whole-number answer against the codes of a scale question.
func checkScaleCode(name string, s fieldSpec, raw json.RawMessage) *Problem {
	n, ok := integer(raw)
	if !ok {
		return &Problem{name, ErrInvalidType, "must be a whole number"}
	}
	if !Has(s.list, strconv.FormatInt(n, 10)) {
		return &Problem{name, ErrInvalidCode, fmt.Sprintf("%d is not one of %v", n, Codes(s.list))}
	}
	return nil
}

// fScaleCodes is a scale question of the catalogue: a whole number among its option codes.
const fScaleCodes fieldKind = 100
