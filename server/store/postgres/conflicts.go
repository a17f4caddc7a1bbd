package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"talbar/server/store"
)

// History implements store.PushTx. The records are locked (LoadRecords), so no other push adds
// to their history before this one commits.
func (t *pushTx) History(ctx context.Context, ids []string) (map[string][]store.LogEntry, error) {
	rows, err := t.tx.Query(ctx, `SELECT record_id, op, hlc, device_id, fields, base FROM changes
		WHERE record_id = ANY($1) ORDER BY cursor`, ids)
	if err != nil {
		return nil, conflict(unavailable("load history", err))
	}
	defer rows.Close()
	out := map[string][]store.LogEntry{}
	for rows.Next() {
		var e store.LogEntry
		var fields, base *string
		if err := rows.Scan(&e.Change.RecordID, &e.Change.Op, &e.Change.HLC, &e.DeviceID, &fields, &base); err != nil {
			return nil, fmt.Errorf("scan history: %w", err)
		}
		var fb, bb []byte
		if fields != nil {
			fb = []byte(*fields)
		}
		if base != nil {
			bb = []byte(*base)
		}
		if err := store.DecodeLogged(&e.Change, fb, bb); err != nil {
			return nil, err
		}
		out[e.Change.RecordID] = append(out[e.Change.RecordID], e)
	}
	if err := rows.Err(); err != nil {
		return nil, conflict(unavailable("load history", err))
	}
	return out, nil
}

