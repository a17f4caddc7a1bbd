package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"talbar/server/store"
)

// KeepConflicts implements store.PushTx: it keeps a push's conflicts (a lost value already kept is kept once) and then marks
// superseded those whose lost value's writer has edited the field again.
func (t *pushTx) KeepConflicts(ctx context.Context, conflicts []store.Conflict, superseded []store.ConflictKey, at time.Time) (err error) {
	defer t.watch(&err)
	tx, stamp := t.tx, at.UTC().Format(time.RFC3339Nano)
	for _, c := range conflicts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO conflicts (record_id, entity, unit, division, field, lost_value, lost_hlc, lost_device,
			kept_value, kept_hlc, kept_device, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (record_id, field, lost_hlc, lost_device) DO NOTHING`,
			c.RecordID, c.Entity, c.Unit, c.Division, c.Field, string(c.Lost.Value), c.Lost.HLC, c.Lost.Device,
			string(c.Kept.Value), c.Kept.HLC, c.Kept.Device, stamp); err != nil {
			return fmt.Errorf("keep conflict: %w", err)
		}
	}
	for _, k := range superseded {
		if _, err := tx.ExecContext(ctx, `UPDATE conflicts SET state = 'superseded', settled_by = lost_device, settled_at = ?
			WHERE record_id = ? AND field = ? AND lost_hlc < ? AND lost_device = ? AND state = 'open'`,
			stamp, k.RecordID, k.Field, k.HLC, k.Device); err != nil {
			return fmt.Errorf("supersede conflict: %w", err)
		}
	}
	return nil
}

// Conflicts implements store.Store.
func (db *DB) Conflicts(ctx context.Context, f store.ConflictFilter) ([]store.Conflict, error) {
	where, args, err := db.scope(f.Unit)
	if err != nil {
		return nil, err
	}
	state := f.State
	if state == "" {
		state = store.ConflictOpen
	}
	q := `SELECT id, record_id, entity, unit, division, field, lost_value, lost_hlc, lost_device, ` + store.WriterNameSQL("lost_device") + `,
		kept_value, kept_hlc, kept_device, ` + store.WriterNameSQL("kept_device") + `, detected_at, state, settled_by, settled_at
		FROM conflicts WHERE state = ?` + where + ` ORDER BY id DESC`
	args = append([]any{state}, args...)
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list conflicts: %w", err)
	}
	defer rows.Close()
	var out []store.Conflict
	for rows.Next() {
		var c store.Conflict
		var lost, kept, detected string
		var settled sql.NullString
		if err := rows.Scan(&c.ID, &c.RecordID, &c.Entity, &c.Unit, &c.Division, &c.Field, &lost, &c.Lost.HLC, &c.Lost.Device, &c.Lost.Name,
			&kept, &c.Kept.HLC, &c.Kept.Device, &c.Kept.Name, &detected, &c.State, &c.By, &settled); err != nil {
			return nil, fmt.Errorf("scan conflict: %w", err)
		}
		c.Lost.Value, c.Kept.Value = json.RawMessage(lost), json.RawMessage(kept)
		c.Detected, _ = time.Parse(time.RFC3339Nano, detected)
		if settled.Valid {
			t, _ := time.Parse(time.RFC3339Nano, settled.String)
			c.Settled = &t
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// OpenConflicts implements store.Store.
func (db *DB) OpenConflicts(ctx context.Context) (map[string]int, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT unit, count(*) FROM conflicts WHERE state = 'open' GROUP BY unit`)
	if err != nil {
		return nil, fmt.Errorf("count conflicts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var u string
		var n int
		if err := rows.Scan(&u, &n); err != nil {
			return nil, err
		}
		out[u] = n
	}
	return out, rows.Err()
}

// OpenConflict implements store.Store.
func (db *DB) OpenConflict(ctx context.Context, id int64) (store.Conflict, error) {
	var c store.Conflict
	var lost string
	err := db.read.QueryRowContext(ctx, `SELECT id, record_id, entity, unit, division, field, lost_value FROM conflicts WHERE id = ? AND state = 'open'`, id).
		Scan(&c.ID, &c.RecordID, &c.Entity, &c.Unit, &c.Division, &c.Field, &lost)
	if errors.Is(err, sql.ErrNoRows) {
		return c, store.ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("read conflict: %w", err)
	}
	c.Lost.Value, c.State = json.RawMessage(lost), store.ConflictOpen
	return c, nil
}

// SettleConflict implements store.Store.
func (db *DB) SettleConflict(ctx context.Context, id int64, choice, writer string) error {
	res, err := db.write.ExecContext(ctx, `UPDATE conflicts SET state = ?, settled_by = ?, settled_at = ? WHERE id = ? AND state = 'open'`,
		choice, writer, db.stamp(), id)
	if err != nil {
		return fmt.Errorf("settle conflict: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}
