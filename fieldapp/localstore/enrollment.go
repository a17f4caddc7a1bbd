package localstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// Enrollment is who this device is to the server. Its token is a bearer secret: String, GoString
// and LogValue redact it, so logging or printing an Enrollment never leaks it.
type Enrollment struct {
	ServerURL  string
	DeviceID   string
	Token      string
	Inspector  syncproto.Inspector
	EnrolledAt time.Time
}

func (e Enrollment) String() string {
	return fmt.Sprintf("enrollment{server=%s device=%s inspector=%s unit=%s role=%s token=%s}",
		e.ServerURL, e.DeviceID, e.Inspector.ID, e.Inspector.UnitCode, e.Inspector.Role, redact(e.Token))
}

// GoString keeps %#v from printing the token.
func (e Enrollment) GoString() string { return e.String() }

// LogValue keeps slog from printing the token.
func (e Enrollment) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("server", e.ServerURL),
		slog.String("device_id", e.DeviceID),
		slog.String("inspector", e.Inspector.ID),
		slog.String("unit", e.Inspector.UnitCode),
		slog.String("role", e.Inspector.Role),
		slog.String("token", redact(e.Token)),
	)
}

func redact(s string) string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// Enrollment returns the stored enrollment, or ErrNotEnrolled.
func (db *DB) Enrollment(ctx context.Context) (Enrollment, error) {
	var e Enrollment
	rows, err := db.read.QueryContext(ctx, `SELECT key, value FROM meta WHERE key IN (?, ?, ?, ?, ?)`,
		keyServerURL, keyDeviceID, keyToken, keyInspector, keyEnrolledAt)
	if err != nil {
		return e, fmt.Errorf("read enrollment: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return e, fmt.Errorf("read enrollment: %w", err)
		}
		switch k {
		case keyServerURL:
			e.ServerURL = v
		case keyDeviceID:
			e.DeviceID = v
		case keyToken:
			e.Token = v
		case keyInspector:
			_ = json.Unmarshal([]byte(v), &e.Inspector)
		case keyEnrolledAt:
			e.EnrolledAt, _ = time.Parse(time.RFC3339Nano, v)
		}
	}
	if err := rows.Err(); err != nil {
		return e, fmt.Errorf("read enrollment: %w", err)
	}
	if e.DeviceID == "" || e.Token == "" || e.ServerURL == "" {
		return e, ErrNotEnrolled
	}
	return e, nil
}

// Credentials is Enrollment reduced to what the sync client needs (syncclient.Outbox): empty
// strings and no error when the device is not enrolled. A revoked device keeps its token: the
// server refuses it, each sync says "revoked", and a new enrollment replaces it.
func (db *DB) Credentials(ctx context.Context) (serverURL, deviceID, token string, err error) {
	e, err := db.Enrollment(ctx)
	if errors.Is(err, ErrNotEnrolled) {
		return e.ServerURL, e.DeviceID, "", nil
	}
	if err != nil {
		return "", "", "", err
	}
	return e.ServerURL, e.DeviceID, e.Token, nil
}

// deviceID is the id this device writes changes under, "" before enrollment.
func (db *DB) deviceID(ctx context.Context, q querier) (string, error) {
	return db.meta(ctx, q, keyDeviceID)
}

// SaveEnrollment stores a successful enrollment in one transaction. Records saved before the first
// enrollment were written under an empty device id; they take the new id now, so this device and
// the server hold the same writer for every field. When the device was enrolled with another server
// (a different epoch), the state of every record is queued for it and the pull starts over; the
// pending changes are folded into that state (ResendState), so everything they set goes to the new
// server under its original hlc and writer. Enrolling on the same server under another device id,
// unit or role (another inspector, or the same one moved) also starts the pull over and drops the
// probe: the new identity's scope has its own history. syncclient.Client.Enroll refuses to switch servers
// while changes are pending unless forced, so that they reach the server they were meant for.
func (db *DB) SaveEnrollment(ctx context.Context, serverURL string, resp syncproto.EnrollResponse) error {
	if resp.DeviceID == "" || resp.Token == "" {
		return fmt.Errorf("save enrollment: answer without device id or token")
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		oldEpoch, err := db.meta(ctx, tx, keyEpoch)
		if err != nil {
			return err
		}
		oldURL, err := db.meta(ctx, tx, keyServerURL)
		if err != nil {
			return err
		}
		oldDev, err := db.meta(ctx, tx, keyDeviceID)
		if err != nil {
			return err
		}
		oldInsp, err := db.meta(ctx, tx, keyInspector)
		if err != nil {
			return err
		}
		var was syncproto.Inspector
		_ = json.Unmarshal([]byte(oldInsp), &was)
		// Another identity on the same server sees another scope: what the old one pulled says
		// nothing of where the new one's log starts, and the probe was another device's change.
		newIdentity := oldDev != "" && (oldDev != resp.DeviceID || was.UnitCode != resp.Inspector.UnitCode ||
			was.Role != resp.Inspector.Role)
		if err := db.adoptDeviceID(ctx, tx, resp.DeviceID); err != nil {
			return err
		}
		insp, _ := json.Marshal(resp.Inspector)
		for k, v := range map[string]string{
			keyServerURL: serverURL, keyDeviceID: resp.DeviceID, keyToken: resp.Token,
			keyInspector: string(insp), keyEnrolledAt: db.now().UTC().Format(time.RFC3339Nano),
		} {
			if err := setMeta(ctx, tx, k, v); err != nil {
				return err
			}
		}
		if ts, err := hlc.Parse(resp.ServerHLC); err == nil {
			db.clock.Observe(ts)
			if err := db.persistClock(ctx, tx); err != nil {
				return err
			}
		}
		newEpoch := oldEpoch != "" && resp.ServerEpoch != "" && oldEpoch != resp.ServerEpoch
		forgot, err := db.meta(ctx, tx, keyServerForgot)
		if err != nil {
			return err
		}
		if forgot != "" && !newEpoch {
			// The server had lost this device (restored from an older backup): whatever it
			// acknowledged may be gone, so everything goes again, as for a new epoch.
			n, err := db.queueState(ctx, tx, resp.DeviceID)
			if err != nil {
				return err
			}
			db.logger.Info("enrolled again after the server lost this device: state queued", "changes", n)
			newIdentity = true
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, keyServerForgot); err != nil {
			return err
		}
		if newEpoch {
			n, err := db.queueState(ctx, tx, resp.DeviceID)
			if err != nil {
				return err
			}
			db.logger.Info("enrolled with another server: state queued", "records_changes", n)
		}
		if newEpoch || newIdentity {
			// The probe names a change the old server took, or that another device wrote.
			if _, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, keyProbe); err != nil {
				return fmt.Errorf("drop probe: %w", err)
			}
		}
		if newEpoch || newIdentity || oldURL != "" && oldURL != serverURL {
			if err := setMeta(ctx, tx, keyCursor, ""); err != nil {
				return err
			}
		}
		if resp.ServerEpoch != "" {
			return setMeta(ctx, tx, keyEpoch, resp.ServerEpoch)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save enrollment: %w", err)
	}
	db.logger.Info("enrolled", "enrollment", Enrollment{ServerURL: serverURL, DeviceID: resp.DeviceID,
		Token: resp.Token, Inspector: resp.Inspector})
	return nil
}

