package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/jackc/pgx/v5"

	"talbar/server/annualplan"
	"talbar/server/store"
)

var (
	_ store.AnnualPlans = (*DB)(nil)
	_ store.ReportNotes = (*DB)(nil)
)

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func planItems(ctx context.Context, q querier, where string, args ...any) (map[string][]annualplan.Item, error) {
	rows, err := q.Query(ctx, `SELECT unit, activity, h1, h2, funding, cost_mnt FROM plan_items WHERE `+where+` ORDER BY unit, seq`, args...)
	if err != nil {
		return nil, unavailable("read plan lines", err)
	}
	defer rows.Close()
	out := map[string][]annualplan.Item{}
	for rows.Next() {
		var u string
		var it annualplan.Item
		if err := rows.Scan(&u, &it.Activity, &it.H1, &it.H2, &it.Funding, &it.CostMNT); err != nil {
			return nil, fmt.Errorf("scan plan line: %w", err)
		}
		out[u] = append(out[u], it)
	}
	return out, rows.Err()
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

// AnnualPlan implements store.AnnualPlans.
func (db *DB) AnnualPlan(ctx context.Context, unit string, year int) (store.AnnualPlan, error) {
	p := store.AnnualPlan{Unit: unit, Year: year}
	err := db.pool.QueryRow(ctx, `SELECT version, changed_by, changed_at FROM plan_versions WHERE unit = $1 AND year = $2 ORDER BY version DESC LIMIT 1`,
		unit, year).Scan(&p.Version, &p.By, &p.At)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return p, unavailable("read plan version", err)
	}
	p.At = p.At.UTC()
	items, err := planItems(ctx, db.pool, `unit = $1 AND year = $2`, unit, year)
	if err != nil {
		return p, err
	}
	p.Items = sortItems(items[unit])
	return p, nil
}

// AnnualPlansOfYear implements store.AnnualPlans.
func (db *DB) AnnualPlansOfYear(ctx context.Context, year int) (map[string][]annualplan.Item, error) {
	return planItems(ctx, db.pool, `year = $1`, year)
}

// planLock serialises saves of one unit's plan for a year across servers.
const planLock = 0x7a1ba6

// SaveAnnualPlan implements store.AnnualPlans: one transaction, under an advisory lock on the
// unit and year, reads the current version, refuses a stale base, and writes the new lines, the
// version and each line's change.
func (db *DB) SaveAnnualPlan(ctx context.Context, unit string, year int, items []annualplan.Item, by, source string, base int) (int, error) {
	var v int
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2 || '/' || $3::int::text))`, planLock, unit, year); err != nil {
			return unavailable("lock plan", err)
		}
		var cur int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM plan_versions WHERE unit = $1 AND year = $2`, unit, year).Scan(&cur); err != nil {
			return unavailable("read plan version", err)
		}
		v = cur
		if cur != base {
			return fmt.Errorf("plan %s %d is at version %d, not %d: %w", unit, year, cur, base, store.ErrStaleVersion)
		}
		old, err := planItems(ctx, tx, `unit = $1 AND year = $2`, unit, year)
		if err != nil {
			return err
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
			return nil
		}
		v = cur + 1
		if _, err := tx.Exec(ctx, `INSERT INTO plan_versions (unit, year, version, changed_by, source, changed_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			unit, year, v, by, source, db.now().UTC()); err != nil {
			return unavailable("insert plan version", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM plan_items WHERE unit = $1 AND year = $2`, unit, year); err != nil {
			return unavailable("clear plan lines", err)
		}
		for _, act := range annualplan.Activities {
			it, ok := after[act.ID]
			if !ok {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO plan_items (unit, year, activity, h1, h2, funding, cost_mnt) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				unit, year, it.Activity, it.H1, it.H2, it.Funding, it.CostMNT); err != nil {
				return unavailable("insert plan line "+it.Activity, err)
			}
		}
		js := func(it *annualplan.Item) *string {
			if it == nil {
				return nil
			}
			b, _ := json.Marshal(it)
			s := string(b)
			return &s
		}
		for _, c := range changes {
			if _, err := tx.Exec(ctx, `INSERT INTO plan_changes (unit, year, version, activity, before, after) VALUES ($1, $2, $3, $4, $5, $6)`,
				unit, year, v, c.activity, js(c.b), js(c.a)); err != nil {
				return unavailable("insert plan change "+c.activity, err)
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, store.ErrStaleVersion) {
			return v, err
		}
		return 0, err
	}
	return v, nil
}

