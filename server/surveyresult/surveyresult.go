// Package surveyresult reads the survey answers the way chapter 5 of the programme asks
// (order A/21 l.411: results in each target group, their knowledge, attitude and perception):
// for each catalogue question, counts and shares of every answer with the number who answered,
// broken down by target group, unit or half-year, and a summary of citizens' suggestions
// (docs/survey.md). The dashboard's survey page and the half-year report both call Compute.
package surveyresult

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"talbar/server/store"
	"talbar/shared/record"
	"talbar/shared/survey"
	"talbar/shared/unit"
)

// Breakdowns.
const (
	ByGroup = "group" // the respondent's target group (record.TargetGroups order)
	ByUnit  = "unit"  // the unit's children: aimags of the nation, soums of an aimag
	ByHalf  = "half"  // January-June, July-December
)

// Query selects the answers: those dated in Year (and Half, 1 or 2, when not 0) inside Unit (any
// unit; "MN" or "" for the nation), broken down By.
type Query struct {
	Unit string
	Year int
	Half int
	By   string
}

// Cell is one answer's count among a row's N who answered, and its share of them (0-100).
type Cell struct {
	Code  string
	Count int
	Share float64
}

// Row is one breakdown value (a target-group code, a unit code, "1" or "2"; "" for all).
type Row struct {
	Key   string
	N     int // respondents of the row who answered the question
	Cells []Cell
	// Favourable is the share giving one of the question's favourable answers (Question.Positive:
	// knows, trusts, intends, satisfied), nil when it names none or N is 0.
	Favourable *float64
	// FavourableN is how many gave a favourable answer (the count behind Favourable).
	FavourableN int
}

// Item is one question's results.
type Item struct {
	Question survey.Question // as the newest version asking it words it
	Versions []int           // the catalogue versions that ask it, of those answered in the period
	Total    Row
	Rows     []Row
	Multi    bool // shares sum past 100: a respondent names several
}

// Result is every choice question's results for a query.
type Result struct {
	Query     Query
	Responses int         // surveys in the period and unit
	ByVersion map[int]int // surveys per catalogue version
	Items     []Item
	Keys      []string // the breakdown's values that have answers, in order
	// Insurance is the respondents' own insurance status ("insurance_status", a fixed field
	// outside the catalogue), "" (everyone) first, then Keys: section 5's coverage by target
	// group as the surveys see it, not the fund's official coverage figure.
	Insurance []Insurance
}

// Insurance counts, among a row's N respondents who gave their insurance status, those insured
// (mandatorily or voluntarily: record.InsuranceStatuses) and the voluntary among them. Pensioners
// and the uninsured count in N only: a pensioner draws a pension rather than paying in.
type Insurance struct {
	Key                   string
	N, Insured, Voluntary int
}

// InsuredShare is the insured's share of N (0-100), nil when N is 0.
func (in Insurance) InsuredShare() *float64 {
	if in.N == 0 {
		return nil
	}
	f := 100 * float64(in.Insured) / float64(in.N)
	return &f
}

// VoluntaryShare is the voluntary's share of the insured (0-100), nil when none is insured.
func (in Insurance) VoluntaryShare() *float64 {
	if in.Insured == 0 {
		return nil
	}
	f := 100 * float64(in.Voluntary) / float64(in.Insured)
	return &f
}

// Source is what Compute reads: the store's merged records.
type Source interface {
	Records(ctx context.Context, f store.RecordFilter) ([]store.Record, error)
}

// Compute reads the surveys of q from st and returns their results and suggestions.
func Compute(ctx context.Context, st Source, units *unit.Tree, cat *survey.Catalogue, q Query) (Result, Suggestions, error) {
	if q.Unit == "" {
		q.Unit = string(unit.Nation)
	}
	recs, err := st.Records(ctx, store.RecordFilter{Entity: record.EntitySurvey, Unit: q.Unit, Year: q.Year})
	if err != nil {
		return Result{}, Suggestions{}, fmt.Errorf("survey results: %w", err)
	}
	recs = InPeriod(recs, q.Year, q.Half)
	return Aggregate(recs, units, cat, q), Summarise(recs, units, q.Unit), nil
}

// InPeriod keeps the records that are not deleted and are dated in year (and half, when 1 or 2).
func InPeriod(recs []store.Record, year, half int) []store.Record {
	var out []store.Record
	for _, r := range recs {
		if r.Deleted || len(r.Date) < 7 || (year > 0 && r.Date[:4] != strconv.Itoa(year)) {
			continue
		}
		if half > 0 && halfOf(r.Date) != half {
			continue
		}
		out = append(out, r)
	}
	return out
}

func halfOf(date string) int {
	m, _ := strconv.Atoi(date[5:7])
	if m >= 7 {
		return 2
	}
	return 1
}

// versionOf is the catalogue version a stored survey names, 1 before the catalogue.
func versionOf(r store.Record) int {
	if f, ok := r.Values[record.FieldCatalogueVersion].(float64); ok && f >= 1 {
		return int(f)
	}
	return 1
}

// KeyOf is the breakdown value of a record: its target group, the child of within that holds
// its unit, or its half-year.
func KeyOf(r store.Record, by string, units *unit.Tree, within string) string {
	switch by {
	case ByUnit:
		return childWithin(units, r.Unit, within)
	case ByHalf:
		return strconv.Itoa(halfOf(r.Date))
	}
	s, _ := r.Values["target_group"].(string)
	return s
}

// childWithin is the child of within that holds leaf (leaf itself when within is a leaf).
func childWithin(units *unit.Tree, leaf, within string) string {
	c := unit.Code(leaf)
	for {
		u, ok := units.Get(c)
		if !ok || u.Parent == "" || string(u.Parent) == within || string(c) == within {
			return string(c)
		}
		c = u.Parent
	}
}

