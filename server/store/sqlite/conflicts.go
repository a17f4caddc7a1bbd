package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"talbar/server/store"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// writeConflicts keeps a push's conflicts (a lost value already kept is kept once) and then marks
// superseded those whose lost value's writer has edited the field again.
func writeConflicts(ctx context.Context, tx *sql.Tx, plan *store.Plan, stamp string) error {
	for _, c := range plan.Conflicts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO conflicts (record_id, entity, unit, division, field, lost_value, lost_hlc, lost_device,
			kept_value, kept_hlc, kept_device, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (record_id, field, lost_hlc, lost_device) DO NOTHING`,
			c.RecordID, c.Entity, c.Unit, c.Division, c.Field, string(c.Lost.Value), c.Lost.HLC, c.Lost.Device,
			string(c.Kept.Value), c.Kept.HLC, c.Kept.Device, stamp); err != nil {
			return fmt.Errorf("keep conflict: %w", err)
		}
	}
	for _, k := range plan.Superseded {
		if _, err := tx.ExecContext(ctx, `UPDATE conflicts SET state = 'superseded', settled_by = lost_device, settled_at = ?
			WHERE record_id = ? AND field = ? AND lost_hlc < ? AND lost_device = ? AND state = 'open'`,
			stamp, k.RecordID, k.Field, k.HLC, k.Device); err != nil {
			return fmt.Errorf("supersede conflict: %w", err)
		}
	}
	return nil
}

// writerName is the SQL for the name of a writer column's person (a dashboard user's own name).
func writerName(col string) string {
	return `coalesce((SELECT i.name FROM devices d JOIN inspectors i ON i.id = d.inspector_id WHERE d.id = ` + col + `),
		CASE WHEN ` + col + ` LIKE 'dashboard:%' THEN substr(` + col + `, 11) ELSE '' END)`
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
	q := `SELECT id, record_id, entity, unit, division, field, lost_value, lost_hlc, lost_device, ` + writerName("lost_device") + `,
		kept_value, kept_hlc, kept_device, ` + writerName("kept_device") + `, detected_at, state, settled_by, settled_at
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

// ResolveConflict implements store.Store. A value chosen is pushed as a change of writer's (a
// dashboard user, "dashboard:NAME") through Push, so it merges, moves the totals and reaches the
// devices by pull like any other; its base is the value it replaces, so it is no conflict itself.
func (db *DB) ResolveConflict(ctx context.Context, id int64, choice string, value json.RawMessage, writer string) error {
	var c struct {
		record, entity, unit, field, lost string
	}
	err := db.read.QueryRowContext(ctx, `SELECT record_id, entity, unit, field, lost_value FROM conflicts WHERE id = ? AND state = 'open'`, id).
		Scan(&c.record, &c.entity, &c.unit, &c.field, &c.lost)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("read conflict: %w", err)
	}
	switch choice {
	case store.ConflictKept:
	case store.ConflictRestored:
		value = json.RawMessage(c.lost)
	case store.ConflictReplaced:
		if len(value) == 0 {
			return fmt.Errorf("%w: a value is required", store.ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: choice %q", store.ErrInvalid, choice)
	}
	if choice != store.ConflictKept {
		var state []byte
		if err := db.read.QueryRowContext(ctx, `SELECT state FROM records WHERE id = ?`, c.record).Scan(&state); err != nil {
			return fmt.Errorf("read record %s: %w", c.record, err)
		}
		rec, err := decodeRecord(state)
		if err != nil {
			return fmt.Errorf("decode record %s: %w", c.record, err)
		}
		cur := rec.Fields[c.field]
		if ts, err := hlc.Parse(cur.H); err == nil {
			db.clock.Observe(ts) // the choice must order after the value it replaces
		}
		ch := syncproto.Change{ID: uuid.Must(uuid.NewV7()).String(), RecordID: c.record, Entity: c.entity, Op: syncproto.OpUpsert,
			HLC: db.clock.Next().String(), Fields: map[string]json.RawMessage{c.field: value}, Base: map[string]string{c.field: cur.H}}
		p := store.Principal{DeviceID: writer, Inspector: store.Inspector{ID: writer, Name: writer, Unit: "MN", Role: syncproto.RoleOfficer}}
		resp, err := db.Push(ctx, p, syncproto.PushRequest{Protocol: syncproto.Protocol, DeviceID: writer, Changes: []syncproto.Change{ch}})
		if err != nil {
			return err
		}
		if len(resp.Rejected) > 0 {
			return fmt.Errorf("%w: %s", store.ErrInvalid, resp.Rejected[0].Message)
		}
	}
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
