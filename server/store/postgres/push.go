package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"talbar/server/store"
	"talbar/shared/tally"
	"talbar/shared/unit"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
	"talbar/syncproto/merge"
)

// pushTx is one push's transaction (READ COMMITTED). The records it loads are locked (FOR
// UPDATE) so a concurrent push of the same record waits; the change log is written last, in
// Commit, right after the head row is updated, so the head row's lock is held only while the
// log rows are written and the transaction commits.
type pushTx struct {
	db     *DB
	tx     pgx.Tx
	log    []store.LogEntry
	pusher string
	at     time.Time
	done   bool
}

// BeginPush implements store.Store.
func (db *DB) BeginPush(ctx context.Context) (store.PushTx, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: begin push: %v", store.ErrUnavailable, err)
	}
	return &pushTx{db: db, tx: tx}, nil
}

// Rollback implements store.PushTx.
func (t *pushTx) Rollback() {
	if t.done {
		return
	}
	t.done = true
	t.tx.Rollback(context.Background())
}

// KnownChanges implements store.PushTx. A change another push is appending now is not seen;
// its insert then fails on the unique id at Commit, and the engine tries again.
func (t *pushTx) KnownChanges(ctx context.Context, ids []string) (map[string]bool, error) {
	known := map[string]bool{}
	rows, err := t.tx.Query(ctx, `SELECT id FROM changes WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, unavailable("find known changes", err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, unavailable("find known changes", err)
	}
	for _, id := range got {
		known[id] = true
	}
	return known, nil
}

// NamedDevices implements store.PushTx.
func (t *pushTx) NamedDevices(ctx context.Context, pusher string, cs []syncproto.Change) (map[string]string, error) {
	var ids []string
	seen := map[string]bool{pusher: true, "": true}
	for _, c := range cs {
		if !seen[c.DeviceID] {
			seen[c.DeviceID] = true
			ids = append(ids, c.DeviceID)
		}
	}
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := t.tx.Query(ctx, `SELECT d.id, i.unit FROM devices d JOIN inspectors i ON i.id = d.inspector_id
		WHERE d.id = ANY($1)`, ids)
	if err != nil {
		return nil, unavailable("find named devices", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, u string
		if err := rows.Scan(&id, &u); err != nil {
			return nil, unavailable("scan named device", err)
		}
		out[id] = u
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("find named devices", err)
	}
	return out, nil
}

// LoadRecords implements store.PushTx, locking the rows in id order (no deadlock between two
// pushes of overlapping records).
func (t *pushTx) LoadRecords(ctx context.Context, ids []string) (map[string]*store.StoredRecord, error) {
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	rows, err := t.tx.Query(ctx, `SELECT unit, units, division, date, year, deleted, state FROM records
		WHERE id = ANY($1) ORDER BY id FOR UPDATE`, sorted)
	if err != nil {
		return nil, conflict(unavailable("load records", err))
	}
	defer rows.Close()
	out := map[string]*store.StoredRecord{}
	for rows.Next() {
		sr := &store.StoredRecord{Existed: true}
		var units, state string
		if err := rows.Scan(&sr.Unit, &units, &sr.Division, &sr.Date, &sr.Year, &sr.Deleted, &state); err != nil {
			return nil, fmt.Errorf("scan record: %w", err)
		}
		if err := json.Unmarshal([]byte(state), &sr.Rec); err != nil {
			return nil, fmt.Errorf("decode record: %w", err)
		}
		if units != "" {
			sr.Units = strings.Split(units, ",")
		} else if sr.Unit != "" {
			sr.Units = []string{sr.Unit}
		}
		out[sr.Rec.ID] = sr
	}
	if err := rows.Err(); err != nil {
		return nil, conflict(unavailable("load records", err))
	}
	return out, nil
}

// AppendLog implements store.PushTx: the entries are written in Commit, under the head row.
func (t *pushTx) AppendLog(ctx context.Context, log []store.LogEntry, pusher string, at time.Time) error {
	t.log, t.pusher, t.at = append(t.log, log...), pusher, at
	return nil
}

// PutRecords implements store.PushTx. Records new to this push are copied in, never upserted:
// if another push created one meanwhile, the copy fails on the primary key and the engine merges
// again on top of it. Existing records (locked since LoadRecords) are updated in one statement.
func (t *pushTx) PutRecords(ctx context.Context, recs map[string]*store.StoredRecord) error {
	ids := make([]string, 0, len(recs))
	for id := range recs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var fresh [][]any
	var upd struct {
		id, entity, unit, units, division, date, version, state []string
		year                                                    []int32
		deleted                                                 []bool
	}
	for _, id := range ids {
		sr := recs[id]
		row := []any{id, sr.Rec.Entity, sr.Unit, strings.Join(sr.Units, ","), sr.Division, sr.Date, sr.Year, sr.Deleted,
			sr.Rec.MaxHLC(), string(sr.Rec.Marshal())}
		if !sr.Existed {
			fresh = append(fresh, row)
			continue
		}
		upd.id, upd.entity, upd.unit = append(upd.id, id), append(upd.entity, sr.Rec.Entity), append(upd.unit, sr.Unit)
		upd.units, upd.division, upd.date = append(upd.units, row[3].(string)), append(upd.division, sr.Division), append(upd.date, sr.Date)
		upd.year, upd.deleted = append(upd.year, int32(sr.Year)), append(upd.deleted, sr.Deleted)
		upd.version, upd.state = append(upd.version, row[8].(string)), append(upd.state, row[9].(string))
	}
	if len(fresh) > 0 {
		if _, err := t.tx.CopyFrom(ctx, pgx.Identifier{"records"}, []string{"id", "entity", "unit", "units", "division", "date",
			"year", "deleted", "version", "state"}, pgx.CopyFromRows(fresh)); err != nil {
			return conflict(unavailable("write new records", err))
		}
	}
	if len(upd.id) > 0 {
		if _, err := t.tx.Exec(ctx, `UPDATE records r SET entity = u.entity, unit = u.unit, units = u.units, division = u.division,
			date = u.date, year = u.year, deleted = u.deleted, version = u.version, state = u.state
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::bool[], $9::text[], $10::text[])
				AS u (id, entity, unit, units, division, date, year, deleted, version, state)
			WHERE r.id = u.id`, upd.id, upd.entity, upd.unit, upd.units, upd.division, upd.date, upd.year, upd.deleted,
			upd.version, upd.state); err != nil {
			return conflict(unavailable("write records", err))
		}
	}
	return nil
}

// totalsUpsert adds every row's delta in one statement; the rows arrive in key order.
var totalsUpsert = func() string {
	cols, arrays, sets := make([]string, tally.N), make([]string, tally.N), make([]string, tally.N)
	for i := range tally.Metrics {
		cols[i] = fmt.Sprintf("m%02d", i)
		arrays[i] = fmt.Sprintf("$%d::bigint[]", 5+i)
		sets[i] = fmt.Sprintf("m%02d = totals.m%02d + excluded.m%02d", i, i, i)
	}
	return `INSERT INTO totals (unit, scope, year, month, ` + strings.Join(cols, ", ") + `)
		SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], ` + strings.Join(arrays, ", ") + `)
		ON CONFLICT (unit, year, month) DO UPDATE SET ` + strings.Join(sets, ", ")
}()

type rollupKey struct {
	unit, scope string
	year, month int
}

// AddTotals implements store.PushTx: each leaf's month and year, its division's and the
// nation's, summed per row in memory and written in one order, so concurrent pushes queue on
// the rows they share instead of deadlocking.
func (t *pushTx) AddTotals(ctx context.Context, deltas map[tally.Key]tally.Vector) error {
	rows := map[rollupKey]tally.Vector{}
	for k, v := range deltas {
		div := string(t.db.units.Division(unit.Code(k.Unit)))
		for _, m := range []int{k.Month, 0} {
			for _, rk := range []rollupKey{{k.Unit, "leaf", k.Year, m}, {div, "division", k.Year, m}, {"MN", "nation", k.Year, m}} {
				if rows[rk] == nil {
					rows[rk] = tally.New()
				}
				rows[rk].Add(v)
			}
		}
	}
	keys := make([]rollupKey, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.unit != b.unit {
			return a.unit < b.unit
		}
		if a.year != b.year {
			return a.year < b.year
		}
		return a.month < b.month
	})
	args := make([]any, 4+tally.N)
	units, scopes, years, months := make([]string, len(keys)), make([]string, len(keys)), make([]int32, len(keys)), make([]int32, len(keys))
	metrics := make([][]int64, tally.N)
	for i := range metrics {
		metrics[i] = make([]int64, len(keys))
	}
	for j, k := range keys {
		units[j], scopes[j], years[j], months[j] = k.unit, k.scope, int32(k.year), int32(k.month)
		for i, x := range rows[k] {
			metrics[i][j] = x
		}
	}
	args[0], args[1], args[2], args[3] = units, scopes, years, months
	for i := range metrics {
		args[4+i] = metrics[i]
	}
	if _, err := t.tx.Exec(ctx, totalsUpsert, args...); err != nil {
		return conflict(unavailable("move totals", err))
	}
	return nil
}

// KeepRejections implements store.PushTx, keeping the latest 10,000.
func (t *pushTx) KeepRejections(ctx context.Context, rejs []store.Rejection, at time.Time) error {
	b := &pgx.Batch{}
	for _, r := range rejs {
		probs := ""
		if len(r.Problems) > 0 {
			p, err := json.Marshal(r.Problems)
			if err != nil {
				return fmt.Errorf("encode rejection problems: %w", err)
			}
			probs = string(p)
		}
		b.Queue(`INSERT INTO rejections (change_id, device_id, code, message, problems, at) VALUES ($1, $2, $3, $4, $5, $6)`,
			r.ChangeID, r.DeviceID, r.Code, r.Message, probs, at.UTC())
	}
	b.Queue(`DELETE FROM rejections WHERE id <= (SELECT max(id) FROM rejections) - 10000`)
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return unavailable("keep rejections", err)
	}
	return nil
}

// NoteDevice implements store.PushTx.
func (t *pushTx) NoteDevice(ctx context.Context, deviceID string, n store.DevicePush) error {
	if _, err := t.tx.Exec(ctx, `UPDATE devices SET last_seen = $1, last_push = $1, skew_ms = $2, outbox_pending = $3,
		outbox_oldest = $4, accepted = accepted + $5, duplicates = duplicates + $6, rejected = rejected + $7 WHERE id = $8`,
		n.At.UTC(), n.SkewMillis, n.OutboxPending, n.OutboxOldest, n.Accepted, n.Duplicates, n.Rejected, deviceID); err != nil {
		return conflict(unavailable("update device", err))
	}
	return nil
}

// Commit implements store.PushTx. Updating the head row is the transaction's last step before
// the log rows and COMMIT: its row lock is held until the commit, so the next push to take it
// gets cursors above every cursor already handed out and commits after this one. Cursor order
// is therefore commit order, as with SQLite's single writer. The same statement moves the
// shared server clock past the push's greatest timestamp.
func (t *pushTx) Commit(ctx context.Context, maxHLC hlc.Timestamp) (string, string, error) {
	if t.done {
		return "", "", errors.New("push already ended")
	}
	wall := int64(hlc.New(t.db.now().UnixMilli(), 0))
	var end, clock int64
	var epoch string
	if err := t.tx.QueryRow(ctx, `UPDATE head SET cursor = cursor + $1, hlc = greatest(hlc + 1, $2::bigint + 1, $3)
		RETURNING cursor, hlc, epoch`, len(t.log), int64(maxHLC), wall).Scan(&end, &clock, &epoch); err != nil {
		t.Rollback()
		return "", "", conflict(unavailable("advance head", err))
	}
	if len(t.log) > 0 {
		first := end - int64(len(t.log))
		rows := make([][]any, len(t.log))
		for i, e := range t.log {
			var fields, base any
			if len(e.Change.Fields) > 0 {
				fields = string(merge.EncodeFields(e.Change.Fields))
			}
			if len(e.Change.Base) > 0 {
				b, err := json.Marshal(e.Change.Base)
				if err != nil {
					t.Rollback()
					return "", "", fmt.Errorf("encode base of %s: %w", e.Change.ID, err)
				}
				base = string(b)
			}
			rows[i] = []any{first + int64(i) + 1, e.Change.ID, e.Change.RecordID, e.Change.Entity, e.Change.Op, e.Change.HLC,
				e.DeviceID, t.pusher, e.Unit, e.Division, fields, t.at.UTC(), base}
		}
		if _, err := t.tx.CopyFrom(ctx, pgx.Identifier{"changes"}, []string{"cursor", "id", "record_id", "entity", "op", "hlc",
			"device_id", "pusher_id", "unit", "division", "fields", "received_at", "base"}, pgx.CopyFromRows(rows)); err != nil {
			t.Rollback()
			return "", "", conflict(unavailable("append change log", err))
		}
	}
	t.done = true
	if err := t.tx.Commit(ctx); err != nil {
		return "", "", conflict(fmt.Errorf("%w: commit push: %v", store.ErrUnavailable, err))
	}
	t.db.noteEpoch(epoch)
	return epoch, hlc.Timestamp(clock).String(), nil
}
