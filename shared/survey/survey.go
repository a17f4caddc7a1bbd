// Package survey is the survey catalogue: the questions a survey asks, in both languages, as data
// headquarters edits (docs/survey.md). Each version is a complete questionnaire; a new programme
// year gets a new version, and an answer keeps the version it was asked under, so old answers are
// read and checked against the questions their respondents saw. The server sends the catalogue to
// devices as reference data, so a new question needs no app release.
package survey

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"

	"talbar/shared/record"
)

// Text is one wording in both languages.
type Text struct {
	MN string `json:"mn"`
	EN string `json:"en"`
}

// In returns the text in lang, Mongolian for any language but English.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.MN
}

// Option is one answer a question offers.
type Option struct {
	Code string `json:"code"`
	MN   string `json:"mn"`
	EN   string `json:"en"`
}

// Label returns the option's words in lang.
func (o Option) Label(lang string) string { return Text{o.MN, o.EN}.In(lang) }

// Roles tie a question to what the programme measures with it, so the indicators and reports
// find their question whatever its place in a version.
const (
	RoleInfoAccess   = "info_access"  // Annex 2 indicator 3 (l.461): yes / partly / no
	RoleSatisfaction = "satisfaction" // Annex 2 indicator 4 (l.462): 1-5
	RoleSources      = "sources"      // where people get information (Table 2, l.307-320)
	RoleKnowledge    = "knowledge"    // chapter 5's knowledge, attitude and perception (l.411)
	RoleAttitude     = "attitude"
	RolePerception   = "perception"
	RoleSuggestion   = "suggestion" // citizens' suggestions (§2.2 l.240-242)
)

// Question is one question of a version.
type Question struct {
	ID       string   `json:"id"` // the answer's wire field
	Kind     string   `json:"kind"`
	Role     string   `json:"role,omitempty"`
	Required bool     `json:"required,omitempty"`
	Max      int      `json:"max,omitempty"` // text questions: longest answer in characters
	Text     Text     `json:"text"`
	Options  []Option `json:"options,omitempty"`
	AskText  *Text    `json:"ask_text,omitempty"`
	Positive []string `json:"positive,omitempty"` // option codes reports count as the favourable answer
}

// Option returns the option with code.
func (q Question) Option(code string) (Option, bool) {
	for _, o := range q.Options {
		if o.Code == code {
			return o, true
		}
	}
	return Option{}, false
}

// Version is one complete questionnaire.
type Version struct {
	Version   int        `json:"version"`
	Year      int        `json:"year"` // the first programme year it is asked in
	Title     Text       `json:"title"`
	Questions []Question `json:"questions"`
}

// Question returns the question id of the version.
func (v Version) Question(id string) (Question, bool) {
	for _, q := range v.Questions {
		if q.ID == id {
			return q, true
		}
	}
	return Question{}, false
}

// Catalogue is every version, oldest first.
type Catalogue struct {
	Versions []Version `json:"versions"`
}

// Latest returns the newest version; the zero Version for an empty catalogue.
func (c *Catalogue) Latest() Version {
	if c == nil || len(c.Versions) == 0 {
		return Version{}
	}
	return c.Versions[len(c.Versions)-1]
}

// Version returns version n.
func (c *Catalogue) Version(n int) (Version, bool) {
	if c == nil {
		return Version{}, false
	}
	for _, v := range c.Versions {
		if v.Version == n {
			return v, true
		}
	}
	return Version{}, false
}

// Questions implements record.Questionnaire.
func (c *Catalogue) Questions(n int) ([]record.Question, bool) {
	v, ok := c.Version(n)
	if !ok {
		return nil, false
	}
	out := make([]record.Question, len(v.Questions))
	for i, q := range v.Questions {
		codes := make([]string, len(q.Options))
		for j, o := range q.Options {
			codes[j] = o.Code
		}
		out[i] = record.Question{Field: q.ID, Kind: q.Kind, Options: codes, Max: q.Max, Required: q.Required}
	}
	return out, true
}

// VersionOf returns the catalogue version a survey's values were asked under: the one they name,
// or 1 for a survey from before the catalogue.
func VersionOf(values map[string]json.RawMessage) int {
	if n := record.Int(values, record.FieldCatalogueVersion); n > 0 {
		return int(n)
	}
	return 1
}

// Problem is one thing wrong with a catalogue. Where says which part ("version 3, question
// knows_voluntary, option yes"); Code is the translation key suffix "survey.err.<code>", and Arg
// the detail the message names.
type Problem struct {
	Version  int    `json:"version,omitempty"`
	Question string `json:"question,omitempty"`
	Code     string `json:"code"`
	Arg      string `json:"arg,omitempty"`
}

