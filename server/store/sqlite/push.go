package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"talbar/server/store"
	"talbar/shared/tally"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
	"talbar/syncproto/merge"
)

// chunk is how many ids one IN (...) query takes; SQLite allows 32,766 parameters, and smaller
// chunks keep each statement's plan cheap.
const chunk = 500

// The fixed statements of a push, prepared once (DB.preparePush).
const (
	sqlAppendLog = `INSERT INTO changes (id, record_id, entity, op, hlc, device_id, pusher_id, unit, division, fields, received_at, base)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlPutRecord = `INSERT INTO records (id, entity, unit, units, division, date, year, deleted, version, state)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET unit = excluded.unit, units = excluded.units, division = excluded.division,
		date = excluded.date, year = excluded.year, deleted = excluded.deleted, version = excluded.version, state = excluded.state`
	sqlAppendLogValues = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlPutRecordValues = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlNoteDevice      = `UPDATE devices SET last_seen = ?, last_push = ?, skew_ms = ?, outbox_pending = ?,
		outbox_oldest = ?, accepted = accepted + ?, duplicates = duplicates + ?, rejected = rejected + ? WHERE id = ?`
	sqlMaxCursor = `SELECT max(cursor) FROM changes`
)

// rowsPerInsert is how many rows one multi-row INSERT of the change log or of the records takes:
// a statement stepped per row cost as much in database/sql and binding as SQLite's own work.
const rowsPerInsert = 32

// sqlAppendLogMany and sqlPutRecordMany insert rowsPerInsert rows at once (VALUES keeps their
// order, so the cursors of the log stay in request order).
var (
	sqlAppendLogMany = strings.Replace(sqlAppendLog, sqlAppendLogValues, strings.TrimSuffix(strings.Repeat(sqlAppendLogValues+", ", rowsPerInsert), ", "), 1)
	sqlPutRecordMany = strings.Replace(sqlPutRecord, sqlPutRecordValues, strings.TrimSuffix(strings.Repeat(sqlPutRecordValues+", ", rowsPerInsert), ", "), 1)
)

// preparePush prepares the fixed statements of a push on the writer connection.
func (db *DB) preparePush(ctx context.Context) error {
	db.pushStmts = map[string]*sql.Stmt{}
	qs := []string{sqlAppendLog, sqlPutRecord, sqlAppendLogMany, sqlPutRecordMany, sqlNoteDevice, sqlMaxCursor}
	for _, q := range totalsBlockUpserts {
		if q != "" {
			qs = append(qs, q)
		}
	}
	for _, q := range qs {
		st, err := db.write.PrepareContext(ctx, q)
		if err != nil {
			for _, p := range db.pushStmts {
				p.Close()
			}
			return fmt.Errorf("prepare push statement: %w", err)
		}
		db.pushStmts[q] = st
	}
	return nil
}

// stmt is the prepared statement q within the push's transaction.
func (t *pushTx) stmt(ctx context.Context, q string) *sql.Stmt {
	return t.tx.StmtContext(ctx, t.db.pushStmts[q])
}

// pushTx is one push's transaction on the single writer connection. It holds db.mu for reading
// until it ends, so Close waits for it.
type pushTx struct {
	db   *DB
	tx   *sql.Tx
	high int64 // greatest cursor appended
	done bool
}

// BeginPush implements store.Store.
func (db *DB) BeginPush(ctx context.Context) (store.PushTx, error) {
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return nil, store.ErrUnavailable
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		db.mu.RUnlock()
		return nil, fmt.Errorf("%w: begin push: %v", store.ErrUnavailable, err)
	}
	return &pushTx{db: db, tx: tx}, nil
}

// watch marks the store corrupt when SQLite reports the file malformed during a push: /healthz
// then fails, so the operator restores a backup instead of the server answering 503 for ever.
func (t *pushTx) watch(err *error) {
	if *err != nil && strings.Contains((*err).Error(), "malformed") && !t.db.corrupt.Swap(true) {
		t.db.log.Error("the store file is malformed: restore a backup", "path", t.db.path, "err", *err)
	}
}

// Rollback implements store.PushTx.
func (t *pushTx) Rollback() {
	if t.done {
		return
	}
	t.done = true
	t.tx.Rollback()
	t.db.mu.RUnlock()
}

// Commit implements store.PushTx: the high-water file and the clock move once the push is
// durable.
func (t *pushTx) Commit(ctx context.Context, maxHLC hlc.Timestamp) (_ string, _ string, err error) {
	defer t.watch(&err)
	if t.done {
		return "", "", errors.New("push already ended")
	}
	t.done = true
	defer t.db.mu.RUnlock()
	if err := t.tx.Commit(); err != nil {
		if strings.Contains(err.Error(), "malformed") {
			t.db.corrupt.Store(true)
			t.db.log.Error("the store file is malformed: restore a backup", "path", t.db.path, "err", err)
		}
		return "", "", fmt.Errorf("%w: commit push: %v", store.ErrUnavailable, err)
	}
	if t.high > 0 {
		t.db.noteHighWater(t.high)
	}
	t.db.clock.Observe(maxHLC)
	return t.db.Epoch(), t.db.clock.Next().String(), nil
}

// NoteDevice implements store.PushTx.
func (t *pushTx) NoteDevice(ctx context.Context, deviceID string, n store.DevicePush) (err error) {
	defer t.watch(&err)
	stamp := n.At.UTC().Format(time.RFC3339Nano)
	if _, err := t.stmt(ctx, sqlNoteDevice).ExecContext(ctx,
		stamp, stamp, n.SkewMillis, n.OutboxPending, n.OutboxOldest, n.Accepted, n.Duplicates, n.Rejected, deviceID); err != nil {
		return fmt.Errorf("update device: %w", err)
	}
	return nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// NamedDevices implements store.PushTx: the unit of each enrolled device, other than the pusher, that a change
// names in device_id.
func (t *pushTx) NamedDevices(ctx context.Context, pusher string, cs []syncproto.Change) (_ map[string]string, err error) {
	defer t.watch(&err)
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
		rows, err := t.tx.QueryContext(ctx, `SELECT d.id, i.unit FROM devices d JOIN inspectors i ON i.id = d.inspector_id
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

// KnownChanges implements store.PushTx.
func (t *pushTx) KnownChanges(ctx context.Context, ids []string) (_ map[string]bool, err error) {
	defer t.watch(&err)
	tx := t.tx
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

// LoadRecords implements store.PushTx.
func (t *pushTx) LoadRecords(ctx context.Context, ids []string) (_ map[string]*store.StoredRecord, err error) {
	defer t.watch(&err)
	tx := t.tx
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

// AppendLog implements store.PushTx. One writer at a time makes cursor order commit order.
func (t *pushTx) AppendLog(ctx context.Context, log []store.LogEntry, pusher string, at time.Time) (err error) {
	defer t.watch(&err)
	if len(log) == 0 {
		return nil
	}
	stamp := at.UTC().Format(time.RFC3339Nano)
	ins := inserter{t: t, one: sqlAppendLog, many: sqlAppendLogMany, cols: 12, what: "append changes"}
	for _, e := range log {
		var fields any
		if len(e.Change.Fields) > 0 {
			fields = merge.EncodeFields(e.Change.Fields)
		}
		var base any
		if len(e.Change.Base) > 0 {
			b, err := json.Marshal(e.Change.Base)
			if err != nil {
				return fmt.Errorf("encode base of %s: %w", e.Change.ID, err)
			}
			base = b
		}
		if err := ins.add(ctx, e.Change.ID, e.Change.RecordID, e.Change.Entity, e.Change.Op, e.Change.HLC,
			e.DeviceID, pusher, e.Unit, e.Division, fields, stamp, base); err != nil {
			return err
		}
	}
	if err := ins.flush(ctx); err != nil {
		return err
	}
	if err := t.stmt(ctx, sqlMaxCursor).QueryRowContext(ctx).Scan(&t.high); err != nil {
		return fmt.Errorf("read max cursor: %w", err)
	}
	return nil
}

// PutRecords implements store.PushTx.
func (t *pushTx) PutRecords(ctx context.Context, recs map[string]*store.StoredRecord) (err error) {
	defer t.watch(&err)
	if len(recs) == 0 {
		return nil
	}
	ins := inserter{t: t, one: sqlPutRecord, many: sqlPutRecordMany, cols: 10, what: "write records"}
	for id, sr := range recs {
		if err := ins.add(ctx, id, sr.Rec.Entity, sr.Unit, strings.Join(sr.Units, ","), sr.Division, sr.Date, sr.Year, sr.Deleted,
			sr.Rec.MaxHLC(), sr.Rec.Marshal()); err != nil {
			return err
		}
	}
	return ins.flush(ctx)
}

// inserter gathers rows and writes them rowsPerInsert at a time with the many-row statement, the
// rest one by one.
type inserter struct {
	t         *pushTx
	one, many string
	cols      int
	what      string
	args      []any
	manySt    *sql.Stmt
}

func (in *inserter) add(ctx context.Context, row ...any) error {
	in.args = append(in.args, row...)
	if len(in.args) < rowsPerInsert*in.cols {
		return nil
	}
	if in.manySt == nil {
		in.manySt = in.t.stmt(ctx, in.many)
	}
	if _, err := in.manySt.ExecContext(ctx, in.args...); err != nil {
		return fmt.Errorf("%s: %w", in.what, err)
	}
	in.args = in.args[:0]
	return nil
}

func (in *inserter) flush(ctx context.Context) error {
	if len(in.args) == 0 {
		return nil
	}
	st := in.t.stmt(ctx, in.one)
	for i := 0; i < len(in.args); i += in.cols {
		if _, err := st.ExecContext(ctx, in.args[i:i+in.cols]...); err != nil {
			return fmt.Errorf("%s (%v): %w", in.what, in.args[i], err)
		}
	}
	in.args = in.args[:0]
	return nil
}

// totalsBlock is how many metric columns one block of a sparse totals upsert covers.
const totalsBlock = 16

// totalsBlocks is how many blocks the metric columns fall into.
var totalsBlocks = (tally.N + totalsBlock - 1) / totalsBlock

// totalsBlockUpserts holds, for every non-empty set of blocks (a bit mask), an upsert that adds
// only those blocks' columns. A typical event moves a dozen of the 83 metrics, all in the first
// two blocks: binding and adding 32 columns rather than 83 per row is a third of AddTotals's work.
// The others keep their value (or their default 0 on insert).
var totalsBlockUpserts = func() []string {
	out := make([]string, 1<<totalsBlocks)
	for mask := 1; mask < len(out); mask++ {
		var cols, vals, sets []string
		for i := range tally.Metrics {
			if mask&(1<<(i/totalsBlock)) == 0 {
				continue
			}
			cols = append(cols, fmt.Sprintf("m%02d", i))
			vals = append(vals, "?")
			sets = append(sets, fmt.Sprintf("m%02d = m%02d + excluded.m%02d", i, i, i))
		}
		out[mask] = `INSERT INTO totals (unit, scope, year, month, ` + strings.Join(cols, ", ") + `) VALUES (?, ?, ?, ?, ` +
			strings.Join(vals, ", ") + `) ON CONFLICT (unit, year, month) DO UPDATE SET ` + strings.Join(sets, ", ")
	}
	return out
}()

// blockMask is the set of blocks in which v has a non-zero metric; at least the first block, so
// a row of zeros is still written as before.
func blockMask(v tally.Vector) int {
	mask := 0
	for i, x := range v {
		if x != 0 {
			mask |= 1 << (i / totalsBlock)
		}
	}
	if mask == 0 {
		mask = 1
	}
	return mask
}

type rollupKey struct {
	unit, scope string
	year, month int
}

// AddTotals implements store.PushTx: it moves the totals of each leaf and month and of every
// roll-up above it: the leaf's year, its division's month and year, the nation's month and year.
// Deltas are summed per row in memory first, so a batch touches each row once.
func (t *pushTx) AddTotals(ctx context.Context, deltas map[tally.Key]tally.Vector) (err error) {
	defer t.watch(&err)
	db := t.db
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
	stmts := make([]*sql.Stmt, len(totalsBlockUpserts))
	args := make([]any, 0, 4+tally.N)
	for k, v := range rows {
		mask := blockMask(v)
		if stmts[mask] == nil {
			stmts[mask] = t.stmt(ctx, totalsBlockUpserts[mask])
		}
		args = append(args[:0], k.unit, k.scope, k.year, k.month)
		for i, x := range v {
			if mask&(1<<(i/totalsBlock)) != 0 {
				args = append(args, x)
			}
		}
		if _, err := stmts[mask].ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("move totals of %s %d-%02d: %w", k.unit, k.year, k.month, err)
		}
	}
	return nil
}

// KeepRejections implements store.PushTx.
func (t *pushTx) KeepRejections(ctx context.Context, rejs []store.Rejection, at time.Time) (err error) {
	defer t.watch(&err)
	tx, stamp := t.tx, at.UTC().Format(time.RFC3339Nano)
	if len(rejs) == 0 {
		return nil
	}
	for _, r := range rejs {
		probs := ""
		if len(r.Problems) > 0 {
			b, err := json.Marshal(r.Problems)
			if err != nil {
				return fmt.Errorf("encode rejection problems: %w", err)
			}
			probs = string(b)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO rejections (change_id, device_id, code, message, problems, at) VALUES (?, ?, ?, ?, ?, ?)`,
			r.ChangeID, r.DeviceID, r.Code, r.Message, probs, stamp); err != nil {
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
