package localstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"talbar/syncproto"
	"talbar/syncproto/merge"
)

// Records outside this device's scope.
//
// A division officer may move a record to another soum. The server then sends the devices of the
// old soum the move (the record's new unit) and the devices of the new soum the whole record. On
// an inspector's device a record whose unit is no longer the inspector's soum is kept, so nothing
// the inspector once saved disappears from the database and a later move back restores it as it
// was, but it is outside "my records": FindRecords leaves it out unless Filter.IncludeOutside is
// set (or a change of it still waits in the outbox, so the inspector sees what needs attention),
// Summary no longer counts it, and a save, delete or restore of it is refused with
// ErrOutsideScope: the record is the new soum's business now. Edits saved before the device
// learned of the move are pushed as usual (the server takes an edit from any unit the record has
// belonged to, so an offline edit is never lost to a move), and a rejected change of it can
// still be discarded. A unit the inspector set wrongly on this device is not a move: that record stays
// editable so the inspector can fix it. An officer's scope is the whole aimag, which an officer's
// move never leaves, so nothing is hidden from an officer.

// scopeUnit is the unit records must be in to be this device's: the inspector's soum or
// district, "" for officers, viewers and devices not enrolled (no restriction).
func (db *DB) scopeUnit(ctx context.Context, q querier) (string, error) {
	v, err := db.meta(ctx, q, keyInspector)
	if err != nil || v == "" {
		return "", err
	}
	var in syncproto.Inspector
	if err := json.Unmarshal([]byte(v), &in); err != nil {
		return "", fmt.Errorf("read inspector: %w", err)
	}
	if in.Role != syncproto.RoleInspector {
		return "", nil
	}
	return in.UnitCode, nil
}

// outside reports whether a record of unit is outside the device's scope.
func outside(scope, unit string) bool { return scope != "" && unit != "" && unit != scope }

// movedAway reports whether r was moved out of the device's scope by someone else: its unit is
// outside the scope and was last set by another device. A unit this device set itself (a
// mistake the server rejected as out_of_scope) stays editable, so the inspector can fix it.
func movedAway(scope, dev string, r merge.Record) bool {
	f, ok := r.Fields["unit"]
	if !ok {
		return false
	}
	var unit string
	if json.Unmarshal(f.V, &unit) != nil {
		return false
	}
	return outside(scope, unit) && f.D != dev
}

// scopeOf returns the scope unit and the device id, for movedAway.
func (db *DB) scopeOf(ctx context.Context, q querier) (scope, dev string, err error) {
	if scope, err = db.scopeUnit(ctx, q); err != nil {
		return "", "", err
	}
	if dev, err = db.deviceID(ctx, q); err != nil {
		return "", "", fmt.Errorf("read device id: %w", err)
	}
	return scope, dev, nil
}

// Meta keys of this file.
const (
	keyRefAt = "reference_at" // when the units and targets were last received
	keyProbe = "probe"        // a change the server acknowledged, pushed again to check it still holds it
)

// RefreshEvery is how often a device asks for the reference data (units and targets) when it
// already holds them.
const RefreshEvery = 24 * time.Hour

// ReferenceDue reports whether the next pull should ask for the reference data: when no units
// were ever received, or the last were received more than RefreshEvery before now (or "after"
// now: a clock set back must not postpone the refresh for ever).
func (db *DB) ReferenceDue(ctx context.Context, now time.Time) (bool, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM units`).Scan(&n); err != nil {
		return false, fmt.Errorf("count units: %w", err)
	}
	if n == 0 {
		return true, nil
	}
	v, err := db.meta(ctx, db.read, keyRefAt)
	if err != nil {
		return false, fmt.Errorf("read reference time: %w", err)
	}
	at, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return true, nil
	}
	age := now.Sub(at)
	return age >= RefreshEvery || age < -time.Hour, nil
}

// probe is the stored probe change with its writer.
type probe struct {
	Change syncproto.Change `json:"change"`
}

// Probe returns a change the server once acknowledged, to be pushed again at the start of a
// sync: a server that still holds it answers duplicate; one that answers accepted lost it (it was
// restored from an older copy), even when neither its epoch nor its log length shows it. nil when
// there is none yet.
func (db *DB) Probe(ctx context.Context) (*syncproto.Change, error) {
	v, err := db.meta(ctx, db.read, keyProbe)
	if err != nil {
		return nil, fmt.Errorf("read probe: %w", err)
	}
	if v == "" {
		return nil, nil
	}
	var p probe
	if err := json.Unmarshal([]byte(v), &p); err != nil || p.Change.ID == "" {
		return nil, nil // an unreadable probe only weakens the check
	}
	return &p.Change, nil
}

// DropProbe forgets the probe (the server rejected it, so it proves nothing).
func (db *DB) DropProbe(ctx context.Context) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, keyProbe)
		if err != nil {
			return fmt.Errorf("drop probe: %w", err)
		}
		return nil
	})
}

// keepProbe stores the outbox entry id (about to leave the outbox as acknowledged) as the probe;
// false when the outbox holds no such entry.
func keepProbe(ctx context.Context, tx *sql.Tx, id string) (bool, error) {
	rows, err := queryOutbox(ctx, tx, `WHERE id = ?`, id)
	if err != nil || len(rows) == 0 {
		return false, err
	}
	o := rows[0]
	// The server answers a known id as a duplicate without reading the rest, so one field is
	// enough; a server that lost the change merges that field with its original hlc and writer
	// (or refuses it as a part of a record it lacks), which changes nothing and shows the loss.
	c := syncproto.Change{ID: o.id, Entity: o.entity, RecordID: o.recordID, Op: o.op, HLC: o.hlc, DeviceID: o.device}
	if o.op != syncproto.OpDelete {
		best := ""
		for k, v := range o.fields {
			if best == "" || len(k)+len(v) < len(best)+len(o.fields[best]) || len(k)+len(v) == len(best)+len(o.fields[best]) && k < best {
				best = k
			}
		}
		if best != "" {
			c.Fields = map[string]json.RawMessage{best: o.fields[best]}
		}
	}
	b, err := json.Marshal(probe{Change: c})
	if err != nil {
		return false, fmt.Errorf("encode probe: %w", err)
	}
	return true, setMeta(ctx, tx, keyProbe, string(b))
}

// AdoptEpoch stores a new server epoch without queuing the records' state again: the sync client
// calls it when it queued the state moments ago (a 409 cursor_ahead, after which the server
// rotated its epoch) and none of it has been pushed yet, so the queued state already goes to the
// new epoch. The pull starts over.
func (db *DB) AdoptEpoch(ctx context.Context, epoch string) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := setMeta(ctx, tx, keyEpoch, epoch); err != nil {
			return err
		}
		return setMeta(ctx, tx, keyCursor, "")
	})
	if err != nil {
		return fmt.Errorf("adopt epoch: %w", err)
	}
	db.logger.Info("server epoch adopted; state already queued", "epoch", epoch)
	return nil
}
