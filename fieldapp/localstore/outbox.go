package localstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"

	"talbar/shared/record"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
	"talbar/syncproto/merge"
)

// Change is one outbox entry as the screens show it.
type Change struct {
	ID       string
	RecordID string
	Entity   string
	Op       string
	HLC      string
	Fields   map[string]json.RawMessage
	Created  time.Time
	State    string // StatePending or StateRejected
	Code     string // the server's rejection code (syncproto.Reject*), translation key "reject.<code>"
	Message  string
	Problems []record.Problem // field problems when Code is syncproto.RejectInvalid
	// Resent is true for state re-sent to a server that lost data (or a fix of it): Discard refuses
	// it with ErrResentState, so the screens should offer only to fix the record.
	Resent bool
}

// Changes lists outbox entries in the given state ("" for all), oldest first.
func (db *DB) Changes(ctx context.Context, state string) ([]Change, error) {
	where, args := `ORDER BY seq`, []any{}
	if state != "" {
		where, args = `WHERE state = ? ORDER BY seq`, []any{state}
	}
	rows, err := queryOutbox(ctx, db.read, where, args...)
	if err != nil {
		return nil, err
	}
	out := make([]Change, 0, len(rows))
	for _, o := range rows {
		c := Change{ID: o.id, RecordID: o.recordID, Entity: o.entity, Op: o.op, HLC: o.hlc, Fields: o.fields,
			State: o.state, Code: o.code, Message: o.message, Resent: o.resent}
		c.Created, _ = time.Parse(time.RFC3339Nano, o.created)
		for _, p := range o.problems {
			c.Problems = append(c.Problems, record.Problem{Field: p.Field, Code: p.Code, Message: p.Message})
		}
		out = append(out, c)
	}
	return out, nil
}

// Counts returns how many changes wait to be pushed and how many the server rejected.
func (db *DB) Counts(ctx context.Context) (pending, rejected int, err error) {
	err = db.read.QueryRowContext(ctx, `SELECT
		coalesce(sum(state = 'pending'), 0), coalesce(sum(state = 'rejected'), 0) FROM outbox`).Scan(&pending, &rejected)
	if err != nil {
		return 0, 0, fmt.Errorf("count outbox: %w", err)
	}
	return pending, rejected, nil
}

// OutboxHealth is what the device tells the server of its queue.
func (db *DB) OutboxHealth(ctx context.Context) (syncproto.OutboxHealth, error) {
	var h syncproto.OutboxHealth
	var oldest sql.NullString
	if err := db.read.QueryRowContext(ctx, `SELECT count(*), min(created_at) FROM outbox`).Scan(&h.Pending, &oldest); err != nil {
		return h, fmt.Errorf("outbox health: %w", err)
	}
	if oldest.Valid {
		if t, err := time.Parse(time.RFC3339Nano, oldest.String); err == nil {
			h.Oldest = t.UTC().Format(time.RFC3339)
		}
	}
	return h, nil
}

// PendingChanges returns up to limit changes waiting to be pushed, oldest first. Rejected changes
// are not among them: pushing them again would only be rejected again. A change written under
// another device id (re-sent state, or a change saved before a re-enrollment) names its writer.
func (db *DB) PendingChanges(ctx context.Context, limit int) ([]syncproto.Change, error) {
	out, _, err := db.PendingChangesAfter(ctx, 0, limit)
	return out, err
}

