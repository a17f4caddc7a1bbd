package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"talbar/server/store"
	"talbar/shared/unit"
	"talbar/syncproto"
)

func unitCode(s string) unit.Code { return unit.Code(s) }

// Pull implements store.Store. It reads in one snapshot: every cursor at or below the snapshot's
// greatest was committed (one writer, cursors assigned inside it), so when a page is not full the
// returned cursor may jump to that greatest one and skip nothing.
func (db *DB) Pull(ctx context.Context, p store.Principal, since int64, limit int) ([]syncproto.Change, int64, bool, error) {
	if limit <= 0 || limit > syncproto.MaxPullLimit {
		limit = syncproto.DefaultPullLimit
	}
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, false, fmt.Errorf("%w: begin pull: %v", store.ErrUnavailable, err)
	}
	defer tx.Rollback()
	var maxCursor int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(cursor), 0) FROM changes`).Scan(&maxCursor); err != nil {
		return nil, 0, false, fmt.Errorf("read max cursor: %w", err)
	}
	if since > maxCursor {
		// The device has seen more of the log than this store holds: the store was restored
		// from an older copy. Report it so the device re-sends what it holds.
		db.cursorAhead(ctx, p, since, maxCursor)
		return nil, maxCursor, false, store.ErrCursorAhead
	}
	// A change stamped beyond the bound (taken before pushes refused them) is never served: a
	// device that observed it would stamp its own edits in that future too.
	q := `SELECT c.cursor, c.id, c.record_id, c.entity, c.op, c.hlc, c.device_id, c.fields, c.base,
		coalesce(i.name, CASE WHEN c.device_id LIKE 'dashboard:%' THEN substr(c.device_id, 11) ELSE '' END)
		FROM changes c LEFT JOIN devices d ON d.id = c.device_id LEFT JOIN inspectors i ON i.id = d.inspector_id
		WHERE c.cursor > ? AND c.pusher_id != ? AND c.hlc <= ?`
	args := []any{since, p.DeviceID, store.PullBound(db.now())}
	switch p.Inspector.Role {
	case syncproto.RoleInspector:
		q += ` AND c.unit = ?`
		args = append(args, p.Inspector.Unit)
	case syncproto.RoleOfficer:
		q += ` AND c.division = ?`
		args = append(args, p.Inspector.Unit)
	}
	q += ` ORDER BY c.cursor LIMIT ?`
	args = append(args, limit+1)
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, false, fmt.Errorf("pull: %w", err)
	}
	defer rows.Close()
	out := make([]syncproto.Change, 0, min(limit, 256))
	cursor := since
	more := false
	size := 0
	for rows.Next() {
		// A page stops at limit changes or once it holds syncproto.MaxPullBytes, whichever
		// comes first, so no device needs more memory than about one page of records.
		if len(out) == limit || size >= syncproto.MaxPullBytes {
			more = true
			break
		}
		var c syncproto.Change
		var fields, base []byte
		if err := rows.Scan(&cursor, &c.ID, &c.RecordID, &c.Entity, &c.Op, &c.HLC, &c.DeviceID, &fields, &base, &c.WriterName); err != nil {
			return nil, 0, false, fmt.Errorf("scan change: %w", err)
		}
		if len(base) > 0 {
			if err := json.Unmarshal(base, &c.Base); err != nil {
				return nil, 0, false, fmt.Errorf("decode base of change %s: %w", c.ID, err)
			}
		}
		size += store.PullOverhead + len(fields) + len(base)
		if len(fields) > 0 {
			if err := json.Unmarshal(fields, &c.Fields); err != nil {
				return nil, 0, false, fmt.Errorf("decode change %s: %w", c.ID, err)
			}
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, false, fmt.Errorf("pull: %w", err)
	}
	if !more && maxCursor > cursor {
		cursor = maxCursor
	}
	// Release the read snapshot before waiting for the writer: a pull must not hold a read
	// connection while a long push commits.
	rows.Close()
	tx.Rollback()
	if _, err := db.write.ExecContext(ctx, `UPDATE devices SET last_seen = ? WHERE id = ?`, db.stamp(), p.DeviceID); err != nil {
		db.log.Warn("note device seen", "device", p.DeviceID, "err", err)
	}
	return out, cursor, more, nil
}
