package localstore

import (
	"context"
	"fmt"
	"strings"

	"talbar/shared/tally"
)

// Filter narrows FindRecords. Empty fields do not filter.
type Filter struct {
	Entity         string
	Kind           string
	Unit           string
	From, To       string // inclusive dates, YYYY-MM-DD
	Pending        bool   // only records with a change waiting to be pushed
	Rejected       bool   // only records with a change the server refused
	Text           string // case-insensitive search in place, notes and suggestion
	IncludeDeleted bool
	// IncludeOutside lists records moved to a unit outside this device's scope too (scope.go).
	IncludeOutside bool
	Limit, Offset  int
}

// FindRecords lists records matching f, newest date first, and how many match in all.
func (db *DB) FindRecords(ctx context.Context, f Filter) ([]Record, int, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if f.Entity != "" {
		add("entity = ?", f.Entity)
	}
	if f.Kind != "" {
		add("kind = ?", f.Kind)
	}
	if f.Unit != "" {
		add("unit = ?", f.Unit)
	}
	if f.From != "" {
		add("date >= ?", f.From)
	}
	if f.To != "" {
		add("date <= ?", f.To)
	}
	if f.Pending {
		add("sync_state = 'pending'")
	}
	if f.Rejected {
		add("sync_state = 'rejected'")
	}
	if f.Text != "" {
		q := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(f.Text))
		add(`search LIKE ? ESCAPE '\'`, "%"+q+"%")
	}
	if !f.IncludeDeleted {
		add("deleted = 0")
	}
	scope, dev, err := db.scopeOf(ctx, db.read)
	if err != nil {
		return nil, 0, fmt.Errorf("find records: %w", err)
	}
	if scope != "" && !f.IncludeOutside {
		add("(unit IN (?, '') OR sync_state <> 'synced')", scope)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM records`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count records: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	rows, err := db.read.QueryContext(ctx, `SELECT data, sync_state FROM records`+cond+
		` ORDER BY date DESC, id DESC LIMIT ? OFFSET ?`, append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("find records: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var data, state string
		if err := rows.Scan(&data, &state); err != nil {
			return nil, 0, fmt.Errorf("find records: %w", err)
		}
		r, err := decodeMerged(data)
		if err != nil {
			return nil, 0, err
		}
		rec := toRecord(r, state)
		rec.Outside = movedAway(scope, dev, r)
		out = append(out, rec)
	}
	return out, total, rows.Err()
}

// Summary is the local picture of a month or a year: the totals of the records this device holds
// (its own and those pulled from its scope) and the two survey shares the screens show.
type Summary struct {
	Year, Month int // Month 0: the whole year
	Totals      tally.Totals
	Vector      tally.Vector
	// CannotGetInfoPct and SatisfiedPct are percentages of survey responses; nil without surveys.
	CannotGetInfoPct *float64
	SatisfiedPct     *float64
}

// Summary adds up, with shared/tally, the merged non-deleted records dated in year (and month
// when 1-12), in unit when not empty; with unit empty, those in the device's scope (records an
// officer moved to another soum no longer count on an inspector's device).
func (db *DB) Summary(ctx context.Context, year, month int, unit string) (Summary, error) {
	prefix := fmt.Sprintf("%04d-", year)
	if month >= 1 && month <= 12 {
		prefix = fmt.Sprintf("%04d-%02d-", year, month)
	} else {
		month = 0
	}
	q := `SELECT entity, data FROM records WHERE deleted = 0 AND date >= ? AND date < ?`
	args := []any{prefix, prefix + "\xff"}
	scope, err := db.scopeUnit(ctx, db.read)
	if err != nil {
		return Summary{}, fmt.Errorf("summary: %w", err)
	}
	if unit != "" {
		q += ` AND unit = ?`
		args = append(args, unit)
	} else if scope != "" {
		q += ` AND unit = ?`
		args = append(args, scope)
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return Summary{}, fmt.Errorf("summary: %w", err)
	}
	defer rows.Close()
	v := tally.New()
	for rows.Next() {
		var entity, data string
		if err := rows.Scan(&entity, &data); err != nil {
			return Summary{}, fmt.Errorf("summary: %w", err)
		}
		r, err := decodeMerged(data)
		if err != nil {
			return Summary{}, err
		}
		if _, rv, ok := tally.Of(entity, r.Values()); ok {
			v.Add(rv)
		}
	}
	if err := rows.Err(); err != nil {
		return Summary{}, fmt.Errorf("summary: %w", err)
	}
	label := unit
	if label == "" {
		label = "local"
	}
	s := Summary{Year: year, Month: month, Vector: v, Totals: v.Shape(label, year)}
	s.Totals.Month = month
	if n := v.Get("surveys"); n > 0 {
		// "no" and "partly": neither gets sufficient information (shared/indicator.Measure).
		no := 100 * float64(v.Get("info_no")+v.Get("info_partly")) / float64(n)
		sat := 100 * float64(v.Get("satisfied")) / float64(n)
		s.CannotGetInfoPct, s.SatisfiedPct = &no, &sat
	}
	return s, nil
}
