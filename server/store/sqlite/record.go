package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"talbar/server/store"
)

// Records implements store.Store.
func (db *DB) Records(ctx context.Context, f store.RecordFilter) ([]store.Record, error) {
	where, args, err := db.scope(f.Unit)
	if err != nil {
		return nil, err
	}
	q := `SELECT id, entity, unit, date, deleted, version, state FROM records WHERE entity = ? AND id > ?` + where
	args = append([]any{f.Entity, f.After}, args...)
	if f.Year > 0 {
		q += ` AND year = ?`
		args = append(args, f.Year)
	}
	q += ` ORDER BY id`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	defer rows.Close()
	var out []store.Record
	for rows.Next() {
		var r store.Record
		var state []byte
		if err := rows.Scan(&r.ID, &r.Entity, &r.Unit, &r.Date, &r.Deleted, &r.Version, &state); err != nil {
			return nil, fmt.Errorf("scan record: %w", err)
		}
		mr, err := decodeRecord(state)
		if err != nil {
			return nil, fmt.Errorf("decode record %s: %w", r.ID, err)
		}
		r.Values = map[string]any{}
		for k, v := range mr.Values() {
			var x any
			_ = json.Unmarshal(v, &x)
			r.Values[k] = x
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
