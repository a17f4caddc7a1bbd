package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"talbar/server/store"
)

// A store restored from an older copy has the epoch of the copy, so devices would not know to
// re-send what the copy lacks. Two guards make it rotate its epoch by itself:
//
//   - a high-water file beside the database records the greatest cursor ever committed; a store
//     that opens behind it was restored;
//   - pulls whose cursor is beyond the change log, from devices of several inspectors, prove the
//     same for restores that copied the high-water file too (see AheadEvidence).
//
// Either way every device sees a new epoch on its next sync and re-sends the state of all its
// records with their original timestamps, which restores what was lost and changes nothing else.

// highWater is the content of the high-water file.
type highWater struct {
	Epoch  string `json:"epoch"`
	Cursor int64  `json:"cursor"`
}

func (db *DB) highWaterPath() string { return db.path + ".highwater" }

// maxCursor is the greatest cursor of the change log.
func (db *DB) maxCursor(ctx context.Context) (int64, error) {
	var n int64
	err := db.write.QueryRowContext(ctx, `SELECT coalesce(max(cursor), 0) FROM changes`).Scan(&n)
	return n, err
}

// checkRestored compares the store with its high-water file at open and rotates the epoch when
// the store is behind it.
func (db *DB) checkRestored(ctx context.Context) error {
	if db.path == "" {
		return nil
	}
	cur, err := db.maxCursor(ctx)
	if err != nil {
		return fmt.Errorf("read max cursor: %w", err)
	}
	var hw highWater
	if b, err := os.ReadFile(db.highWaterPath()); err == nil && json.Unmarshal(b, &hw) == nil &&
		hw.Epoch == db.epoch && hw.Cursor > cur {
		db.log.Warn("store is behind its high-water mark: restored from an older copy; rotating the epoch so devices re-send",
			"cursor", cur, "high_water", hw.Cursor)
		if _, err := db.RotateEpoch(ctx); err != nil {
			return err
		}
		db.rotatedForRestore.Store(true)
	}
	db.noteHighWater(cur)
	return nil
}

// noteHighWater records the greatest committed cursor. A failure only weakens the guard, so it
// is logged, not returned.
func (db *DB) noteHighWater(cursor int64) {
	if db.path == "" {
		return
	}
	db.highWaterMu.Lock()
	defer db.highWaterMu.Unlock()
	if cursor < db.highWaterLast {
		return // a later push already wrote a greater one
	}
	db.highWaterLast = cursor
	b, _ := json.Marshal(highWater{Epoch: db.Epoch(), Cursor: cursor})
	if err := os.WriteFile(db.highWaterPath(), b, 0o600); err != nil && db.highWaterFailed.CompareAndSwap(false, true) {
		db.log.Warn("cannot write the high-water file; restores will need `server epoch rotate`", "err", err)
	}
}

// cursorAhead handles a pull from beyond the change log: once devices of AheadEvidence
// different inspectors have done so since the start, the epoch rotates (once).
func (db *DB) cursorAhead(ctx context.Context, p store.Principal, since, max int64) {
	db.aheadMu.Lock()
	if db.aheadBy == nil {
		db.aheadBy = map[string]bool{}
	}
	db.aheadBy[p.Inspector.ID] = true
	n := len(db.aheadBy)
	db.aheadMu.Unlock()
	if n < store.AheadEvidence {
		db.log.Warn("a device has pulled beyond the change log; not rotating the epoch on one device's word",
			"device", p.DeviceID, "since", since, "max", max)
		return
	}
	if db.rotatedForRestore.Swap(true) {
		return
	}
	db.log.Warn("devices of several inspectors have pulled beyond the change log: restored from an older copy; rotating the epoch so devices re-send",
		"device", p.DeviceID, "inspectors", n, "since", since, "max", max)
	if _, err := db.RotateEpoch(ctx); err != nil {
		db.log.Error("rotate epoch", "err", err)
		db.rotatedForRestore.Store(false)
	}
}
