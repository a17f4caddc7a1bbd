package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"talbar/server/annualplan"
	"talbar/server/store"
)

var _ store.AnnualPlans = (*DB)(nil)

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func planItems(ctx context.Context, q querier, where string, args ...any) (map[string][]annualplan.Item, error) {
	rows, err := q.QueryContext(ctx, `SELECT unit, activity, h1, h2, funding, cost_mnt FROM plan_items WHERE `+where+` ORDER BY unit, rowid`, args...)
	if err != nil {
		return nil, fmt.Errorf("read plan lines: %w", err)
	}
	defer rows.Close()
	out := map[string][]annualplan.Item{}
	for rows.Next() {
		var u string
		var it annualplan.Item
		var cost sql.NullInt64
		if err := rows.Scan(&u, &it.Activity, &it.H1, &it.H2, &it.Funding, &cost); err != nil {
			return nil, fmt.Errorf("scan plan line: %w", err)
		}
		if cost.Valid {
			it.CostMNT = &cost.Int64
		}
		out[u] = append(out[u], it)
	}
	return out, rows.Err()
}

// AnnualPlan implements store.AnnualPlans.
func (db *DB) AnnualPlan(ctx context.Context, unit string, year int) (store.AnnualPlan, error) {
	p := store.AnnualPlan{Unit: unit, Year: year}
	var at string
	err := db.read.QueryRowContext(ctx, `SELECT version, changed_by, changed_at FROM plan_versions WHERE unit = ? AND year = ? ORDER BY version DESC LIMIT 1`,
		unit, year).Scan(&p.Version, &p.By, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("read plan version: %w", err)
	}
	p.At, _ = time.Parse(time.RFC3339Nano, at)
	items, err := planItems(ctx, db.read, `unit = ? AND year = ?`, unit, year)
	if err != nil {
		return p, err
	}
	p.Items = sortItems(items[unit])
	return p, nil
}

// sortItems puts lines in Annex 1's order.
func sortItems(items []annualplan.Item) []annualplan.Item {
	byID := map[string]annualplan.Item{}
	for _, it := range items {
		byID[it.Activity] = it
	}
	out := make([]annualplan.Item, 0, len(items))
	for _, a := range annualplan.Activities {
		if it, ok := byID[a.ID]; ok {
			out = append(out, it)
		}
	}
	return out
}

// AnnualPlansOfYear implements store.AnnualPlans.
func (db *DB) AnnualPlansOfYear(ctx context.Context, year int) (map[string][]annualplan.Item, error) {
	return planItems(ctx, db.read, `year = ?`, year)
}

// SaveAnnualPlan implements store.AnnualPlans: one transaction reads the current version,
// refuses a stale base, and writes the new lines, the version and each line's change.
func (db *DB) SaveAnnualPlan(ctx context.Context, unit string, year int, items []annualplan.Item, by, source string, base int) (int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("begin plan save: %w", err)
	}
	defer tx.Rollback()
	var cur int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM plan_versions WHERE unit = ? AND year = ?`, unit, year).Scan(&cur); err != nil {
		return 0, fmt.Errorf("read plan version: %w", err)
	}
	if cur != base {
		return cur, fmt.Errorf("plan %s %d is at version %d, not %d: %w", unit, year, cur, base, store.ErrStaleVersion)
	}
	old, err := planItems(ctx, tx, `unit = ? AND year = ?`, unit, year)
	if err != nil {
		return 0, err
	}
	before := map[string]annualplan.Item{}
	for _, it := range old[unit] {
		before[it.Activity] = it
	}
	after := map[string]annualplan.Item{}
	for _, it := range items {
		if !it.Empty() {
			after[it.Activity] = it
		}
	}
	type change struct {
		activity string
		b, a     *annualplan.Item
	}
	var changes []change
	for _, act := range annualplan.Activities {
		b, hadB := before[act.ID]
		a, hasA := after[act.ID]
		if hadB == hasA && (!hadB || reflect.DeepEqual(b, a)) {
			continue
		}
		c := change{activity: act.ID}
		if hadB {
			c.b = &b
		}
		if hasA {
			c.a = &a
		}
		changes = append(changes, c)
	}
	if len(changes) == 0 {
		return cur, nil
	}
	v := cur + 1
	if _, err := tx.ExecContext(ctx, `INSERT INTO plan_versions (unit, year, version, changed_by, source, changed_at) VALUES (?, ?, ?, ?, ?, ?)`,
		unit, year, v, by, source, db.stamp()); err != nil {
		return 0, fmt.Errorf("insert plan version: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM plan_items WHERE unit = ? AND year = ?`, unit, year); err != nil {
		return 0, fmt.Errorf("clear plan lines: %w", err)
	}
	for _, act := range annualplan.Activities {
		it, ok := after[act.ID]
		if !ok {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO plan_items (unit, year, activity, h1, h2, funding, cost_mnt) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			unit, year, it.Activity, it.H1, it.H2, it.Funding, it.CostMNT); err != nil {
			return 0, fmt.Errorf("insert plan line %s: %w", it.Activity, err)
		}
	}
	js := func(it *annualplan.Item) any {
		if it == nil {
			return nil
		}
		b, _ := json.Marshal(it)
		return string(b)
	}
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO plan_changes (unit, year, version, activity, before, after) VALUES (?, ?, ?, ?, ?, ?)`,
			unit, year, v, c.activity, js(c.b), js(c.a)); err != nil {
			return 0, fmt.Errorf("insert plan change %s: %w", c.activity, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit plan save: %w", err)
	}
	return v, nil
}

// AnnualPlanHistory implements store.AnnualPlans.
func (db *DB) AnnualPlanHistory(ctx context.Context, unit string, year int, limit int) ([]store.PlanChange, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.read.QueryContext(ctx, `SELECT c.version, c.activity, c.before, c.after, v.changed_by, v.source, v.changed_at
		FROM plan_changes c JOIN plan_versions v ON v.unit = c.unit AND v.year = c.year AND v.version = c.version
		WHERE c.unit = ? AND c.year = ? ORDER BY c.version DESC, c.rowid LIMIT ?`, unit, year, limit)
	if err != nil {
		return nil, fmt.Errorf("read plan history: %w", err)
	}
	defer rows.Close()
	var out []store.PlanChange
	for rows.Next() {
		var c store.PlanChange
		var b, a sql.NullString
		var at string
		if err := rows.Scan(&c.Version, &c.Activity, &b, &a, &c.By, &c.Source, &at); err != nil {
			return nil, fmt.Errorf("scan plan change: %w", err)
		}
		c.At, _ = time.Parse(time.RFC3339Nano, at)
		for _, p := range []struct {
			s  sql.NullString
			to **annualplan.Item
		}{{b, &c.Before}, {a, &c.After}} {
			if p.s.Valid {
				var it annualplan.Item
				if err := json.Unmarshal([]byte(p.s.String), &it); err != nil {
					return nil, fmt.Errorf("decode plan change: %w", err)
				}
				*p.to = &it
			}
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