func (p Problem) Error() string {
	s := ""
	if p.Version > 0 {
		s += "version " + strconv.Itoa(p.Version) + ": "
	}
	if p.Question != "" {
		s += "question " + p.Question + ": "
	}
	s += p.Code
	if p.Arg != "" {
		s += " (" + p.Arg + ")"
	}
	return s
}

// Problem codes of a catalogue.
const (
	ErrSyntax          = "syntax"           // not JSON of the catalogue's form; Arg the decoder's words
	ErrEmpty           = "empty"            // no version
	ErrVersionOrder    = "version_order"    // versions not numbered 1, 2, 3 … in order
	ErrYear            = "year"             // year outside 2019-2100 or before the previous version's
	ErrNoTitle         = "no_title"         // title missing in a language
	ErrNoQuestions     = "no_questions"     // a version without questions
	ErrQuestionID      = "question_id"      // id not a-z, 0-9, _ (2-48), or a fixed field's name
	ErrDuplicateID     = "duplicate_id"     // two questions with one id in a version
	ErrKind            = "kind"             // kind not single, multi, scale or text
	ErrNoText          = "no_text"          // question text missing in a language
	ErrNoOptions       = "no_options"       // a choice question with fewer than two options
	ErrOptionCode      = "option_code"      // option code not a-z, 0-9, _, - (1-32); scale codes whole numbers
	ErrDuplicateOption = "duplicate_option" // two options with one code
	ErrOptionLabel     = "option_label"     // option label missing in a language
	ErrTextMax         = "text_max"         // a text question's max not 1-2000
	ErrRole            = "role"             // unknown role, or a role's question of the wrong form
	ErrRoleMissing     = "role_missing"     // info_access or satisfaction missing: the indicators need them
	ErrPositive        = "positive"         // a favourable code that is no option
	ErrChanged         = "changed"          // a published version differs from the stored one
	ErrNotNext         = "not_next"         // an added version is not the next number
)

var idPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{1,47}$`)
var codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_+-]{0,31}$`)

// Parse reads a catalogue and checks it (Check). The problems are nil when it is good.
func Parse(b []byte) (*Catalogue, []Problem) {
	var c Catalogue
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, []Problem{{Code: ErrSyntax, Arg: err.Error()}}
	}
	if ps := c.Check(); len(ps) > 0 {
		return nil, ps
	}
	return &c, nil
}

// ParseVersion reads one version, as headquarters uploads a new one.
func ParseVersion(b []byte) (Version, []Problem) {
	var v Version
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return Version{}, []Problem{{Code: ErrSyntax, Arg: err.Error()}}
	}
	return v, nil
}

// MustParse is Parse for the embedded default catalogue, where a problem is a build defect.
func MustParse(b []byte) *Catalogue {
	c, ps := Parse(b)
	if len(ps) > 0 {
		panic(fmt.Sprintf("survey catalogue: %v", ps))
	}
	return c
}

// Check returns every problem of the catalogue: each version complete and well-formed in both
// languages, numbered 1, 2, 3 … with years that do not go back, and each carrying the two
// questions the programme's indicators are measured with, in their form.
func (c *Catalogue) Check() []Problem {
	if len(c.Versions) == 0 {
		return []Problem{{Code: ErrEmpty}}
	}
	var out []Problem
	for i, v := range c.Versions {
		if v.Version != i+1 {
			out = append(out, Problem{Version: v.Version, Code: ErrVersionOrder, Arg: strconv.Itoa(i + 1)})
		}
		if i > 0 && v.Year < c.Versions[i-1].Year {
			out = append(out, Problem{Version: v.Version, Code: ErrYear, Arg: strconv.Itoa(v.Year)})
		}
		out = append(out, v.Check()...)
	}
	return out
}

