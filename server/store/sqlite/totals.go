package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"talbar/server/store"
	"talbar/shared/tally"
	"talbar/shared/unit"
)

var sumCols = func() string {
	s := make([]string, tally.N)
	for i := range s {
		s[i] = fmt.Sprintf("coalesce(sum(m%02d), 0)", i)
	}
	return strings.Join(s, ", ")
}()

// scope turns a unit code into a WHERE fragment over a table with unit and division columns.
func (db *DB) scope(code string) (string, []any, error) {
	if code == "" || code == string(unit.Nation) {
		return "", nil, nil
	}
	u, ok := db.units.Get(unit.Code(code))
	if !ok {
		return "", nil, fmt.Errorf("%w: unit %q is not known", store.ErrInvalid, code)
	}
	switch {
	case u.Leaf():
		return " AND unit = ?", []any{code}, nil
	case u.Level == unit.LevelAimag || u.Level == unit.LevelCapital:
		return " AND division = ?", []any{code}, nil
	}
	return "", nil, fmt.Errorf("%w: unit %q has no totals", store.ErrInvalid, code)
}

func scanVector(row interface{ Scan(...any) error }, extra ...any) (tally.Vector, error) {
	v := tally.New()
	dest := append([]any{}, extra...)
	for i := range v {
		dest = append(dest, &v[i])
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	return v, nil
}

// checkUnit refuses a code that is not a unit with totals.
func (db *DB) checkUnit(code string) error {
	if _, ok := db.units.Get(unit.Code(code)); !ok {
		return fmt.Errorf("%w: unit %q is not known", store.ErrInvalid, code)
	}
	return nil
}

// Totals implements store.Store. It reads one row: the totals are kept rolled up per unit and
// month and per unit and year (month 0), so its cost does not grow with the number of records.
func (db *DB) Totals(ctx context.Context, code string, year, month int) (tally.Vector, error) {
	if code == "" {
		code = string(unit.Nation)
	}
	if err := db.checkUnit(code); err != nil {
		return nil, err
	}
	if month < 0 || month > 12 {
		month = 0
	}
	cols := strings.ReplaceAll(strings.ReplaceAll(sumCols, "coalesce(sum(", "("), "), 0)", ")")
	v, err := scanVector(db.read.QueryRowContext(ctx, `SELECT `+cols+` FROM totals WHERE unit = ? AND year = ? AND month = ?`,
		code, year, month))
	if errors.Is(err, sql.ErrNoRows) {
		return tally.New(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: totals: %v", store.ErrUnavailable, err)
	}
	return v, nil
}

// TotalsByLeaf implements store.Store: the whole-year rows (month 0) of every soum and district.
func (db *DB) TotalsByLeaf(ctx context.Context, year int) (map[string]tally.Vector, error) {
	return db.TotalsByLeafMonths(ctx, year, 0, 0)
}

// TotalsByMonth implements store.Store.
func (db *DB) TotalsByMonth(ctx context.Context, code string, year int) ([12]tally.Vector, error) {
	var out [12]tally.Vector
	for i := range out {
		out[i] = tally.New()
	}
	if code == "" {
		code = string(unit.Nation)
	}
	if err := db.checkUnit(code); err != nil {
		return out, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT month, `+sumCols+` FROM totals WHERE unit = ? AND year = ? AND month BETWEEN 1 AND 12 GROUP BY month`,
		code, year)
	if err != nil {
		return out, fmt.Errorf("totals by month: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m int
		v, err := scanVector(rows, &m)
		if err != nil {
			return out, fmt.Errorf("scan totals: %w", err)
		}
		out[m-1] = v
	}
	return out, rows.Err()
}

// RecomputeTotals implements store.Store: a full scan of the merged records.
func (db *DB) RecomputeTotals(ctx context.Context, code string, year int) (tally.Vector, error) {
	where, args, err := db.scope(code)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT state FROM records WHERE year = ?`+where, append([]any{year}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("recompute totals: %w", err)
	}
	defer rows.Close()
	sum := tally.New()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("scan record: %w", err)
		}
		r, err := decodeRecord(b)
		if err != nil {
			return nil, fmt.Errorf("decode record: %w", err)
		}
		if _, v, ok := tally.Of(r.Entity, r.Values()); ok {
			sum.Add(v)
		}
	}
	return sum, rows.Err()
}

// Targets implements store.Store.
func (db *DB) Targets(ctx context.Context) ([]store.Target, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT indicator, year, target, actual FROM targets ORDER BY indicator, year`)
	if err != nil {
		return nil, fmt.Errorf("list targets: %w", err)
	}
	defer rows.Close()
	var out []store.Target
	for rows.Next() {
		var t store.Target
		var target, actual sql.NullFloat64
		if err := rows.Scan(&t.Indicator, &t.Year, &target, &actual); err != nil {
			return nil, fmt.Errorf("scan target: %w", err)
		}
		if target.Valid {
			t.Target = &target.Float64
		}
		if actual.Valid {
			t.Actual = &actual.Float64
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// SetTarget implements store.Store.
func (db *DB) SetTarget(ctx context.Context, t store.Target) error {
	if err := store.CheckTarget(t); err != nil {
		return err
	}
	_, err := db.write.ExecContext(ctx, `INSERT INTO targets (indicator, year, target, actual) VALUES (?, ?, ?, ?)
		ON CONFLICT (indicator, year) DO UPDATE SET target = excluded.target, actual = excluded.actual`,
		t.Indicator, t.Year, t.Target, t.Actual)
	if err != nil {
		return fmt.Errorf("set target: %w", err)
	}
	return nil
}

// Baselines implements store.Store.
func (db *DB) Baselines(ctx context.Context) ([]store.Baseline, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT indicator, year, value FROM baselines ORDER BY indicator`)
	if err != nil {
		return nil, fmt.Errorf("list baselines: %w", err)
	}
	defer rows.Close()
	var out []store.Baseline
	for rows.Next() {
		var b store.Baseline
		if err := rows.Scan(&b.Indicator, &b.Year, &b.Value); err != nil {
			return nil, fmt.Errorf("scan baseline: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// SetBaseline implements store.Store.
func (db *DB) SetBaseline(ctx context.Context, b store.Baseline) error {
	if err := store.CheckBaseline(b); err != nil {
		return err
	}
	_, err := db.write.ExecContext(ctx, `INSERT INTO baselines (indicator, year, value) VALUES (?, ?, ?)
		ON CONFLICT (indicator) DO UPDATE SET year = excluded.year, value = excluded.value`, b.Indicator, b.Year, b.Value)
	if err != nil {
		return fmt.Errorf("set baseline: %w", err)
	}
	return nil
}
