package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Problem codes. Each is also the translation key "err.<code>" so the server's rejection, the
// dashboard and the field app's forms say the same thing in Mongolian or English.
const (
	ErrRequired    = "required"
	ErrInvalidType = "invalid_type"
	ErrInvalidCode = "invalid_code"
	ErrNegative    = "negative"
	ErrTooLong     = "too_long"
	ErrInvalidDate = "invalid_date"
	ErrTooEarly    = "too_early"
	ErrTooLate     = "too_late"
	ErrOutOfRange  = "out_of_range"
	ErrUnknownUnit = "unknown_unit"
	ErrDuplicate   = "duplicate"
	// ErrOverTotal: a count of a breakdown (one target group, one sex, one age band, the messages
	// to one group) is more than the total it breaks down, or the breakdown's parts add up to more.
	ErrOverTotal = "over_total"
	// ErrDivisionOnly: the kind is division-level work (local TV and radio broadcasts, Annex 1
	// 2.5, level "О"), recorded by the aimag or district division's officers, not by a soum
	// inspector.
	ErrDivisionOnly = "division_only"
)

// DivisionOnly reports whether an event of kind is recorded by a division's officers only.
func DivisionOnly(kind string) bool { return kind == KindBroadcast }

// Limits from PROTOCOL.md's record tables, plus guards against typos that would wreck a total.
const (
	MaxPlaceLen      = 200
	MaxBaghLen       = 100 // a bagh or khoroo, typed: no reference list of them exists
	MaxNotesLen      = 2000
	MaxCount         = 1_000_000       // people or materials at one event
	MaxContributions = 100_000_000_000 // ₮ at one event
	MaxMessages      = 10_000_000      // SMS of one campaign: a whole aimag's insured, several times
	MaxBroadcasts    = 1000            // broadcasts recorded as one (a series)
	FieldDeleted     = "_deleted"      // the tombstone field of PROTOCOL.md
	dateLayout       = "2006-01-02"
)

// EarliestDate is the first day a record may carry: the programme began in 2019.
var EarliestDate = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)

// DateSlack is how far past today a date may lie: a device clock a little ahead, or an evening
// event recorded across the date line of a time zone, must not be refused.
const DateSlack = 24 * time.Hour