// adoptDeviceID gives fields and outbox entries written before the first enrollment the new id.
func (db *DB) adoptDeviceID(ctx context.Context, tx *sql.Tx, id string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET device_id = ? WHERE device_id = ''`, id); err != nil {
		return fmt.Errorf("adopt device id: %w", err)
	}
	// Every record is read (once, at enrollment): the stored JSON form belongs to syncproto/merge.
	rows, err := tx.QueryContext(ctx, `SELECT id, data FROM records`)
	if err != nil {
		return fmt.Errorf("adopt device id: %w", err)
	}
	type upd struct{ id, data string }
	var ups []upd
	for rows.Next() {
		var rid, data string
		if err := rows.Scan(&rid, &data); err != nil {
			rows.Close()
			return err
		}
		r, err := decodeMerged(data)
		if err != nil {
			rows.Close()
			return err
		}
		changed := false
		for k, f := range r.Fields {
			if f.D == "" {
				f.D = id
				r.Fields[k] = f
				changed = true
			}
		}
		if changed {
			ups = append(ups, upd{rid, string(r.Marshal())})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, u := range ups {
		if _, err := tx.ExecContext(ctx, `UPDATE records SET data = ? WHERE id = ?`, u.data, u.id); err != nil {
			return fmt.Errorf("adopt device id: %w", err)
		}
	}
	return nil
}

// SyncState returns the pull cursor and the server epoch last seen.
func (db *DB) SyncState(ctx context.Context) (cursor, epoch string, err error) {
	if cursor, err = db.meta(ctx, db.read, keyCursor); err != nil {
		return "", "", fmt.Errorf("read cursor: %w", err)
	}
	if epoch, err = db.meta(ctx, db.read, keyEpoch); err != nil {
		return "", "", fmt.Errorf("read epoch: %w", err)
	}
	return cursor, epoch, nil
}

// MarkSynced records the time of the last sync that pushed and pulled everything it could.
func (db *DB) MarkSynced(ctx context.Context, at time.Time) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		return setMeta(ctx, tx, keyLastSync, at.UTC().Format(time.RFC3339Nano))
	})
}

// LastSync is the time of the last successful sync, zero if none.
func (db *DB) LastSync(ctx context.Context) (time.Time, error) {
	v, err := db.meta(ctx, db.read, keyLastSync)
	if err != nil || v == "" {
		return time.Time{}, err
	}
	return time.Parse(time.RFC3339Nano, v)
}

// SkewWarning is the server's latest word that this device's clock is off.
type SkewWarning struct {
	Message string    `json:"message"`
	At      time.Time `json:"at"` // when the server said it
}

// SkewWarning returns the last clock-skew warning, nil when the last push carried none.
func (db *DB) SkewWarning(ctx context.Context) (*SkewWarning, error) {
	v, err := db.meta(ctx, db.read, keySkewWarning)
	if err != nil || v == "" {
		return nil, err
	}
	var w SkewWarning
	if err := json.Unmarshal([]byte(v), &w); err != nil {
		return nil, fmt.Errorf("read skew warning: %w", err)
	}
	return &w, nil
}

// ServerForgotDevice notes that the server no longer knows this device (it answered
// device_unknown: restored from a backup older than the enrollment). Nothing is dropped; the next
// enrollment queues the state of every record, since the server may lack anything it acknowledged.
func (db *DB) ServerForgotDevice(ctx context.Context) error {
	if err := setMeta(ctx, db.write, keyServerForgot, db.now().UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("note lost enrollment: %w", err)
	}
	return nil
}
