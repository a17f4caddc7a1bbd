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

// History implements store.PushTx.
func (t *pushTx) History(ctx context.Context, ids []string) (_ map[string][]store.LogEntry, err error) {
	defer t.watch(&err)
	out := map[string][]store.LogEntry{}
	for i := 0; i < len(ids); i += chunk {
		part := ids[i:min(i+chunk, len(ids))]
		args := make([]any, len(part))
		for j, id := range part {
			args[j] = id
		}
		rows, err := t.tx.QueryContext(ctx, `SELECT record_id, op, hlc, device_id, fields, base FROM changes
			WHERE record_id IN (`+placeholders(len(part))+`) ORDER BY cursor`, args...)
		if err != nil {
			return nil, fmt.Errorf("load history: %w", err)
		}
		for rows.Next() {
			var e store.LogEntry
			var fields, base []byte
			if err := rows.Scan(&e.Change.RecordID, &e.Change.Op, &e.Change.HLC, &e.DeviceID, &fields, &base); err != nil {
				rows.Close()
				return nil, fmt.Errorf("scan history: %w", err)
			}
			if err := store.DecodeLogged(&e.Change, fields, base); err != nil {
				rows.Close()
				return nil, err
			}
			out[e.Change.RecordID] = append(out[e.Change.RecordID], e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("load history: %w", err)
		}
	}
	return out, nil
}

// KeepConflicts implements store.PushTx.
func (t *pushTx) KeepConflicts(ctx context.Context, records []string, conflicts []store.Conflict, at time.Time) (err error) {
	defer t.watch(&err)
	tx, stamp := t.tx, at.UTC().Format(time.RFC3339Nano)
	want := map[string][]store.Conflict{}
	for _, c := range conflicts {
		want[c.RecordID] = append(want[c.RecordID], c)
	}
	for _, rid := range records {
		rows, err := tx.QueryContext(ctx, `SELECT id, field, lost_hlc, lost_device, state, kept_value, kept_hlc, kept_device, unit
			FROM conflicts WHERE record_id = ?`, rid)
		if err != nil {
			return fmt.Errorf("read kept conflicts: %w", err)
		}
		var kept []store.KeptConflict
		for rows.Next() {
			var k store.KeptConflict
			var v string
			if err := rows.Scan(&k.ID, &k.Field, &k.Lost.HLC, &k.Lost.Device, &k.State, &v, &k.Kept.HLC, &k.Kept.Device, &k.Unit); err != nil {
				rows.Close()
				return fmt.Errorf("scan kept conflict: %w", err)
			}
			k.Kept.Value = json.RawMessage(v)
			kept = append(kept, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read kept conflicts: %w", err)
		}
		add, refresh, withdraw := store.ReconcileConflicts(kept, want[rid])
		for _, c := range add {
			if _, err := tx.ExecContext(ctx, `INSERT INTO conflicts (record_id, entity, unit, division, field, lost_value, lost_hlc, lost_device,
				kept_value, kept_hlc, kept_device, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				c.RecordID, c.Entity, c.Unit, c.Division, c.Field, string(c.Lost.Value), c.Lost.HLC, c.Lost.Device,
				string(c.Kept.Value), c.Kept.HLC, c.Kept.Device, stamp); err != nil {
				return fmt.Errorf("keep conflict: %w", err)
			}
		}
		for _, c := range refresh {
			if _, err := tx.ExecContext(ctx, `UPDATE conflicts SET state = 'open', settled_by = '', settled_at = NULL,
				kept_value = ?, kept_hlc = ?, kept_device = ?, unit = ?, division = ? WHERE id = ?`,
				string(c.Kept.Value), c.Kept.HLC, c.Kept.Device, c.Unit, c.Division, c.ID); err != nil {
				return fmt.Errorf("refresh conflict: %w", err)
			}
		}
		for _, k := range withdraw {
			if _, err := tx.ExecContext(ctx, `UPDATE conflicts SET state = 'superseded', settled_by = lost_device, settled_at = ?
				WHERE id = ? AND state = 'open'`, stamp, k.ID); err != nil {
				return fmt.Errorf("supersede conflict: %w", err)
			}
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
		kept_value, kept_hlc, kept_device, ` + store.WriterNameSQL("kept_device") + `, detected_at, state, settled_by, settled_at,
		(SELECT r.state FROM records r WHERE r.id = conflicts.record_id)
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
		var state []byte
		if err := rows.Scan(&c.ID, &c.RecordID, &c.Entity, &c.Unit, &c.Division, &c.Field, &lost, &c.Lost.HLC, &c.Lost.Device, &c.Lost.Name,
			&kept, &c.Kept.HLC, &c.Kept.Device, &c.Kept.Name, &detected, &c.State, &c.By, &settled, &state); err != nil {
			return nil, fmt.Errorf("scan conflict: %w", err)
		}
		if c.Current, err = store.CurrentOf(state, c.Field); err != nil {
			return nil, err
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

// OpenConflict implements store.Store, on the read connections: the record's current value
// comes with it, so settling needs no write lock to learn it.
func (db *DB) OpenConflict(ctx context.Context, id int64) (store.Conflict, error) {
	var c store.Conflict
	var lost string
	var state []byte
	err := db.read.QueryRowContext(ctx, `SELECT id, record_id, entity, unit, division, field, lost_value,
		(SELECT r.state FROM records r WHERE r.id = conflicts.record_id) FROM conflicts WHERE id = ? AND state = 'open'`, id).
		Scan(&c.ID, &c.RecordID, &c.Entity, &c.Unit, &c.Division, &c.Field, &lost, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return c, store.ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("read conflict: %w", err)
	}
	c.Lost.Value, c.State = json.RawMessage(lost), store.ConflictOpen
	c.Current, err = store.CurrentOf(state, c.Field)
	return c, err
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