// answers is the codes a record gives to question q: one for single and scale, any for multi.
func answers(r store.Record, q survey.Question) []string {
	switch v := r.Values[q.ID].(type) {
	case string:
		return []string{v}
	case float64:
		return []string{strconv.FormatFloat(v, 'f', -1, 64)}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Aggregate computes the results of recs (already narrowed to the period and unit).
func Aggregate(recs []store.Record, units *unit.Tree, cat *survey.Catalogue, q Query) Result {
	if q.By == "" {
		q.By = ByGroup
	}
	res := Result{Query: q, Responses: len(recs), ByVersion: map[int]int{}}
	for _, r := range recs {
		res.ByVersion[versionOf(r)]++
	}
	// The questions: the newest version's order, then those only older versions asked.
	var qs []survey.Question
	asked := map[string][]int{}
	for i := len(cat.Versions) - 1; i >= 0; i-- {
		v := cat.Versions[i]
		if res.ByVersion[v.Version] == 0 && i != len(cat.Versions)-1 {
			continue
		}
		for _, x := range v.Questions {
			if x.Kind == record.QuestionText {
				continue
			}
			if _, seen := asked[x.ID]; !seen {
				qs = append(qs, x)
			}
			asked[x.ID] = append([]int{v.Version}, asked[x.ID]...)
		}
	}
	keys := map[string]bool{}
	for _, r := range recs {
		keys[KeyOf(r, q.By, units, q.Unit)] = true
	}
	res.Keys = orderKeys(keys, q.By)
	for _, x := range qs {
		it := Item{Question: x, Versions: asked[x.ID], Multi: x.Kind == record.QuestionMulti}
		rows := map[string]*Row{}
		total := newRow("", x)
		for _, k := range res.Keys {
			rows[k] = newRow(k, x)
		}
		for _, r := range recs {
			got := answers(r, x)
			if len(got) == 0 {
				continue
			}
			for _, row := range []*Row{total, rows[KeyOf(r, q.By, units, q.Unit)]} {
				row.N++
				for _, code := range got {
					for i := range row.Cells {
						if row.Cells[i].Code == code {
							row.Cells[i].Count++
						}
					}
				}
			}
		}
		it.Total = finish(total, x)
		for _, k := range res.Keys {
			it.Rows = append(it.Rows, finish(rows[k], x))
		}
		res.Items = append(res.Items, it)
	}
	res.Insurance = insurance(recs, units, q, res.Keys)
	return res
}

// insurance counts the respondents' insurance status, everyone first, then keys.
func insurance(recs []store.Record, units *unit.Tree, q Query, keys []string) []Insurance {
	rows := map[string]*Insurance{"": {}}
	for _, k := range keys {
		rows[k] = &Insurance{Key: k}
	}
	for _, r := range recs {
		s, _ := r.Values["insurance_status"].(string)
		if !record.Has(record.InsuranceStatuses, s) {
			continue
		}
		for _, row := range []*Insurance{rows[""], rows[KeyOf(r, q.By, units, q.Unit)]} {
			row.N++
			if s == "mandatory" || s == "voluntary" {
				row.Insured++
			}
			if s == "voluntary" {
				row.Voluntary++
			}
		}
	}
	out := []Insurance{*rows[""]}
	for _, k := range keys {
		out = append(out, *rows[k])
	}
	return out
}

func newRow(key string, q survey.Question) *Row {
	r := &Row{Key: key}
	for _, o := range q.Options {
		r.Cells = append(r.Cells, Cell{Code: o.Code})
	}
	return r
}

// finish computes a row's shares. A single answer's favourable codes are distinct answers, so
// their counts add up to the respondents who gave one.
func finish(r *Row, q survey.Question) Row {
	fav := 0
	for i := range r.Cells {
		if r.N > 0 {
			r.Cells[i].Share = 100 * float64(r.Cells[i].Count) / float64(r.N)
		}
		for _, p := range q.Positive {
			if p == r.Cells[i].Code {
				fav += r.Cells[i].Count
			}
		}
	}
	if len(q.Positive) > 0 && r.N > 0 && q.Kind != record.QuestionMulti {
		f := 100 * float64(fav) / float64(r.N)
		r.Favourable, r.FavourableN = &f, fav
	}
	return *r
}

// orderKeys puts breakdown values in their natural order: the programme's target groups, half 1
// before 2, unit codes.
func orderKeys(keys map[string]bool, by string) []string {
	var out []string
	if by == ByGroup {
		for _, g := range record.TargetGroups {
			if keys[g.Code] {
				out = append(out, g.Code)
				delete(keys, g.Code)
			}
		}
	}
	var rest []string
	for k := range keys {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// Cell returns the row's cell of code.
func (r Row) Cell(code string) Cell {
	for _, c := range r.Cells {
		if c.Code == code {
			return c
		}
	}
	return Cell{Code: code}
}

// Item returns the results of question id; ok false when no version asked it.
func (r Result) Item(id string) (Item, bool) {
	for _, it := range r.Items {
		if it.Question.ID == id {
			return it, true
		}
	}
	return Item{}, false
}

// Row returns the item's row of key, the total for "".
func (it Item) Row(key string) Row {
	if key == "" {
		return it.Total
	}
	for _, r := range it.Rows {
		if r.Key == key {
			return r
		}
	}
	return newRowValue(key, it.Question)
}

func newRowValue(key string, q survey.Question) Row { return *newRow(key, q) }

// lower folds a suggestion for keyword matching; Cyrillic and Latin alike.
func lower(s string) string { return strings.ToLower(s) }