// PendingChangesAfter is PendingChanges from outbox position after on (0: from the oldest); it
// also returns the position of the last change returned (after when none), so a sync client can
// read the outbox in large pages ahead of the answers to what it already sent.
func (db *DB) PendingChangesAfter(ctx context.Context, after int64, limit int) ([]syncproto.Change, int64, error) {
	dev, err := db.deviceID(ctx, db.read)
	if err != nil {
		return nil, after, fmt.Errorf("pending changes: %w", err)
	}
	rows, err := queryOutbox(ctx, db.read, `WHERE state = 'pending' AND seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, after, err
	}
	last := after
	if len(rows) > 0 {
		last = rows[len(rows)-1].seq
	}
	out := make([]syncproto.Change, len(rows))
	for i, o := range rows {
		out[i] = syncproto.Change{ID: o.id, Entity: o.entity, RecordID: o.recordID, Op: o.op, HLC: o.hlc, Fields: o.fields}
		if o.op == syncproto.OpDelete {
			out[i].Fields = nil
		}
		if o.device != "" && o.device != dev {
			out[i].DeviceID = o.device
		}
		if !o.resent && o.before[syncproto.BaseRecord] != nil { // an edit of a record this device held
			out[i].Base = baseOf(o)
		}
	}
	return out, last, nil
}

// baseOf is what a change was edited from: for each field it sets, the hlc of the value it
// replaced here ("" for an empty field), and the record's version (syncproto.BaseRecord). The
// server keeps as a conflict whatever this edit overwrote, or lost to, that it had not seen.
func baseOf(o outboxRow) map[string]string {
	base := make(map[string]string, len(o.before))
	for _, name := range o.names() {
		if b, ok := o.before[name]; ok && b != nil {
			base[name] = b.H
		} else {
			base[name] = ""
		}
	}
	if b := o.before[syncproto.BaseRecord]; b != nil {
		base[syncproto.BaseRecord] = b.H
	}
	return base
}

// Acknowledge applies a push answer in one transaction: accepted and duplicate changes leave the
// outbox (the server holds them durably), rejected ones stay with the server's reason, the clock
// moves past server_hlc and a clock-skew warning is kept for the screens (or cleared when the
// server no longer warns). An answer without server_hlc (one the sync client made up, such as the
// too_large rejection of a change over the server's limit) leaves the clock and the skew warning
// alone. Ids this outbox does not hold are ignored. It returns how many
// changes left the outbox and how many were marked rejected.
func (db *DB) Acknowledge(ctx context.Context, resp syncproto.PushResponse) (dropped, rejected int, err error) {
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		dropped, rejected = 0, 0
		touched := map[string]bool{}
		// The newest acknowledged change becomes the probe of the next sync.
		acked := append(append([]string(nil), resp.Duplicates...), resp.Accepted...)
		for i := len(acked) - 1; i >= 0; i-- {
			if ok, err := keepProbe(ctx, tx, acked[i]); err != nil {
				return err
			} else if ok {
				break
			}
		}
		if len(acked) > 0 {
			// One statement for the whole answer: parsing and stepping a statement per change
			// was most of a large push's time on the device.
			ids, _ := json.Marshal(acked)
			rows, err := tx.QueryContext(ctx, `DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?)) RETURNING record_id`, string(ids))
			if err != nil {
				return fmt.Errorf("drop acknowledged changes: %w", err)
			}
			for rows.Next() {
				var rid string
				if err := rows.Scan(&rid); err != nil {
					rows.Close()
					return fmt.Errorf("drop acknowledged changes: %w", err)
				}
				touched[rid] = true
				dropped++
			}
			if err := rows.Close(); err != nil {
				return fmt.Errorf("drop acknowledged changes: %w", err)
			}
		}
		ahead := false
		for _, r := range resp.Rejected {
			if r.Code == syncproto.RejectClockAhead {
				// Not the inspector's to fix: the change stays pending, stamped again below.
				ahead = true
				continue
			}
			problems := ""
			if len(r.Problems) > 0 {
				b, _ := json.Marshal(r.Problems)
				problems = string(b)
			}
			var rid string
			err := tx.QueryRowContext(ctx, `UPDATE outbox SET state = 'rejected', code = ?, message = ?, problems = ?
				WHERE id = ? RETURNING record_id`, r.Code, r.Message, problems, r.ID).Scan(&rid)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return fmt.Errorf("keep rejected change: %w", err)
			}
			touched[rid] = true
			rejected++
			db.logger.Warn("change rejected", "change", r.ID, "record", rid, "code", r.Code, "message", r.Message)
		}
		if err := refreshSyncState(ctx, tx, touched); err != nil {
			return err
		}
		if ahead {
			if ts, err := hlc.Parse(resp.ServerHLC); err == nil {
				db.clock.Observe(ts)
			}
			if err := db.restampAhead(ctx, tx, hlc.New(db.Now().Add(syncproto.MaxAhead).UnixMilli(), 0)); err != nil {
				return err
			}
		}
		if resp.ServerHLC == "" {
			// Not a server's answer (every push answer carries server_hlc) but one the sync
			// client made up, say for a change too large to ever send: it says nothing of the
			// clock, so a real clock-skew warning stays.
			return nil
		}
		skew := ""
		for _, w := range resp.Warnings {
			if w.Code == syncproto.WarnClockSkew {
				b, _ := json.Marshal(SkewWarning{Message: w.Message, At: db.now().UTC()})
				skew = string(b)
			} else {
				db.logger.Info("push warning", "change", w.ID, "code", w.Code, "message", w.Message)
			}
		}
		if skew == "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, keySkewWarning); err != nil {
				return err
			}
		} else if err := setMeta(ctx, tx, keySkewWarning, skew); err != nil {
			return err
		}
		return db.observeTx(ctx, tx, resp.ServerHLC)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("acknowledge push: %w", err)
	}
	return dropped, rejected, nil
}

func (db *DB) observeTx(ctx context.Context, tx *sql.Tx, serverHLC string) error {
	if serverHLC == "" {
		return nil
	}
	if ts, err := hlc.Parse(serverHLC); err == nil && ts > db.clock.Last() {
		db.clock.Observe(ts)
		return db.persistClock(ctx, tx)
	}
	return nil
}

// ApplyPull merges one pull page and stores its cursor, reference data and the clock in one
// transaction, so a crash leaves either the whole page applied or none of it. since is the cursor
// the page was asked from; if the stored cursor moved meanwhile the page is refused. The clock
// moves past server_hlc and past the hlc of every pulled change: a change stamped by a device
// whose clock runs far ahead is not reflected in server_hlc, yet a local edit made after seeing
// it must order after it.
func (db *DB) ApplyPull(ctx context.Context, since string, page syncproto.PullResponse) (int, error) {
	applied := 0
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := db.meta(ctx, tx, keyCursor)
		if err != nil {
			return err
		}
		if cur != since {
			return fmt.Errorf("cursor moved from %q to %q", since, cur)
		}
		dirty := map[string]bool{}
		dev, err := db.deviceID(ctx, tx)
		if err != nil {
			return err
		}
		// The page's records are read in one statement and written through one prepared
		// statement: a statement parsed per record was most of a large first pull's time.
		ids := make([]string, 0, len(page.Changes))
		for _, c := range page.Changes {
			ids = append(ids, c.RecordID)
		}
		recs, err := loadRecords(ctx, tx, ids)
		if err != nil {
			return err
		}
		for _, c := range page.Changes {
			r, ok := recs[c.RecordID]
			if !ok {
				r = &merge.Record{Fields: map[string]merge.Field{}}
				recs[c.RecordID] = r
			}
			if r.Entity != "" && r.Entity != c.Entity {
				db.logger.Warn("pulled change of another entity ignored", "record", c.RecordID, "change", c.ID)
				continue
			}
			if err := noteReplaced(ctx, tx, r, c, dev, db.now()); err != nil {
				return err
			}
			if merge.Apply(r, c, c.DeviceID) {
				dirty[c.RecordID] = true
			}
			if ts, err := hlc.Parse(c.HLC); err == nil {
				// A local edit made after this must order after it, even when the writer's clock
				// runs ahead of the server's (which does not move server_hlc past such changes).
				db.clock.Observe(ts)
			}
			applied++
		}
		ids = ids[:0]
		for id := range dirty {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		if len(ids) > 0 {
			st, err := tx.PrepareContext(ctx, writeRecordSQL)
			if err != nil {
				return fmt.Errorf("write records: %w", err)
			}
			defer st.Close()
			for _, id := range ids {
				if _, err := st.ExecContext(ctx, recordArgs(recs[id], "")...); err != nil {
					return fmt.Errorf("write record: %w", err)
				}
			}
		}
		if page.Reference != nil {
			if err := db.storeReference(ctx, tx, page.Reference); err != nil {
				return err
			}
			if len(page.Reference.Units) > 0 {
				// A catalogue sent alone (survey=N) is no refresh of the units and targets.
				if err := setMeta(ctx, tx, keyRefAt, db.now().UTC().Format(time.RFC3339Nano)); err != nil {
					return err
				}
			}
		}
		if err := setMeta(ctx, tx, keyCursor, page.Cursor); err != nil {
			return err
		}
		if ts, err := hlc.Parse(page.ServerHLC); err == nil {
			db.clock.Observe(ts)
		}
		return db.persistClock(ctx, tx)
	})
	if err != nil {
		return 0, fmt.Errorf("apply pull page: %w", err)
	}
	if page.Reference != nil {
		db.invalidateUnits()
		db.invalidateSurvey()
	}
	return applied, nil
}

// ResendState queues the current state of every record for a server that may have lost some of it
// (PROTOCOL.md, server epoch): each field group with its original hlc and original writer, so the
// merge on the server restores what it lost and changes nothing else. It stores epoch and starts
// the pull over, in the same transaction, and returns how many changes it queued.
//
// The oldest group of each record also carries any required field it lacks, with the record's
// current value: a server that lost the record needs the first change it sees to be whole, and a
// value under an older hlc than the field's own can never beat it anywhere. Groups that match a
// rejected change stay out: the inspector fixes or discards those.
//
// The pending changes give way to the state: every field they set is in the state, with their
// own hlc and writer or a newer one, so nothing they carry is lost. Keeping them would send it
// twice, and a pending edit of a record the server lost, pushed in a batch before the record's
// whole state, would be refused as record_not_found.
func (db *DB) ResendState(ctx context.Context, epoch string) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		dev, err := db.deviceID(ctx, tx)
		if err != nil {
			return err
		}
		if n, err = db.queueState(ctx, tx, dev); err != nil {
			return err
		}
		if err := setMeta(ctx, tx, keyEpoch, epoch); err != nil {
			return err
		}
		return setMeta(ctx, tx, keyCursor, "")
	})
	if err != nil {
		return 0, fmt.Errorf("resend state: %w", err)
	}
	db.logger.Info("state queued for the server", "changes", n, "epoch", epoch)
	return n, nil
}

func (db *DB) queueState(ctx context.Context, tx *sql.Tx, dev string) (int, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE state = 'pending'`); err != nil {
		return 0, fmt.Errorf("fold pending changes into the state: %w", err)
	}
	type rej struct{ hlc, device string }
	rejected := map[string]map[rej]bool{}
	rows, err := queryOutbox(ctx, tx, `WHERE state = 'rejected'`)
	if err != nil {
		return 0, err
	}
	for _, o := range rows {
		if rejected[o.recordID] == nil {
			rejected[o.recordID] = map[rej]bool{}
		}
		rejected[o.recordID][rej{o.hlc, o.device}] = true
	}
	n, after := 0, ""
	now := db.now()
	for {
		page, err := recordsAfter(ctx, tx, after, 500)
		if err != nil {
			return 0, err
		}
		if len(page) == 0 {
			return n, nil
		}
		for _, r := range page {
			after = r.ID
			groups := r.State()
			values := r.Values()
			queued := false
			for i, g := range groups {
				if g.Device == "" {
					g.Device = dev
				}
				if rejected[r.ID][rej{g.HLC, g.Device}] {
					continue
				}
				if i == 0 {
					for _, f := range record.Required(r.Entity) {
						if _, ok := g.Fields[f]; !ok {
							if v, ok := values[f]; ok {
								g.Fields[f] = v
							}
						}
					}
				}
				id, err := uuid.NewV7()
				if err != nil {
					return 0, fmt.Errorf("new change id: %w", err)
				}
				g.Change.ID = id.String()
				before := map[string]*merge.Field{}
				for name := range g.Fields {
					if f, ok := r.Fields[name]; ok {
						before[name] = &f
					}
				}
				if err := insertOutbox(ctx, tx, g.Change, g.Device, now, before, true); err != nil {
					return 0, err
				}
				n++
				queued = true
			}
			if queued {
				if _, err := tx.ExecContext(ctx, `UPDATE records SET sync_state = 'pending' WHERE id = ? AND sync_state = 'synced'`, r.ID); err != nil {
					return 0, fmt.Errorf("mark pending: %w", err)
				}
			}
		}
	}
}

func recordsAfter(ctx context.Context, q querier, after string, limit int) ([]merge.Record, error) {
	rows, err := q.QueryContext(ctx, `SELECT data FROM records WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read records: %w", err)
	}
	defer rows.Close()
	var out []merge.Record
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		r, err := decodeMerged(data)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
