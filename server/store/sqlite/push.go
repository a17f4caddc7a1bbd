package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"talbar/server/store"
	"talbar/shared/tally"
	"talbar/syncproto"
	"talbar/syncproto/merge"
)

// chunk is how many ids one IN (...) query takes; SQLite allows 32,766 parameters, and smaller
// chunks keep each statement's plan cheap.
const chunk = 500

// Push implements store.Store: one transaction for the whole batch.
func (db *DB) Push(ctx context.Context, p store.Principal, req syncproto.PushRequest) (syncproto.PushResponse, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return syncproto.PushResponse{}, store.ErrUnavailable
	}
	now := db.now().UTC()
	planner := store.Planner{Units: db.units, Now: now}
	pre := planner.Precheck(req) // pure work, before the write lock

	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return syncproto.PushResponse{}, fmt.Errorf("%w: begin push: %v", store.ErrUnavailable, err)
	}
	defer tx.Rollback()

	changeIDs := make([]string, 0, len(req.Changes))
	recordIDs := make([]string, 0, len(req.Changes))
	seenRec := map[string]bool{}
	for _, c := range req.Changes {
		changeIDs = append(changeIDs, c.ID)
		if !seenRec[c.RecordID] {
			seenRec[c.RecordID] = true
			recordIDs = append(recordIDs, c.RecordID)
		}
	}
	known, err := knownChanges(ctx, tx, changeIDs)
	if err != nil {
		return syncproto.PushResponse{}, err
	}
	existing, err := loadRecords(ctx, tx, recordIDs)
	if err != nil {
		return syncproto.PushResponse{}, err
	}
	if planner.Devices, err = namedDevices(ctx, tx, p.DeviceID, req.Changes); err != nil {
		return syncproto.PushResponse{}, err
	}
	plan := planner.Merge(p, req, pre, existing, known)
	stamp := now.Format(time.RFC3339Nano)
	if err := writeLog(ctx, tx, plan.Log, p.DeviceID, stamp); err != nil {
		return syncproto.PushResponse{}, err
	}
	if err := writeRecords(ctx, tx, plan.Records); err != nil {
		return syncproto.PushResponse{}, err
	}
	if err := applyDeltas(ctx, tx, plan.Deltas, db); err != nil {
		return syncproto.PushResponse{}, err
	}
	if err := writeRejections(ctx, tx, plan.Rejections, stamp); err != nil {
		return syncproto.PushResponse{}, err
	}
	r := plan.Response
	if _, err := tx.ExecContext(ctx, `UPDATE devices SET last_seen = ?, last_push = ?, skew_ms = ?, outbox_pending = ?,
		outbox_oldest = ?, accepted = accepted + ?, duplicates = duplicates + ?, rejected = rejected + ? WHERE id = ?`,
		stamp, stamp, plan.SkewMillis, pendingAfter(req.Outbox.Pending, len(r.Accepted)+len(r.Duplicates)), trim(req.Outbox.Oldest, 40),
		len(r.Accepted), len(r.Duplicates), len(r.Rejected), p.DeviceID); err != nil {
		return syncproto.PushResponse{}, fmt.Errorf("update device: %w", err)
	}
	var high int64
	if len(plan.Log) > 0 {
		if err := tx.QueryRowContext(ctx, `SELECT max(cursor) FROM changes`).Scan(&high); err != nil {
			return syncproto.PushResponse{}, fmt.Errorf("read max cursor: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return syncproto.PushResponse{}, fmt.Errorf("%w: commit push: %v", store.ErrUnavailable, err)
	}
	if high > 0 {
		db.noteHighWater(high)
	}
	db.clock.Observe(plan.MaxHLC)
	r.ServerHLC = db.clock.Next().String()
	r.ServerEpoch = db.Epoch()
	return r, nil
}

// pendingAfter is what a device's outbox holds once a push is answered: the device counts its
// outbox before sending, and every change accepted or already known leaves it. Done here rather
// than by the device so every client version reports the same way.
func pendingAfter(reported, delivered int) int {
	return max(0, reported-delivered)
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// namedDevices returns the unit of each enrolled device, other than the pusher, that a change
// names in device_id.
func namedDevices(ctx context.Context, tx *sql.Tx, pusher string, cs []syncproto.Change) (map[string]string, error) {
	var ids []any
	seen := map[string]bool{pusher: true, "": true}
	for _, c := range cs {
		if !seen[c.DeviceID] {
			seen[c.DeviceID] = true
			ids = append(ids, c.DeviceID)
		}
	}
	out := map[string]string{}
	for i := 0; i < len(ids); i += chunk {
		part := ids[i:min(i+chunk, len(ids))]
		rows, err := tx.QueryContext(ctx, `SELECT d.id, i.unit FROM devices d JOIN inspectors i ON i.id = d.inspector_id
			WHERE d.id IN (`+placeholders(len(part))+`)`, part...)
		if err != nil {
			return nil, fmt.Errorf("find named devices: %w", err)
		}
		for rows.Next() {
			var id, u string
			if err := rows.Scan(&id, &u); err != nil {
				rows.Close()
				return nil, fmt.Errorf("scan named device: %w", err)
			}
			out[id] = u
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("find named devices: %w", err)
		}
	}
	return out, nil
}

func knownChanges(ctx context.Context, tx *sql.Tx, ids []string) (map[string]bool, error) {
	known := map[string]bool{}
	for i := 0; i < len(ids); i += chunk {
		part := ids[i:min(i+chunk, len(ids))]
		args := make([]any, len(part))
		for j, id := range part {
			args[j] = id
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM changes WHERE id IN (`+placeholders(len(part))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("find known changes: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("scan known change: %w", err)
			}
			known[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("find known changes: %w", err)
		}
	}
	return known, nil
}

func loadRecords(ctx context.Context, tx *sql.Tx, ids []string) (map[string]*store.StoredRecord, error) {
	out := map[string]*store.StoredRecord{}
	for i := 0; i < len(ids); i += chunk {
		part := ids[i:min(i+chunk, len(ids))]
		args := make([]any, len(part))
		for j, id := range part {
			args[j] = id
		}
		rows, err := tx.QueryContext(ctx, `SELECT unit, units, division, date, year, deleted, state FROM records WHERE id IN (`+placeholders(len(part))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("load records: %w", err)
		}
		for rows.Next() {
			sr := &store.StoredRecord{Existed: true}
			var state []byte
			var units string
			if err := rows.Scan(&sr.Unit, &units, &sr.Division, &sr.Date, &sr.Year, &sr.Deleted, &state); err != nil {
				rows.Close()
				return nil, fmt.Errorf("scan record: %w", err)
			}
			if err := json.Unmarshal(state, &sr.Rec); err != nil {
				rows.Close()
				return nil, fmt.Errorf("decode record: %w", err)
			}
			if units != "" {
				sr.Units = strings.Split(units, ",")
			} else if sr.Unit != "" {
				sr.Units = []string{sr.Unit}
			}
			out[sr.Rec.ID] = sr
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("load records: %w", err)
		}
	}
	return out, nil
}

func writeLog(ctx context.Context, tx *sql.Tx, log []store.LogEntry, pusher, stamp string) error {
	if len(log) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO changes (id, record_id, entity, op, hlc, device_id, pusher_id, unit, division, fields, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("prepare change log: %w", err)
	}
	defer st.Close()
	for _, e := range log {
		var fields any
		if len(e.Change.Fields) > 0 {
			fields = merge.EncodeFields(e.Change.Fields)
		}
		if _, err := st.ExecContext(ctx, e.Change.ID, e.Change.RecordID, e.Change.Entity, e.Change.Op, e.Change.HLC,
			e.DeviceID, pusher, e.Unit, e.Division, fields, stamp); err != nil {
			return fmt.Errorf("append change %s: %w", e.Change.ID, err)
		}
	}
	return nil
}

func writeRecords(ctx context.Context, tx *sql.Tx, recs map[string]*store.StoredRecord) error {
	if len(recs) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO records (id, entity, unit, units, division, date, year, deleted, version, state)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET unit = excluded.unit, units = excluded.units, division = excluded.division,
		date = excluded.date, year = excluded.year, deleted = excluded.deleted, version = excluded.version, state = excluded.state`)
	if err != nil {
		return fmt.Errorf("prepare records: %w", err)
	}
	defer st.Close()
	for id, sr := range recs {
		if _, err := st.ExecContext(ctx, id, sr.Rec.Entity, sr.Unit, strings.Join(sr.Units, ","), sr.Division, sr.Date, sr.Year, sr.Deleted,
			sr.Rec.MaxHLC(), sr.Rec.Marshal()); err != nil {
			return fmt.Errorf("write record %s: %w", id, err)
		}
	}
	return nil
}

// totalsUpsert adds a delta to one totals row.
var totalsUpsert = func() string {
	cols, vals, sets := make([]string, tally.N), make([]string, tally.N), make([]string, tally.N)
	for i := range tally.Metrics {
		cols[i] = fmt.Sprintf("m%02d", i)
		vals[i] = "?"
		sets[i] = fmt.Sprintf("m%02d = m%02d + excluded.m%02d", i, i, i)
	}
	return `INSERT INTO totals (unit, scope, year, month, ` + strings.Join(cols, ", ") + `) VALUES (?, ?, ?, ?, ` +
		strings.Join(vals, ", ") + `) ON CONFLICT (unit, year, month) DO UPDATE SET ` + strings.Join(sets, ", ")
}()

type rollupKey struct {
	unit, scope string
	year, month int
}

// applyDeltas moves the totals of each leaf and month and of every roll-up above it: the leaf's
// year, its division's month and year, the nation's month and year. Deltas are summed per row in
// memory first, so a batch touches each row once.
func applyDeltas(ctx context.Context, tx *sql.Tx, deltas map[tally.Key]tally.Vector, db *DB) error {
	if len(deltas) == 0 {
		return nil
	}
	rows := map[rollupKey]tally.Vector{}
	add := func(k rollupKey, v tally.Vector) {
		if rows[k] == nil {
			rows[k] = tally.New()
		}
		rows[k].Add(v)
	}
	for k, v := range deltas {
		div := string(db.units.Division(unitCode(k.Unit)))
		for _, m := range []int{k.Month, 0} {
			add(rollupKey{k.Unit, "leaf", k.Year, m}, v)
			add(rollupKey{div, "division", k.Year, m}, v)
			add(rollupKey{"MN", "nation", k.Year, m}, v)
		}
	}
	st, err := tx.PrepareContext(ctx, totalsUpsert)
	if err != nil {
		return fmt.Errorf("prepare totals: %w", err)
	}
	defer st.Close()
	args := make([]any, 4+tally.N)
	for k, v := range rows {
		args[0], args[1], args[2], args[3] = k.unit, k.scope, k.year, k.month
		for i, x := range v {
			args[4+i] = x
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("move totals of %s %d-%02d: %w", k.unit, k.year, k.month, err)
		}
	}
	return nil
}

func writeRejections(ctx context.Context, tx *sql.Tx, rejs []store.Rejection, stamp string) error {
	if len(rejs) == 0 {
		return nil
	}
	for _, r := range rejs {
		probs := ""
		if len(r.Problems) > 0 {
			// A record has a few dozen fields at most; keep the first 50 problems.
			b, err := json.Marshal(r.Problems[:min(len(r.Problems), 50)])
			if err != nil {
				return fmt.Errorf("encode rejection problems: %w", err)
			}
			probs = string(b)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO rejections (change_id, device_id, code, message, problems, at) VALUES (?, ?, ?, ?, ?, ?)`,
			r.ChangeID, r.DeviceID, r.Code, trim(r.Message, 500), probs, stamp); err != nil {
			return fmt.Errorf("keep rejection: %w", err)
		}
	}
	// Keep the latest 10,000: enough for headquarters to see what devices struggle with.
	if _, err := tx.ExecContext(ctx, `DELETE FROM rejections WHERE id <= (SELECT max(id) FROM rejections) - 10000`); err != nil {
		return fmt.Errorf("prune rejections: %w", err)
	}
	return nil
}

// decodeRecord reads a stored state column.
func decodeRecord(b []byte) (merge.Record, error) {
	var r merge.Record
	err := json.Unmarshal(b, &r)
	return r, err
}
