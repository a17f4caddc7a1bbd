package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"talbar/server/store"
)

// CreateInspector implements store.Store.
func (db *DB) CreateInspector(ctx context.Context, name, code, role string) (store.Inspector, error) {
	name, err := store.CheckInspector(db.units, name, code, role)
	if err != nil {
		return store.Inspector{}, err
	}
	in := store.Inspector{ID: uuid.Must(uuid.NewV7()).String(), Name: name, Unit: code, Role: role, Created: db.now().UTC()}
	_, err = db.write.ExecContext(ctx, `INSERT INTO inspectors (id, name, unit, role, created_at) VALUES (?, ?, ?, ?, ?)`,
		in.ID, in.Name, in.Unit, in.Role, in.Created.Format(time.RFC3339Nano))
	if err != nil {
		return store.Inspector{}, fmt.Errorf("insert inspector: %w", err)
	}
	return in, nil
}

// IssueCode implements store.Store. The code has 60 random bits and is stored only as a hash.
func (db *DB) IssueCode(ctx context.Context, inspectorID string, ttl time.Duration) (string, error) {
	code := store.NewEnrollCode()
	now := db.now().UTC()
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("issue code: %w", err)
	}
	defer tx.Rollback()
	// A new code replaces the inspector's unused ones: only the latest one handed out enrolls.
	if _, err := cancelCodes(ctx, tx, inspectorID, now); err != nil {
		return "", err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO enroll_codes (code_hash, inspector_id, created_at, expires_at)
		SELECT ?, id, ?, ? FROM inspectors WHERE id = ?`,
		store.Hash(store.NormalizeCode(code)), now.Format(time.RFC3339Nano), now.Add(ttl).Format(time.RFC3339Nano), inspectorID)
	if err != nil {
		return "", fmt.Errorf("insert code: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", fmt.Errorf("issue code: inspector %s: %w", inspectorID, store.ErrNotFound)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("issue code: %w", err)
	}
	return code, nil
}

// CancelCodes implements store.Store: every unused code of the inspector stops working
// at once (it then answers code_expired), for a code read out to the wrong person or lost.
func (db *DB) CancelCodes(ctx context.Context, inspectorID string) (int, error) {
	if _, err := inspectorByID(ctx, db.write, inspectorID); err != nil {
		return 0, err
	}
	res, err := cancelCodes(ctx, db.write, inspectorID, db.now().UTC())
	if err != nil {
		return 0, err
	}
	return res, nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func cancelCodes(ctx context.Context, x execer, inspectorID string, now time.Time) (int, error) {
	res, err := x.ExecContext(ctx, `UPDATE enroll_codes SET expires_at = ? WHERE inspector_id = ? AND used_at IS NULL AND expires_at > ?`,
		now.Format(time.RFC3339Nano), inspectorID, now.Format(time.RFC3339Nano))
	if err != nil {
		return 0, fmt.Errorf("cancel codes: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Enroll implements store.Store.
func (db *DB) Enroll(ctx context.Context, code, deviceName, platform string) (store.Principal, string, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return store.Principal{}, "", fmt.Errorf("enroll: %w", err)
	}
	defer tx.Rollback()
	var (
		inspectorID string
		expires     string
		used        sql.NullString
	)
	h := store.Hash(store.NormalizeCode(code))
	err = tx.QueryRowContext(ctx, `SELECT inspector_id, expires_at, used_at FROM enroll_codes WHERE code_hash = ?`, h).
		Scan(&inspectorID, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Principal{}, "", store.ErrCodeUnknown
	}
	if err != nil {
		return store.Principal{}, "", fmt.Errorf("find code: %w", err)
	}
	if used.Valid {
		return store.Principal{}, "", store.ErrCodeUsed
	}
	now := db.now().UTC()
	if exp, err := time.Parse(time.RFC3339Nano, expires); err != nil || now.After(exp) {
		return store.Principal{}, "", store.ErrCodeExpired
	}
	in, err := inspectorByID(ctx, tx, inspectorID)
	if err != nil {
		return store.Principal{}, "", err
	}
	tok := make([]byte, 32)
	if _, err := rand.Read(tok); err != nil {
		return store.Principal{}, "", fmt.Errorf("random token: %w", err)
	}
	token := hex.EncodeToString(tok)
	dev := uuid.Must(uuid.NewV7()).String()
	if deviceName == "" {
		deviceName = "device"
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO devices (id, inspector_id, name, platform, token_hash, enrolled_at) VALUES (?, ?, ?, ?, ?, ?)`,
		dev, inspectorID, store.Trim(deviceName, 100), store.Trim(platform, 100), store.Hash(token), now.Format(time.RFC3339Nano)); err != nil {
		return store.Principal{}, "", fmt.Errorf("insert device: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE enroll_codes SET used_at = ?, device_id = ? WHERE code_hash = ?`,
		now.Format(time.RFC3339Nano), dev, h); err != nil {
		return store.Principal{}, "", fmt.Errorf("use code: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return store.Principal{}, "", fmt.Errorf("commit enroll: %w", err)
	}
	return store.Principal{DeviceID: dev, Inspector: in}, token, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func inspectorByID(ctx context.Context, q queryer, id string) (store.Inspector, error) {
	var in store.Inspector
	var created string
	err := q.QueryRowContext(ctx, `SELECT id, name, unit, role, created_at FROM inspectors WHERE id = ?`, id).
		Scan(&in.ID, &in.Name, &in.Unit, &in.Role, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return in, fmt.Errorf("inspector %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return in, fmt.Errorf("find inspector: %w", err)
	}
	in.Created, _ = time.Parse(time.RFC3339Nano, created)
	return in, nil
}

// Authenticate implements store.Store.
func (db *DB) Authenticate(ctx context.Context, token string) (store.Principal, error) {
	if token == "" {
		return store.Principal{}, store.ErrUnauthorized
	}
	var p store.Principal
	var created string
	var revoked sql.NullString
	err := db.read.QueryRowContext(ctx, `SELECT d.id, i.id, i.name, i.unit, i.role, i.created_at, d.revoked_at
		FROM devices d JOIN inspectors i ON i.id = d.inspector_id
		WHERE d.token_hash = ?`, store.Hash(token)).
		Scan(&p.DeviceID, &p.Inspector.ID, &p.Inspector.Name, &p.Inspector.Unit, &p.Inspector.Role, &created, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		// Not revoked: never enrolled here. For a device that synced before, the store was
		// restored from a copy older than its enrollment; the device is told to enroll again.
		return store.Principal{}, store.ErrDeviceUnknown
	}
	if err == nil && revoked.Valid {
		return store.Principal{}, store.ErrUnauthorized
	}
	if err != nil {
		return p, fmt.Errorf("%w: authenticate: %v", store.ErrUnavailable, err)
	}
	p.Inspector.Created, _ = time.Parse(time.RFC3339Nano, created)
	return p, nil
}

// RevokeDevice implements store.Store.
func (db *DB) RevokeDevice(ctx context.Context, deviceID string) error {
	res, err := db.write.ExecContext(ctx, `UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, db.stamp(), deviceID)
	if err != nil {
		return fmt.Errorf("revoke device: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("revoke device %s: %w", deviceID, store.ErrNotFound)
	}
	return nil
}

// Devices implements store.Store.
func (db *DB) Devices(ctx context.Context) ([]store.Device, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT d.id, i.id, i.name, i.unit, i.role, d.name, d.platform, d.enrolled_at,
		d.revoked_at, d.last_seen, d.last_push, d.skew_ms, d.outbox_pending, d.outbox_oldest, d.accepted, d.duplicates, d.rejected
		FROM devices d JOIN inspectors i ON i.id = d.inspector_id ORDER BY i.unit, i.name, d.enrolled_at`)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	defer rows.Close()
	var out []store.Device
	for rows.Next() {
		var d store.Device
		var enrolled string
		var revoked, seen, push sql.NullString
		if err := rows.Scan(&d.ID, &d.InspectorID, &d.InspectorName, &d.Unit, &d.Role, &d.Name, &d.Platform, &enrolled,
			&revoked, &seen, &push, &d.SkewMillis, &d.OutboxPending, &d.OutboxOldest, &d.Accepted, &d.Duplicates, &d.Rejected); err != nil {
			return nil, fmt.Errorf("scan device: %w", err)
		}
		d.EnrolledAt, _ = time.Parse(time.RFC3339Nano, enrolled)
		d.RevokedAt, d.LastSeen, d.LastPush = parseTime(revoked), parseTime(seen), parseTime(push)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Inspectors implements store.Store.
func (db *DB) Inspectors(ctx context.Context) ([]store.Inspector, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, name, unit, role, created_at FROM inspectors ORDER BY unit, name`)
	if err != nil {
		return nil, fmt.Errorf("list inspectors: %w", err)
	}
	defer rows.Close()
	var out []store.Inspector
	for rows.Next() {
		var in store.Inspector
		var created string
		if err := rows.Scan(&in.ID, &in.Name, &in.Unit, &in.Role, &created); err != nil {
			return nil, fmt.Errorf("scan inspector: %w", err)
		}
		in.Created, _ = time.Parse(time.RFC3339Nano, created)
		out = append(out, in)
	}
	return out, rows.Err()
}

// RecentRejections implements store.Store.
func (db *DB) RecentRejections(ctx context.Context, limit int) ([]store.Rejection, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT change_id, device_id, code, message, problems, at FROM rejections ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list rejections: %w", err)
	}
	defer rows.Close()
	var out []store.Rejection
	for rows.Next() {
		var r store.Rejection
		var at, probs string
		if err := rows.Scan(&r.ChangeID, &r.DeviceID, &r.Code, &r.Message, &probs, &at); err != nil {
			return nil, fmt.Errorf("scan rejection: %w", err)
		}
		if probs != "" {
			// A list that does not decode leaves the English message to stand alone.
			_ = json.Unmarshal([]byte(probs), &r.Problems)
		}
		r.At, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, r)
	}
	return out, rows.Err()
}
