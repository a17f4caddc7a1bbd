package localstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// Now is the device's wall clock corrected by the offset from the server's clock measured at the
// last answer: what the hlc stamps with, and the "today" a form should default to.
func (db *DB) Now() time.Time {
	return db.now().Add(time.Duration(db.offset.Load()) * time.Millisecond)
}

// ClockOffset is the server's clock minus this device's at the last answer (0 before any).
func (db *DB) ClockOffset() time.Duration {
	return time.Duration(db.offset.Load()) * time.Millisecond
}

// NoteServerTime records the server's clock (an answer's X-Server-Time) against this device's
// clock at the same moment. The hlc then stamps with the corrected time; a high-water mark beyond
// the server's bound (a clock that ran ahead before, or a jump while offline) is brought back, and
// every unsent change stamped beyond it is stamped again, so the server takes it instead of
// refusing it as clock_ahead. Nothing is lost or sent twice: the changes keep their ids.
func (db *DB) NoteServerTime(ctx context.Context, server, local time.Time) error {
	off := server.Sub(local).Milliseconds()
	old := db.offset.Load()
	if d := off - old; d > -1000 && d < 1000 {
		off = old // round-trip jitter: keep the estimate, and write nothing
	}
	db.offset.Store(off)
	limit := hlc.New(db.Now().Add(syncproto.MaxAhead).UnixMilli(), 0)
	if old == off && db.clock.Last() <= limit {
		return nil
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := setMeta(ctx, tx, keyClockOffset, strconv.FormatInt(off, 10)); err != nil {
			return err
		}
		if db.clock.Last() <= limit {
			return nil
		}
		return db.restampAhead(ctx, tx, limit)
	})
	if err != nil {
		return fmt.Errorf("note server time: %w", err)
	}
	return nil
}

// restampAhead brings the clock back to the corrected time and stamps again, oldest first, every
// outbox change whose hlc lies beyond limit, with the record fields it wrote. Such changes were
// never accepted anywhere (the server refuses them), so no other replica holds their old stamp.
func (db *DB) restampAhead(ctx context.Context, tx *sql.Tx, limit hlc.Timestamp) error {
	db.clock.Clamp(hlc.New(db.Now().UnixMilli(), 0))
	rows, err := queryOutbox(ctx, tx, `WHERE hlc > ? ORDER BY seq`, limit.String())
	if err != nil {
		return err
	}
	for _, o := range rows {
		ts := db.clock.Next().String()
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET hlc = ? WHERE seq = ?`, ts, o.seq); err != nil {
			return fmt.Errorf("re-stamp change: %w", err)
		}
		r, _, found, err := loadRecord(ctx, tx, o.recordID)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		for name, f := range r.Fields {
			if f.H == o.hlc && f.D == o.device {
				f.H = ts
				r.Fields[name] = f
			}
		}
		if err := writeRecord(ctx, tx, &r, ""); err != nil {
			return err
		}
		db.logger.Info("change re-stamped: its clock was ahead of the server's", "change", o.id, "from", o.hlc, "to", ts)
	}
	return db.persistClock(ctx, tx)
}
