package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"talbar/server/store"
	"talbar/shared/tally"
	"talbar/shared/unit"
	"talbar/syncproto"
	"talbar/syncproto/merge"
)

// CreateInspector implements store.Store.
func (db *DB) CreateInspector(ctx context.Context, name, code, role string) (store.Inspector, error) {
	name, err := store.CheckInspector(db.units, name, code, role)
	if err != nil {
		return store.Inspector{}, err
	}
	in := store.Inspector{ID: uuid.Must(uuid.NewV7()).String(), Name: name, Unit: code, Role: role, Created: db.now().UTC()}
	if _, err := db.pool.Exec(ctx, `INSERT INTO inspectors (id, name, unit, role, created_at) VALUES ($1, $2, $3, $4, $5)`,
		in.ID, in.Name, in.Unit, in.Role, in.Created); err != nil {
		return store.Inspector{}, unavailable("insert inspector", err)
	}
	return in, nil
}

// IssueCode implements store.Store. The code is stored only as a hash, and it replaces the
// inspector's unused ones: only the latest code handed out enrolls.
func (db *DB) IssueCode(ctx context.Context, inspectorID string, ttl time.Duration) (string, error) {
	code := store.NewEnrollCode()
	now := db.now().UTC()
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE enroll_codes SET expires_at = $1 WHERE inspector_id = $2 AND used_at IS NULL AND expires_at > $1`,
			now, inspectorID); err != nil {
			return unavailable("cancel codes", err)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO enroll_codes (code_hash, inspector_id, created_at, expires_at)
			SELECT $1, id, $2, $3 FROM inspectors WHERE id = $4`, store.Hash(store.NormalizeCode(code)), now, now.Add(ttl), inspectorID)
		if err != nil {
			return unavailable("insert code", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("issue code: inspector %s: %w", inspectorID, store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return code, nil
}

// CancelCodes implements store.Store: every unused code of the inspector stops working at once
// (it then answers code_expired).
func (db *DB) CancelCodes(ctx context.Context, inspectorID string) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM inspectors WHERE id = $1`, inspectorID).Scan(&n); err != nil {
		return 0, unavailable("find inspector", err)
	}
	if n == 0 {
		return 0, fmt.Errorf("cancel codes: inspector %s: %w", inspectorID, store.ErrNotFound)
	}
	now := db.now().UTC()
	tag, err := db.pool.Exec(ctx, `UPDATE enroll_codes SET expires_at = $1 WHERE inspector_id = $2 AND used_at IS NULL AND expires_at > $1`,
		now, inspectorID)
	if err != nil {
		return 0, unavailable("cancel codes", err)
	}
	return int(tag.RowsAffected()), nil
}

// Enroll implements store.Store. The code's row is locked, so two devices racing with one code
// cannot both enroll.
func (db *DB) Enroll(ctx context.Context, code, deviceName, platform string) (store.Principal, string, error) {
	var p store.Principal
	var token string
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var inspectorID string
		var expires time.Time
		var used *time.Time
		h := store.Hash(store.NormalizeCode(code))
		err := tx.QueryRow(ctx, `SELECT inspector_id, expires_at, used_at FROM enroll_codes WHERE code_hash = $1 FOR UPDATE`, h).
			Scan(&inspectorID, &expires, &used)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrCodeUnknown
		}
		if err != nil {
			return unavailable("find code", err)
		}
		if used != nil {
			return store.ErrCodeUsed
		}
		now := db.now().UTC()
		if now.After(expires) {
			return store.ErrCodeExpired
		}
		in, err := scanInspector(tx.QueryRow(ctx, `SELECT id, name, unit, role, created_at FROM inspectors WHERE id = $1`, inspectorID))
		if err != nil {
			return unavailable("find inspector", err)
		}
		token = store.RandomHex(32)
		dev := uuid.Must(uuid.NewV7()).String()
		if deviceName == "" {
			deviceName = "device"
		}
		if _, err := tx.Exec(ctx, `INSERT INTO devices (id, inspector_id, name, platform, token_hash, enrolled_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			dev, inspectorID, store.Trim(deviceName, 100), store.Trim(platform, 100), store.Hash(token), now); err != nil {
			return unavailable("insert device", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE enroll_codes SET used_at = $1, device_id = $2 WHERE code_hash = $3`, now, dev, h); err != nil {
			return unavailable("use code", err)
		}
		p = store.Principal{DeviceID: dev, Inspector: in}
		return nil
	})
	if err != nil {
		return store.Principal{}, "", err
	}
	return p, token, nil
}

func scanInspector(row pgx.Row) (store.Inspector, error) {
	var in store.Inspector
	err := row.Scan(&in.ID, &in.Name, &in.Unit, &in.Role, &in.Created)
	in.Created = in.Created.UTC()
	return in, err
}

// Authenticate implements store.Store.
func (db *DB) Authenticate(ctx context.Context, token string) (store.Principal, error) {
	if token == "" {
		return store.Principal{}, store.ErrUnauthorized
	}
	var p store.Principal
	var revoked *time.Time
	err := db.pool.QueryRow(ctx, `SELECT d.id, i.id, i.name, i.unit, i.role, i.created_at, d.revoked_at
		FROM devices d JOIN inspectors i ON i.id = d.inspector_id
		WHERE d.token_hash = $1`, store.Hash(token)).
		Scan(&p.DeviceID, &p.Inspector.ID, &p.Inspector.Name, &p.Inspector.Unit, &p.Inspector.Role, &p.Inspector.Created, &revoked)
	if errors.Is(err, pgx.ErrNoRows) {
		// Not revoked: never enrolled here. For a device that synced before, the database was
		// restored from a copy older than its enrollment; the device is told to enroll again.
		return store.Principal{}, store.ErrDeviceUnknown
	}
	if err == nil && revoked != nil {
		return store.Principal{}, store.ErrUnauthorized
	}
	if err != nil {
		return store.Principal{}, fmt.Errorf("%w: authenticate: %v", store.ErrUnavailable, err)
	}
	p.Inspector.Created = p.Inspector.Created.UTC()
	return p, nil
}

// RevokeDevice implements store.Store.
func (db *DB) RevokeDevice(ctx context.Context, deviceID string) error {
	tag, err := db.pool.Exec(ctx, `UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, db.now().UTC(), deviceID)
	if err != nil {
		return unavailable("revoke device", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("revoke device %s: %w", deviceID, store.ErrNotFound)
	}
	return nil
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Devices implements store.Store.
func (db *DB) Devices(ctx context.Context) ([]store.Device, error) {
	rows, err := db.pool.Query(ctx, `SELECT d.id, i.id, i.name, i.unit, i.role, d.name, d.platform, d.enrolled_at,
		d.revoked_at, d.last_seen, d.last_push, d.skew_ms, d.outbox_pending, d.outbox_oldest, d.accepted, d.duplicates, d.rejected
		FROM devices d JOIN inspectors i ON i.id = d.inspector_id ORDER BY i.unit, i.name COLLATE "C", d.enrolled_at`)
	if err != nil {
		return nil, unavailable("list devices", err)
	}
	defer rows.Close()
	var out []store.Device
	for rows.Next() {
		var d store.Device
		var pending int64
		if err := rows.Scan(&d.ID, &d.InspectorID, &d.InspectorName, &d.Unit, &d.Role, &d.Name, &d.Platform, &d.EnrolledAt,
			&d.RevokedAt, &d.LastSeen, &d.LastPush, &d.SkewMillis, &pending, &d.OutboxOldest, &d.Accepted, &d.Duplicates, &d.Rejected); err != nil {
			return nil, fmt.Errorf("scan device: %w", err)
		}
		d.OutboxPending = int(pending)
		d.EnrolledAt = d.EnrolledAt.UTC()
		d.RevokedAt, d.LastSeen, d.LastPush = utc(d.RevokedAt), utc(d.LastSeen), utc(d.LastPush)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Inspectors implements store.Store.
func (db *DB) Inspectors(ctx context.Context) ([]store.Inspector, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, name, unit, role, created_at FROM inspectors ORDER BY unit, name COLLATE "C"`)
	if err != nil {
		return nil, unavailable("list inspectors", err)
	}
	defer rows.Close()
	var out []store.Inspector
	for rows.Next() {
		in, err := scanInspector(rows)
		if err != nil {
			return nil, fmt.Errorf("scan inspector: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// RecentRejections implements store.Store.
func (db *DB) RecentRejections(ctx context.Context, limit int) ([]store.Rejection, error) {
	rows, err := db.pool.Query(ctx, `SELECT change_id, device_id, code, message, problems, at FROM rejections ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, unavailable("list rejections", err)
	}
	defer rows.Close()
	var out []store.Rejection
	for rows.Next() {
		var r store.Rejection
		var probs string
		if err := rows.Scan(&r.ChangeID, &r.DeviceID, &r.Code, &r.Message, &probs, &r.At); err != nil {
			return nil, fmt.Errorf("scan rejection: %w", err)
		}
		if probs != "" {
			// A list that does not decode leaves the English message to stand alone.
			_ = json.Unmarshal([]byte(probs), &r.Problems)
		}
		r.At = r.At.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// Pull implements store.Store. It reads in one REPEATABLE READ snapshot: the head row's cursor in
// that snapshot is the last one committed, and every smaller cursor is committed too (cursors
// are handed out under the head row's lock, in commit order), so a page that is not full may
// jump to it and skip nothing.
func (db *DB) Pull(ctx context.Context, p store.Principal, since int64, limit int) ([]syncproto.Change, int64, bool, error) {
	if limit <= 0 || limit > syncproto.MaxPullLimit {
		limit = syncproto.DefaultPullLimit
	}
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, false, fmt.Errorf("%w: begin pull: %v", store.ErrUnavailable, err)
	}
	defer tx.Rollback(ctx)
	var head int64
	if err := tx.QueryRow(ctx, `SELECT cursor FROM head`).Scan(&head); err != nil {
		return nil, 0, false, unavailable("read head", err)
	}
	if since > head {
		tx.Rollback(ctx)
		// The device has seen more of the log than this database holds: it was restored from
		// an older copy. The first such pull rotates the epoch, so every device re-sends.
		db.cursorAhead(ctx, p, since, head)
		return nil, head, false, store.ErrCursorAhead
	}
	q := `SELECT c.cursor, c.id, c.record_id, c.entity, c.op, c.hlc, c.device_id, c.fields, c.base, ` + store.WriterNameSQL("c.device_id") + `
		FROM changes c WHERE c.cursor > $1 AND c.pusher_id <> $2 AND c.hlc <= $3`
	args := []any{since, p.DeviceID, store.PullBound(db.now())}
	switch p.Inspector.Role {
	case syncproto.RoleInspector:
		q += ` AND c.unit = $4`
		args = append(args, p.Inspector.Unit)
	case syncproto.RoleOfficer:
		q += ` AND c.division = $4`
		args = append(args, p.Inspector.Unit)
	}
	q += fmt.Sprintf(` ORDER BY c.cursor LIMIT %d`, limit+1)
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, 0, false, unavailable("pull", err)
	}
	out := make([]syncproto.Change, 0, min(limit, 256))
	cursor, more, size := since, false, 0
	for rows.Next() {
		// A page ends at limit changes or once it holds syncproto.MaxPullBytes.
		if len(out) == limit || size >= syncproto.MaxPullBytes {
			more = true
			break
		}
		var c syncproto.Change
		var fields, base *string
		if err := rows.Scan(&cursor, &c.ID, &c.RecordID, &c.Entity, &c.Op, &c.HLC, &c.DeviceID, &fields, &base, &c.WriterName); err != nil {
			rows.Close()
			return nil, 0, false, fmt.Errorf("scan change: %w", err)
		}
		if fields != nil && *fields != "" {
			size += len(*fields)
			if err := json.Unmarshal([]byte(*fields), &c.Fields); err != nil {
				rows.Close()
				return nil, 0, false, fmt.Errorf("decode change %s: %w", c.ID, err)
			}
		}
		if base != nil && *base != "" {
			size += len(*base)
			if err := json.Unmarshal([]byte(*base), &c.Base); err != nil {
				rows.Close()
				return nil, 0, false, fmt.Errorf("decode base of change %s: %w", c.ID, err)
			}
		}
		size += store.PullOverhead
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, false, unavailable("pull", err)
	}
	if !more && head > cursor {
		cursor = head
	}
	tx.Rollback(ctx)
	if _, err := db.pool.Exec(ctx, `UPDATE devices SET last_seen = $1 WHERE id = $2`, db.now().UTC(), p.DeviceID); err != nil {
		db.log.Warn("note device seen", "device", p.DeviceID, "err", err)
	}
	return out, cursor, more, nil
}

// cursorAhead notes a pull from beyond the log and rotates the epoch once devices of
// store.AheadEvidence inspectors have pulled from beyond it under the current epoch (one
// device's number proves nothing), once per restore: ahead_epoch remembers the epoch that
// rotation made, and while it is still the epoch, later pulls from beyond do not rotate again.
// Both live in the database, so the evidence of every server counts.
func (db *DB) cursorAhead(ctx context.Context, p store.Principal, since, head int64) {
	e := store.RandomHex(16)
	var rotated, seen int64
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var cur, ahead string
		if err := tx.QueryRow(ctx, `SELECT epoch, ahead_epoch FROM head FOR UPDATE`).Scan(&cur, &ahead); err != nil {
			return err
		}
		if cur == ahead {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ahead_pulls (epoch, inspector_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, cur, p.Inspector.ID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM ahead_pulls WHERE epoch = $1`, cur).Scan(&seen); err != nil {
			return err
		}
		if seen < store.AheadEvidence {
			return nil
		}
		tag, err := tx.Exec(ctx, `UPDATE head SET epoch = $1, ahead_epoch = $1`, e)
		rotated = tag.RowsAffected()
		return err
	})
	switch {
	case err != nil:
		db.log.Error("note a pull beyond the log", "err", err)
	case rotated > 0:
		db.noteEpoch(e)
		db.log.Warn("devices of several inspectors have pulled beyond the change log: restored from an older copy; rotated the epoch so devices re-send",
			"device", p.DeviceID, "inspectors", seen, "since", since, "max", head)
	default:
		db.log.Warn("a device has pulled beyond the change log; not rotating the epoch on one device's word",
			"device", p.DeviceID, "since", since, "max", head)
	}
}

var sumCols = func() string {
	s := ""
	for i := range tally.N {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("coalesce(sum(m%02d), 0)::bigint", i)
	}
	return s
}()

var plainCols = func() string {
	s := ""
	for i := range tally.N {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("m%02d", i)
	}
	return s
}()

func scanVector(row pgx.Row, extra ...any) (tally.Vector, error) {
	v := tally.New()
	dest := append([]any{}, extra...)
	for i := range v {
		dest = append(dest, &v[i])
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	return v, nil
}

func (db *DB) checkUnit(code string) error {
	if _, ok := db.units.Get(unit.Code(code)); !ok {
		return fmt.Errorf("%w: unit %q is not known", store.ErrInvalid, code)
	}
	return nil
}

// Totals implements store.Store: one row of the rolled-up totals.
func (db *DB) Totals(ctx context.Context, code string, year, month int) (tally.Vector, error) {
	if code == "" {
		code = string(unit.Nation)
	}
	if err := db.checkUnit(code); err != nil {
		return nil, err
	}
	if month < 0 || month > 12 {
		month = 0
	}
	v, err := scanVector(db.pool.QueryRow(ctx, `SELECT `+plainCols+` FROM totals WHERE unit = $1 AND year = $2 AND month = $3`, code, year, month))
	if errors.Is(err, pgx.ErrNoRows) {
		return tally.New(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: totals: %v", store.ErrUnavailable, err)
	}
	return v, nil
}

// TotalsByLeaf implements store.Store.
func (db *DB) TotalsByLeaf(ctx context.Context, year int) (map[string]tally.Vector, error) {
	return db.TotalsByLeafMonths(ctx, year, 0, 0)
}

// TotalsByLeafMonths implements store.Store over the per-month totals rows.
func (db *DB) TotalsByLeafMonths(ctx context.Context, year, from, to int) (map[string]tally.Vector, error) {
	rows, err := db.pool.Query(ctx, `SELECT unit, `+sumCols+` FROM totals WHERE year = $1 AND month BETWEEN $2 AND $3 AND scope = 'leaf' GROUP BY unit`,
		year, from, to)
	if err != nil {
		return nil, unavailable("totals by leaf and months", err)
	}
	defer rows.Close()
	out := map[string]tally.Vector{}
	for rows.Next() {
		var u string
		v, err := scanVector(rows, &u)
		if err != nil {
			return nil, fmt.Errorf("scan totals: %w", err)
		}
		out[u] = v
	}
	return out, rows.Err()
}

// TotalsByMonth implements store.Store.
func (db *DB) TotalsByMonth(ctx context.Context, code string, year int) ([12]tally.Vector, error) {
	var out [12]tally.Vector
	for i := range out {
		out[i] = tally.New()
	}
	if code == "" {
		code = string(unit.Nation)
	}
	if err := db.checkUnit(code); err != nil {
		return out, err
	}
	rows, err := db.pool.Query(ctx, `SELECT month, `+plainCols+` FROM totals WHERE unit = $1 AND year = $2 AND month BETWEEN 1 AND 12`, code, year)
	if err != nil {
		return out, unavailable("totals by month", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m int
		v, err := scanVector(rows, &m)
		if err != nil {
			return out, fmt.Errorf("scan totals: %w", err)
		}
		out[m-1] = v
	}
	return out, rows.Err()
}

// RecomputeTotals implements store.Store: a full scan of the merged records.
func (db *DB) RecomputeTotals(ctx context.Context, code string, year int) (tally.Vector, error) {
	col, val, err := db.scope(code)
	if err != nil {
		return nil, err
	}
	q, args := `SELECT state FROM records WHERE year = $1`, []any{year}
	if col != "" {
		q += ` AND ` + col + ` = $2`
		args = append(args, val)
	}
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, unavailable("recompute totals", err)
	}
	defer rows.Close()
	sum := tally.New()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("scan record: %w", err)
		}
		var r merge.Record
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			return nil, fmt.Errorf("decode record: %w", err)
		}
		if _, v, ok := tally.Of(r.Entity, r.Values()); ok {
			sum.Add(v)
		}
	}
	return sum, rows.Err()
}

// Targets implements store.Store.
func (db *DB) Targets(ctx context.Context) ([]store.Target, error) {
	rows, err := db.pool.Query(ctx, `SELECT indicator, year, target, actual FROM targets ORDER BY indicator, year`)
	if err != nil {
		return nil, unavailable("list targets", err)
	}
	defer rows.Close()
	var out []store.Target
	for rows.Next() {
		var t store.Target
		if err := rows.Scan(&t.Indicator, &t.Year, &t.Target, &t.Actual); err != nil {
			return nil, fmt.Errorf("scan target: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// SetTarget implements store.Store.
func (db *DB) SetTarget(ctx context.Context, t store.Target) error {
	if err := store.CheckTarget(t); err != nil {
		return err
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO targets (indicator, year, target, actual) VALUES ($1, $2, $3, $4)
		ON CONFLICT (indicator, year) DO UPDATE SET target = excluded.target, actual = excluded.actual`, t.Indicator, t.Year, t.Target, t.Actual)
	return unavailable("set target", err)
}

// Baselines implements store.Store.
func (db *DB) Baselines(ctx context.Context) ([]store.Baseline, error) {
	rows, err := db.pool.Query(ctx, `SELECT indicator, year, value FROM baselines ORDER BY indicator`)
	if err != nil {
		return nil, unavailable("list baselines", err)
	}
	defer rows.Close()
	var out []store.Baseline
	for rows.Next() {
		var b store.Baseline
		if err := rows.Scan(&b.Indicator, &b.Year, &b.Value); err != nil {
			return nil, fmt.Errorf("scan baseline: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// SetBaseline implements store.Store.
func (db *DB) SetBaseline(ctx context.Context, b store.Baseline) error {
	if err := store.CheckBaseline(b); err != nil {
		return err
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO baselines (indicator, year, value) VALUES ($1, $2, $3)
		ON CONFLICT (indicator) DO UPDATE SET year = excluded.year, value = excluded.value`, b.Indicator, b.Year, b.Value)
	return unavailable("set baseline", err)
}

// Records implements store.Store.
func (db *DB) Records(ctx context.Context, f store.RecordFilter) ([]store.Record, error) {
	col, val, err := db.scope(f.Unit)
	if err != nil {
		return nil, err
	}
	q := `SELECT id, entity, unit, date, deleted, version, state FROM records WHERE entity = $1 AND id > $2`
	args := []any{f.Entity, f.After}
	if col != "" {
		args = append(args, val)
		q += fmt.Sprintf(` AND %s = $%d`, col, len(args))
	}
	if f.Year > 0 {
		args = append(args, f.Year)
		q += fmt.Sprintf(` AND year = $%d`, len(args))
	}
	q += ` ORDER BY id`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, unavailable("list records", err)
	}
	defer rows.Close()
	var out []store.Record
	for rows.Next() {
		var r store.Record
		var state string
		if err := rows.Scan(&r.ID, &r.Entity, &r.Unit, &r.Date, &r.Deleted, &r.Version, &state); err != nil {
			return nil, fmt.Errorf("scan record: %w", err)
		}
		var mr merge.Record
		if err := json.Unmarshal([]byte(state), &mr); err != nil {
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

// CreateUser implements store.Store.
func (db *DB) CreateUser(ctx context.Context, name, role, code, passwordHash string) (store.User, error) {
	name, code, err := store.CheckUser(db.units, name, role, code, passwordHash)
	if err != nil {
		return store.User{}, err
	}
	u := store.User{ID: uuid.Must(uuid.NewV7()).String(), Name: name, Role: role, Unit: code, Created: db.now().UTC()}
	_, err = db.pool.Exec(ctx, `INSERT INTO users (id, name, role, unit, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		u.ID, u.Name, u.Role, u.Unit, passwordHash, u.Created)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return store.User{}, fmt.Errorf("%w: user %q exists", store.ErrInvalid, name)
	}
	if err != nil {
		return store.User{}, unavailable("insert user", err)
	}
	return u, nil
}

func scanUser(row pgx.Row, extra ...any) (store.User, error) {
	var u store.User
	err := row.Scan(append([]any{&u.ID, &u.Name, &u.Role, &u.Unit, &u.Created}, extra...)...)
	u.Created = u.Created.UTC()
	return u, err
}

// FindUserByName implements store.Store; names compare without case, as in SQLite.
func (db *DB) FindUserByName(ctx context.Context, name string) (store.User, string, error) {
	var h string
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT id, name, role, unit, created_at, password_hash FROM users WHERE lower(name) = lower($1)`,
		trimSpace(name)), &h)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.User{}, "", fmt.Errorf("user %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return store.User{}, "", unavailable("find user", err)
	}
	return u, h, nil
}

// ListUsers implements store.Store.
func (db *DB) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, name, role, unit, created_at FROM users ORDER BY lower(name) COLLATE "C"`)
	if err != nil {
		return nil, unavailable("list users", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("scan user: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CreateSession implements store.Store, sweeping expired sessions on the way.
func (db *DB) CreateSession(ctx context.Context, userID string, ttl time.Duration) (string, store.Session, error) {
	token, csrf := store.RandomHex(32), store.RandomHex(32)
	now := db.now().UTC()
	s := store.Session{UserID: userID, CSRF: csrf, Expires: now.Add(ttl)}
	if _, err := db.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at < $1`, now); err != nil {
		return "", s, unavailable("sweep sessions", err)
	}
	tag, err := db.pool.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at)
		SELECT $1, id, $2, $3, $4 FROM users WHERE id = $5`, store.Hash(token), csrf, now, s.Expires, userID)
	if err != nil {
		return "", s, unavailable("insert session", err)
	}
	if tag.RowsAffected() == 0 {
		return "", s, fmt.Errorf("create session: user %s: %w", userID, store.ErrNotFound)
	}
	return token, s, nil
}

// FindSession implements store.Store.
func (db *DB) FindSession(ctx context.Context, token string) (store.Session, store.User, error) {
	if token == "" {
		return store.Session{}, store.User{}, store.ErrUnauthorized
	}
	var s store.Session
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT u.id, u.name, u.role, u.unit, u.created_at, s.csrf, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`, store.Hash(token)), &s.CSRF, &s.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Session{}, store.User{}, store.ErrUnauthorized
	}
	if err != nil {
		return store.Session{}, store.User{}, fmt.Errorf("%w: find session: %v", store.ErrUnavailable, err)
	}
	s.UserID = u.ID
	s.Expires = s.Expires.UTC()
	if !db.now().Before(s.Expires) {
		return store.Session{}, store.User{}, store.ErrUnauthorized
	}
	return s, u, nil
}

// DeleteSession implements store.Store.
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, store.Hash(token))
	return unavailable("delete session", err)
}