// AnnualPlanHistory implements store.AnnualPlans.
func (db *DB) AnnualPlanHistory(ctx context.Context, unit string, year int, limit int) ([]store.PlanChange, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.pool.Query(ctx, `SELECT c.version, c.activity, c.before, c.after, v.changed_by, v.source, v.changed_at
		FROM plan_changes c JOIN plan_versions v ON v.unit = c.unit AND v.year = c.year AND v.version = c.version
		WHERE c.unit = $1 AND c.year = $2 ORDER BY c.version DESC, c.seq LIMIT $3`, unit, year, limit)
	if err != nil {
		return nil, unavailable("read plan history", err)
	}
	defer rows.Close()
	var out []store.PlanChange
	for rows.Next() {
		var c store.PlanChange
		var b, a *string
		if err := rows.Scan(&c.Version, &c.Activity, &b, &a, &c.By, &c.Source, &c.At); err != nil {
			return nil, fmt.Errorf("scan plan change: %w", err)
		}
		c.At = c.At.UTC()
		for _, p := range []struct {
			s  *string
			to **annualplan.Item
		}{{b, &c.Before}, {a, &c.After}} {
			if p.s != nil {
				var it annualplan.Item
				if err := json.Unmarshal([]byte(*p.s), &it); err != nil {
					return nil, fmt.Errorf("decode plan change: %w", err)
				}
				*p.to = &it
			}
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ReportNotesOf implements store.ReportNotes.
func (db *DB) ReportNotesOf(ctx context.Context, year, half int, units []string) ([]store.ReportNote, error) {
	q := `SELECT unit, section, text, changed_by, changed_at FROM report_notes WHERE year = $1 AND half = $2`
	args := []any{year, half}
	if len(units) > 0 {
		q += ` AND unit = ANY($3)`
		args = append(args, units)
	}
	rows, err := db.pool.Query(ctx, q+` ORDER BY unit, section`, args...)
	if err != nil {
		return nil, unavailable("read report notes", err)
	}
	defer rows.Close()
	var out []store.ReportNote
	for rows.Next() {
		n := store.ReportNote{Year: year, Half: half}
		if err := rows.Scan(&n.Unit, &n.Section, &n.Text, &n.By, &n.At); err != nil {
			return nil, fmt.Errorf("scan report note: %w", err)
		}
		n.At = n.At.UTC()
		out = append(out, n)
	}
	return out, rows.Err()
}

// SaveReportNote implements store.ReportNotes.
func (db *DB) SaveReportNote(ctx context.Context, n store.ReportNote) error {
	at := db.now().UTC()
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var err error
		if n.Text == "" {
			_, err = tx.Exec(ctx, `DELETE FROM report_notes WHERE unit = $1 AND year = $2 AND half = $3 AND section = $4`, n.Unit, n.Year, n.Half, n.Section)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO report_notes (unit, year, half, section, text, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (unit, year, half, section) DO UPDATE SET text = excluded.text, changed_by = excluded.changed_by, changed_at = excluded.changed_at`,
				n.Unit, n.Year, n.Half, n.Section, n.Text, n.By, at)
		}
		if err != nil {
			return unavailable("save report note", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO report_note_history (unit, year, half, section, text, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			n.Unit, n.Year, n.Half, n.Section, n.Text, n.By, at); err != nil {
			return unavailable("keep report note", err)
		}
		return nil
	})
}