// LatestDate is the last date a record may carry when the clock reads now: tomorrow.
func LatestDate(now time.Time) time.Time {
	d := now.Add(DateSlack)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

// Mongolia's bounding box, for lat and lon.
const (
	MinLat, MaxLat = 41.5, 52.2
	MinLon, MaxLon = 87.7, 120.0
)

// Problem is one thing wrong with one field.
type Problem struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (p Problem) Error() string { return p.Field + ": " + p.Message }

// UnitChecker says whether a code names a soum or district. *unit.Tree satisfies it.
type UnitChecker interface {
	IsLeaf(code string) bool
}

// Options tune Validate.
type Options struct {
	// Create requires every required field, as the first upsert of a record must carry them.
	Create bool
	// Units, when set, checks that unit names a soum or district.
	Units UnitChecker
	// Latest, when set, is the last date allowed (see LatestDate): a mis-tapped year must not
	// reach the national figures.
	Latest time.Time
	// Survey, when set, checks a survey that names its catalogue_version against that version's
	// questions: a field that is no question of it, or an option it does not have, is refused.
	Survey Questionnaire
	// SoumInspector, when set, refuses the kinds only a division records (DivisionOnly): the
	// caller is an inspector of a soum or khoroo, not a division officer.
	SoumInspector bool
}

type fieldKind int

const (
	fText fieldKind = iota
	fEnum
	fEnumList
	fCounts
	fCount
	fDate
	fUnit
	fCoord
	fBool
	fScale
	fID
)

type fieldSpec struct {
	kind     fieldKind
	required bool
	list     []Label
	max      float64 // text length, count maximum or coordinate maximum
	min      float64
	// multiline text may hold line breaks and tabs; no text may hold other control characters.
	multiline bool
}

var eventSpec = map[string]fieldSpec{
	"kind":              {kind: fEnum, required: true, list: EventKinds},
	"kind_other":        {kind: fText, max: MaxPlaceLen}, // required when kind is "other" (Consistency)
	"date":              {kind: fDate, required: true},
	"unit":              {kind: fUnit, required: true},
	"bagh":              {kind: fText, max: MaxBaghLen},
	"place":             {kind: fText, max: MaxPlaceLen},
	"occasion":          {kind: fEnum, list: Occasions},
	"partners":          {kind: fEnumList, list: Partners},
	"topics":            {kind: fEnumList, list: Topics},
	"channels":          {kind: fEnumList, list: Channels},
	"reached_total":     {kind: fCount, max: MaxCount},
	"reached":           {kind: fCounts, list: TargetGroups, max: MaxCount},
	"reached_sex":       {kind: fCounts, list: Sexes, max: MaxCount},
	"reached_age":       {kind: fCounts, list: ParticipantAges, max: MaxCount},
	"materials":         {kind: fCounts, list: Materials, max: MaxCount},
	"consultations":     {kind: fCount, max: MaxCount},
	"contracts_signed":  {kind: fCount, max: MaxCount},
	"contributions_mnt": {kind: fCount, max: MaxContributions},
	"messages_sent":     {kind: fCount, max: MaxMessages},
	"messages":          {kind: fCounts, list: TargetGroups, max: MaxMessages},
	"sms_purpose":       {kind: fEnum, list: SMSPurposes},
	"broadcasts":        {kind: fCount, max: MaxBroadcasts},
	"broadcast_minutes": {kind: fCount, max: MaxBroadcasts * 600},
	"entries":           {kind: fCount, max: MaxCount},
	"lat":               {kind: fCoord, min: MinLat, max: MaxLat},
	"lon":               {kind: fCoord, min: MinLon, max: MaxLon},
	"notes":             {kind: fText, max: MaxNotesLen, multiline: true},
	FieldDeleted:        {kind: fBool},
}

var surveySpec = map[string]fieldSpec{
	"date":             {kind: fDate, required: true},
	"unit":             {kind: fUnit, required: true},
	"event_id":         {kind: fID},
	"target_group":     {kind: fEnum, required: true, list: TargetGroups},
	"age_band":         {kind: fEnum, required: true, list: AgeBands},
	"sex":              {kind: fEnum, list: Sexes},
	"insurance_status": {kind: fEnum, required: true, list: InsuranceStatuses},
	"info_access":      {kind: fEnum, required: true, list: InfoAccess},
	"info_sources":     {kind: fEnumList, list: InfoSources},
	"satisfaction":     {kind: fScale, required: true, min: 1, max: 5},
	"suggestion":       {kind: fText, max: MaxNotesLen, multiline: true},
	FieldDeleted:       {kind: fBool},
	// The survey catalogue version the questions were asked under (questions.go).
	FieldCatalogueVersion: {kind: fScale, min: 1, max: 1_000_000},
}

// Limit is what a message about a field's value needs: the kind of value it takes ("count",
// "coord", "scale", "text", "date" or "" for the others) and its bounds. A counts entry
// ("reached.herders") is a count. The field app words its messages from it ("at most 1 000 000",
// "latitude between 41,5 and 52,2"), so the server need not send its limits.
func Limit(field string) (kind string, min, max float64) {
	if i := strings.IndexByte(field, '.'); i > 0 {
		field = field[:i]
	}
	s, ok := eventSpec[field]
	if !ok {
		s, ok = surveySpec[field]
	}
	if !ok {
		return "", 0, 0
	}
	switch s.kind {
	case fCount, fCounts:
		return "count", 0, s.max
	case fCoord:
		return "coord", s.min, s.max
	case fScale:
		return "scale", s.min, s.max
	case fText:
		return "text", 0, s.max
	case fDate:
		return "date", 0, 0
	}
	return "", 0, 0
}

// Unknown returns the names of fields entity does not know, sorted; cheaper than Validate when the
// values were already checked.
func Unknown(entity string, fields map[string]json.RawMessage) []string {
	spec := specFor(entity)
	var out []string
	for k := range fields {
		if _, ok := spec[k]; !ok {
			if parent, _, leaf := LeafOf(k); leaf && spec[parent].kind == fCounts {
				continue
			}
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// UnknownWith is Unknown for a survey checked against the catalogue version it names: its
// questions are known fields. Other records, and surveys naming no version, are as Unknown.
func UnknownWith(entity string, fields map[string]json.RawMessage, q Questionnaire) []string {
	if entity != EntitySurvey || q == nil {
		return Unknown(entity, fields)
	}
	spec, p, ok := catalogueSpec(fields, q)
	if !ok || p != nil {
		return Unknown(entity, fields)
	}
	var out []string
	for k := range fields {
		if _, ok := spec[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// KnownEntity reports whether entity is one this version validates.
func KnownEntity(entity string) bool { return entity == EntityEvent || entity == EntitySurvey }

// Fields returns the wire field names of entity in a stable order.
func Fields(entity string) []string {
	spec := specFor(entity)
	out := make([]string, 0, len(spec))
	for k := range spec {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Required returns the required wire fields of entity in a stable order. Callers must not modify it.
func Required(entity string) []string { return required[entity] }

var required = func() map[string][]string {
	m := map[string][]string{}
	for _, e := range []string{EntityEvent, EntitySurvey} {
		for _, k := range Fields(e) {
			if specFor(e)[k].required {
				m[e] = append(m[e], k)
			}
		}
	}
	return m
}()

func specFor(entity string) map[string]fieldSpec {
	switch entity {
	case EntityEvent:
		return eventSpec
	case EntitySurvey:
		return surveySpec
	}
	return nil
}

// Validate checks the fields of one upsert of entity and returns every problem, sorted by field,
// and the names of fields it does not know (kept as sent and reported as warnings, never an error).
// A JSON null clears an optional field and is a problem for a required one.
func Validate(entity string, fields map[string]json.RawMessage, opt Options) (problems []Problem, unknown []string) {
	spec := specFor(entity)
	if spec == nil {
		return []Problem{{Field: "entity", Code: ErrInvalidCode, Message: fmt.Sprintf("unknown entity %q", entity)}}, nil
	}
	if entity == EntityEvent && opt.SoumInspector {
		var kind string
		if raw, ok := fields["kind"]; ok && json.Unmarshal(raw, &kind) == nil && DivisionOnly(kind) {
			problems = append(problems, Problem{Field: "kind", Code: ErrDivisionOnly,
				Message: fmt.Sprintf("%s is recorded by the aimag or district division's officers, not by a soum inspector", kind)})
		}
	}
	catalogued := false
	if entity == EntitySurvey && opt.Survey != nil {
		cs, p, ok := catalogueSpec(fields, opt.Survey)
		if p != nil {
			return []Problem{*p}, nil
		}
		if ok {
			spec, catalogued = cs, true
		}
	}
	total := 0
	for name, raw := range fields {
		total += len(name) + len(raw)
		if p := checkName(name); p != nil {
			problems = append(problems, *p)
			continue
		}
		s, ok := spec[name]
		if parent, _, leaf := LeafOf(name); !ok && leaf && spec[parent].kind == fCounts {
			// One count of a counts object (protocol 2): null clears it.
			if !isNull(raw) {
				if p := checkCount(name, raw, spec[parent].max); p != nil {
					problems = append(problems, *p)
				}
			}
			continue
		}
		if !ok && catalogued {
			problems = append(problems, Problem{name, ErrUnknownQuestion, "is not a question of the survey catalogue version this survey names"})
			continue
		}
		if !ok {
			unknown = append(unknown, name)
			if p := checkUnknown(name, raw); p != nil {
				problems = append(problems, *p)
			}
			continue
		}
		if !utf8.Valid(raw) {
			problems = append(problems, Problem{name, ErrInvalidText, "must be valid UTF-8"})
			continue
		}
		if isNull(raw) {
			if s.required {
				problems = append(problems, Problem{name, ErrRequired, "is required and cannot be cleared"})
			}
			continue
		}
		if s.kind == fCounts {
			problems = append(problems, checkCounts(name, s, raw)...)
		} else if p := checkField(name, s, raw, opt); p != nil {
			problems = append(problems, *p)
		}
	}
	if total > MaxRecordBytes {
		problems = append(problems, Problem{"fields", ErrTooLarge, fmt.Sprintf("are %d bytes together, at most %d allowed", total, MaxRecordBytes)})
	}
	if len(unknown) > MaxUnknownFields {
		problems = append(problems, Problem{"fields", ErrTooMany, fmt.Sprintf("%d fields this server does not know, at most %d allowed", len(unknown), MaxUnknownFields)})
	}
	if opt.Create {
		for name, s := range spec {
			if _, ok := fields[name]; s.required && !ok {
				problems = append(problems, Problem{name, ErrRequired, "is required"})
			}
		}
	}
	sortProblems(problems)
	sort.Strings(unknown)
	return problems, unknown
}

// sortProblems orders problems by field, then code, so messages read the same each time.
func sortProblems(problems []Problem) {
	sort.Slice(problems, func(i, j int) bool {
		if problems[i].Field != problems[j].Field {
			return problems[i].Field < problems[j].Field
		}
		return problems[i].Code < problems[j].Code
	})
}

func isNull(raw json.RawMessage) bool {
	return len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

func checkField(name string, s fieldSpec, raw json.RawMessage, opt Options) *Problem {
	bad := func(code, msg string, a ...any) *Problem {
		return &Problem{Field: name, Code: code, Message: fmt.Sprintf(msg, a...)}
	}
	switch s.kind {
	case fText, fEnum, fDate, fUnit, fID:
		v, ok := text(raw)
		if !ok {
			return bad(ErrInvalidType, "must be text")
		}
		switch s.kind {
		case fText:
			if n := utf8.RuneCountInString(v); float64(n) > s.max {
				return bad(ErrTooLong, "is %d characters, at most %d allowed", n, int(s.max))
			}
			if !printable(v, s.multiline) {
				return bad(ErrInvalidText, "must be text without control characters")
			}
		case fEnum:
			if !Has(s.list, v) {
				return bad(ErrInvalidCode, "%q is not one of %v", v, Codes(s.list))
			}
		case fDate:
			d, err := time.Parse(dateLayout, v)
			if err != nil {
				return bad(ErrInvalidDate, "%q is not a date of the form YYYY-MM-DD", v)
			}
			if d.Before(EarliestDate) {
				return bad(ErrTooEarly, "%s is before %s", v, EarliestDate.Format(dateLayout))
			}
			if !opt.Latest.IsZero() && d.After(opt.Latest) {
				return bad(ErrTooLate, "%s is after %s", v, opt.Latest.Format(dateLayout))
			}
		case fUnit:
			if v == "" || (opt.Units != nil && !opt.Units.IsLeaf(v)) {
				return bad(ErrUnknownUnit, "%q is not a soum or district code", v)
			}
		case fID:
			if !CanonicalID(v) {
				return bad(ErrInvalidType, "must be a record id (a lower-case UUID)")
			}
		}
	case fEnumList:
		var v []string
		if json.Unmarshal(raw, &v) != nil {
			return bad(ErrInvalidType, "must be a list of codes")
		}
		seen := map[string]bool{}
		for _, c := range v {
			if !Has(s.list, c) {
				return bad(ErrInvalidCode, "%q is not one of %v", c, Codes(s.list))
			}
			if seen[c] {
				return bad(ErrDuplicate, "%q is listed twice", c)
			}
			seen[c] = true
		}
	case fCount:
		return checkCount(name, raw, s.max)
	case fScaleCodes:
		return checkScaleCode(name, s, raw)
	case fScale:
		n, ok := integer(raw)
		if !ok {
			return bad(ErrInvalidType, "must be a whole number")
		}
		if float64(n) < s.min || float64(n) > s.max {
			return bad(ErrOutOfRange, "%d is not between %d and %d", n, int(s.min), int(s.max))
		}
	case fCoord:
		var f float64
		if json.Unmarshal(raw, &f) != nil {
			return bad(ErrInvalidType, "must be a number")
		}
		if f < s.min || f > s.max || math.IsNaN(f) {
			return bad(ErrOutOfRange, "%v is outside Mongolia (%v to %v)", f, s.min, s.max)
		}
	case fBool:
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return bad(ErrInvalidType, "must be true or false")
		}
	}
	return nil
}

// checkCounts reports every bad entry of a counts object, each under "name.code".
func checkCounts(name string, s fieldSpec, raw json.RawMessage) []Problem {
	var v map[string]json.RawMessage
	if json.Unmarshal(raw, &v) != nil {
		return []Problem{{name, ErrInvalidType, "must be an object of counts"}}
	}
	var out []Problem
	for k, n := range v {
		if !Has(s.list, k) {
			out = append(out, Problem{name + "." + k, ErrInvalidCode, fmt.Sprintf("%q is not one of %v", k, Codes(s.list))})
		} else if p := checkCount(name+"."+k, n, s.max); p != nil {
			out = append(out, *p)
		}
	}
	return out
}

func checkCount(field string, raw json.RawMessage, max float64) *Problem {
	n, ok := integer(raw)
	if !ok {
		return &Problem{field, ErrInvalidType, "must be a whole number"}
	}
	if n < 0 {
		return &Problem{field, ErrNegative, fmt.Sprintf("%d is negative; counts must be 0 or more", n)}
	}
	if float64(n) > max {
		return &Problem{field, ErrOutOfRange, fmt.Sprintf("%d is more than %d", n, int64(max))}
	}
	return nil
}

// integer decodes a JSON whole number, refusing fractions, exponents and strings. It is on the
// hot path of every push, so it parses the bytes itself rather than through a json.Decoder.
func integer(raw json.RawMessage) (int64, bool) {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return 0, false
	}
	digits := b
	if b[0] == '-' {
		digits = b[1:]
	}
	if len(digits) == 0 || len(digits) > 1 && digits[0] == '0' {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	return v, err == nil
}

// Int reads an integer field, 0 when absent, null or malformed (validation has refused those).
func Int(fields map[string]json.RawMessage, name string) int64 {
	n, _ := integer(fields[name])
	return n
}

// Str reads a text field, "" when absent or not text.
func Str(fields map[string]json.RawMessage, name string) string {
	s, _ := text(fields[name])
	return s
}

// Strs reads a list of codes, nil when absent or not a list of strings.
func Strs(fields map[string]json.RawMessage, name string) []string {
	var out []string
	if json.Unmarshal(fields[name], &out) != nil {
		return nil
	}
	return out
}

// text decodes a JSON string, taking a fast path for the escape-free strings of codes and dates:
// it runs several times for every change of every push.
func text(raw json.RawMessage) (string, bool) {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		inner := raw[1 : len(raw)-1]
		plain := true
		for _, c := range inner {
			if c == '\\' || c == '"' || c < 0x20 {
				plain = false
				break
			}
		}
		if plain && utf8.Valid(inner) {
			return string(inner), true
		}
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// Counts reads a counts object such as reached or materials, given whole (reached: {...}) or as
// its leaves (reached.herders), the form merge.Record.FlatValues gives without encoding the
// object again; a leaf wins over the same code in a whole object.
func Counts(fields map[string]json.RawMessage, name string) map[string]int64 {
	var out map[string]int64
	if raw, ok := fields[name]; ok {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) == nil {
			out = make(map[string]int64, len(m))
			for k, v := range m {
				out[k], _ = integer(v)
			}
		}
	}
	for _, l := range leafNames[name] {
		if v, ok := fields[l[1]]; ok {
			if out == nil {
				out = map[string]int64{}
			}
			out[l[0]], _ = integer(v)
		}
	}
	return out
}

// leafNames holds, per counts field, each code with its leaf's name.
var leafNames = func() map[string][][2]string {
	m := map[string][][2]string{}
	for name, list := range countsLists {
		for _, l := range list {
			m[name] = append(m[name], [2]string{l.Code, name + "." + l.Code})
		}
	}
	return m
}()

// Deleted reports whether the tombstone field is true.
func Deleted(fields map[string]json.RawMessage) bool {
	return string(bytes.TrimSpace(fields[FieldDeleted])) == "true"
}

// Date reads the date field.
func Date(fields map[string]json.RawMessage) (time.Time, bool) {
	d, err := time.Parse(dateLayout, Str(fields, "date"))
	return d, err == nil
}