// Check returns every problem of one version on its own.
func (v Version) Check() []Problem {
	var out []Problem
	bad := func(q, code, arg string) {
		out = append(out, Problem{Version: v.Version, Question: q, Code: code, Arg: arg})
	}
	if v.Year < 2019 || v.Year > 2100 {
		bad("", ErrYear, strconv.Itoa(v.Year))
	}
	if v.Title.MN == "" || v.Title.EN == "" {
		bad("", ErrNoTitle, "")
	}
	if len(v.Questions) == 0 {
		bad("", ErrNoQuestions, "")
	}
	seen := map[string]bool{}
	roles := map[string]bool{}
	for _, q := range v.Questions {
		if !idPattern.MatchString(q.ID) || !record.IsQuestionField(q.ID) {
			bad(q.ID, ErrQuestionID, q.ID)
			continue
		}
		if seen[q.ID] {
			bad(q.ID, ErrDuplicateID, q.ID)
		}
		seen[q.ID] = true
		if q.Text.MN == "" || q.Text.EN == "" {
			bad(q.ID, ErrNoText, "")
		}
		if q.AskText != nil && (q.AskText.MN == "" || q.AskText.EN == "") {
			bad(q.ID, ErrNoText, "ask_text")
		}
		switch q.Kind {
		case record.QuestionSingle, record.QuestionMulti, record.QuestionScale:
			if len(q.Options) < 2 {
				bad(q.ID, ErrNoOptions, "")
			}
			if q.Max != 0 {
				bad(q.ID, ErrTextMax, strconv.Itoa(q.Max))
			}
		case record.QuestionText:
			if len(q.Options) > 0 {
				bad(q.ID, ErrNoOptions, "text")
			}
			if q.Max < 1 || q.Max > record.MaxNotesLen {
				bad(q.ID, ErrTextMax, strconv.Itoa(q.Max))
			}
		default:
			bad(q.ID, ErrKind, q.Kind)
		}
		codes := map[string]bool{}
		for _, o := range q.Options {
			ok := codePattern.MatchString(o.Code)
			if q.Kind == record.QuestionScale {
				n, err := strconv.Atoi(o.Code)
				ok = err == nil && n >= 0 && n <= 100 && strconv.Itoa(n) == o.Code
			}
			if !ok {
				bad(q.ID, ErrOptionCode, o.Code)
			}
			if codes[o.Code] {
				bad(q.ID, ErrDuplicateOption, o.Code)
			}
			codes[o.Code] = true
			if o.MN == "" || o.EN == "" {
				bad(q.ID, ErrOptionLabel, o.Code)
			}
		}
		for _, p := range q.Positive {
			if !codes[p] {
				bad(q.ID, ErrPositive, p)
			}
		}
		switch q.Role {
		case "", RoleKnowledge, RoleAttitude, RolePerception:
		case RoleInfoAccess:
			if q.ID != "info_access" || q.Kind != record.QuestionSingle || !q.Required || !sameCodes(codes, "yes", "partly", "no") {
				bad(q.ID, ErrRole, q.Role)
			}
		case RoleSatisfaction:
			if q.ID != "satisfaction" || q.Kind != record.QuestionScale || !q.Required || !sameCodes(codes, "1", "2", "3", "4", "5") {
				bad(q.ID, ErrRole, q.Role)
			}
		case RoleSources:
			if q.Kind != record.QuestionMulti {
				bad(q.ID, ErrRole, q.Role)
			}
		case RoleSuggestion:
			if q.Kind != record.QuestionText {
				bad(q.ID, ErrRole, q.Role)
			}
		default:
			bad(q.ID, ErrRole, q.Role)
		}
		if roles[q.Role] && (q.Role == RoleInfoAccess || q.Role == RoleSatisfaction || q.Role == RoleSuggestion) {
			bad(q.ID, ErrRole, q.Role)
		}
		roles[q.Role] = true
	}
	for _, r := range []string{RoleInfoAccess, RoleSatisfaction} {
		if !roles[r] {
			bad("", ErrRoleMissing, r)
		}
	}
	return out
}

func sameCodes(have map[string]bool, want ...string) bool {
	if len(have) != len(want) {
		return false
	}
	for _, w := range want {
		if !have[w] {
			return false
		}
	}
	return true
}

// Add returns the catalogue with v as its next version, checking it as Check does; the stored
// versions are never changed, so answers keep the questions they were asked.
func (c *Catalogue) Add(v Version) (*Catalogue, []Problem) {
	next := len(c.Versions) + 1
	if v.Version != next {
		return nil, []Problem{{Version: v.Version, Code: ErrNotNext, Arg: strconv.Itoa(next)}}
	}
	out := &Catalogue{Versions: append(append([]Version(nil), c.Versions...), v)}
	if ps := out.Check(); len(ps) > 0 {
		return nil, ps
	}
	return out, nil
}

// JSON encodes the catalogue as the file under assets/survey is written: indent 1.
func (c *Catalogue) JSON() []byte {
	b, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		panic(err) // plain structs of strings and numbers
	}
	return append(b, '\n')
}
