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

// NoteServerTime records the server's clock (an answer's X-Server-Time, read by the server at
// some moment while the request was in flight) against this device's clock when the request was
// sent and when the answer arrived. The hlc then stamps with the corrected time; a high-water mark
// beyond the server's bound (a clock that ran ahead before, or a jump while offline) is brought
// back, and every unsent change stamped beyond it is stamped again, so the server takes it instead
// of refusing it as clock_ahead. Nothing is lost or sent twice: the changes keep their ids.
//
// The answer proves that the offset lies between server−received and server+1ms−sent (the header
// has milliseconds). The estimate is kept while it lies in that interval — the answer cannot tell
// it wrong, however small or large the difference to the round trip's middle — and otherwise
// becomes the middle. So a clock change of any size is followed as soon as an answer's round
// trip is shorter than the change (a 300 ms step on a 50 ms link), while a slow answer (a push
// of a minute over 2G, whose middle may be tens of seconds off) moves nothing. A fixed dead band
// did neither: it ignored real changes under 1 s and followed the jitter of slow links above it.
// The store is written only when the estimate changes.
func (db *DB) NoteServerTime(ctx context.Context, server, sent, received time.Time) error {
	if received.Before(sent) {
		sent, received = received, sent // the device clock stepped back during the round trip
	}
	lo, hi := server.Sub(received).Milliseconds(), server.Add(time.Millisecond).Sub(sent).Milliseconds()
	old := db.offset.Load()
	off := old
	if old < lo || old > hi {
		off = server.Sub(sent.Add(received.Sub(sent) / 2)).Milliseconds()
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