// KeepConflicts implements store.PushTx.
func (t *pushTx) KeepConflicts(ctx context.Context, records []string, conflicts []store.Conflict, at time.Time) error {
	want := map[string][]store.Conflict{}
	for _, c := range conflicts {
		want[c.RecordID] = append(want[c.RecordID], c)
	}
	rows, err := t.tx.Query(ctx, `SELECT record_id, id, field, lost_hlc, lost_device, state, kept_value, kept_hlc, kept_device, unit
		FROM conflicts WHERE record_id = ANY($1)`, records)
	if err != nil {
		return conflict(unavailable("read kept conflicts", err))
	}
	kept := map[string][]store.KeptConflict{}
	for rows.Next() {
		var rid, v string
		var k store.KeptConflict
		if err := rows.Scan(&rid, &k.ID, &k.Field, &k.Lost.HLC, &k.Lost.Device, &k.State, &v, &k.Kept.HLC, &k.Kept.Device, &k.Unit); err != nil {
			rows.Close()
			return fmt.Errorf("scan kept conflict: %w", err)
		}
		k.Kept.Value = json.RawMessage(v)
		kept[rid] = append(kept[rid], k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return conflict(unavailable("read kept conflicts", err))
	}
	for _, rid := range records {
		add, refresh, withdraw := store.ReconcileConflicts(kept[rid], want[rid])
		for _, c := range add {
			if _, err := t.tx.Exec(ctx, `INSERT INTO conflicts (record_id, entity, unit, division, field, lost_value, lost_hlc, lost_device,
				kept_value, kept_hlc, kept_device, detected_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
				c.RecordID, c.Entity, c.Unit, c.Division, c.Field, string(c.Lost.Value), c.Lost.HLC, c.Lost.Device,
				string(c.Kept.Value), c.Kept.HLC, c.Kept.Device, at.UTC()); err != nil {
				return conflict(unavailable("keep conflict", err))
			}
		}
		for _, c := range refresh {
			if _, err := t.tx.Exec(ctx, `UPDATE conflicts SET state = 'open', settled_by = '', settled_at = NULL,
				kept_value = $1, kept_hlc = $2, kept_device = $3, unit = $4, division = $5 WHERE id = $6`,
				string(c.Kept.Value), c.Kept.HLC, c.Kept.Device, c.Unit, c.Division, c.ID); err != nil {
				return conflict(unavailable("refresh conflict", err))
			}
		}
		for _, k := range withdraw {
			if _, err := t.tx.Exec(ctx, `UPDATE conflicts SET state = 'superseded', settled_by = lost_device, settled_at = $1
				WHERE id = $2 AND state = 'open'`, at.UTC(), k.ID); err != nil {
				return conflict(unavailable("supersede conflict", err))
			}
		}
	}
	return nil
}

// Conflicts implements store.Store.
func (db *DB) Conflicts(ctx context.Context, f store.ConflictFilter) ([]store.Conflict, error) {
	col, code, err := db.scope(f.Unit)
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
		FROM conflicts WHERE state = $1`
	args := []any{state}
	if col != "" {
		q += ` AND ` + col + ` = $2`
		args = append(args, code)
	}
	q += ` ORDER BY id DESC`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, unavailable("list conflicts", err)
	}
	defer rows.Close()
	var out []store.Conflict
	for rows.Next() {
		var c store.Conflict
		var lost, kept string
		var state *string
		if err := rows.Scan(&c.ID, &c.RecordID, &c.Entity, &c.Unit, &c.Division, &c.Field, &lost, &c.Lost.HLC, &c.Lost.Device, &c.Lost.Name,
			&kept, &c.Kept.HLC, &c.Kept.Device, &c.Kept.Name, &c.Detected, &c.State, &c.By, &c.Settled, &state); err != nil {
			return nil, fmt.Errorf("scan conflict: %w", err)
		}
		if state != nil {
			if c.Current, err = store.CurrentOf([]byte(*state), c.Field); err != nil {
				return nil, err
			}
		}
		c.Lost.Value, c.Kept.Value = json.RawMessage(lost), json.RawMessage(kept)
		c.Detected = c.Detected.UTC()
		if c.Settled != nil {
			t := c.Settled.UTC()
			c.Settled = &t
		}
		out = append(out, c)
	}
	return out, unavailable("list conflicts", rows.Err())
}

// OpenConflicts implements store.Store.
func (db *DB) OpenConflicts(ctx context.Context) (map[string]int, error) {
	rows, err := db.pool.Query(ctx, `SELECT unit, count(*) FROM conflicts WHERE state = 'open' GROUP BY unit`)
	if err != nil {
		return nil, unavailable("count conflicts", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var u string
		var n int
		if err := rows.Scan(&u, &n); err != nil {
			return nil, fmt.Errorf("scan conflict count: %w", err)
		}
		out[u] = n
	}
	return out, unavailable("count conflicts", rows.Err())
}

// OpenConflict implements store.Store, outside any push transaction: the record's current
// value comes with it, so settling locks nothing to learn it.
func (db *DB) OpenConflict(ctx context.Context, id int64) (store.Conflict, error) {
	var c store.Conflict
	var lost string
	var state *string
	err := db.pool.QueryRow(ctx, `SELECT id, record_id, entity, unit, division, field, lost_value,
		(SELECT r.state FROM records r WHERE r.id = conflicts.record_id) FROM conflicts WHERE id = $1 AND state = 'open'`, id).
		Scan(&c.ID, &c.RecordID, &c.Entity, &c.Unit, &c.Division, &c.Field, &lost, &state)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, store.ErrNotFound
	}
	if err != nil {
		return c, unavailable("read conflict", err)
	}
	c.Lost.Value, c.State = json.RawMessage(lost), store.ConflictOpen
	if state != nil {
		c.Current, err = store.CurrentOf([]byte(*state), c.Field)
	}
	return c, err
}

// SettleConflict implements store.Store.
func (db *DB) SettleConflict(ctx context.Context, id int64, choice, writer string) error {
	tag, err := db.pool.Exec(ctx, `UPDATE conflicts SET state = $1, settled_by = $2, settled_at = $3 WHERE id = $4 AND state = 'open'`,
		choice, writer, db.now().UTC(), id)
	if err != nil {
		return unavailable("settle conflict", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}
