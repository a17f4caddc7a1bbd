package sqlite_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"talbar/assets"
	"talbar/server/store"
	"talbar/server/store/sqlite"
	"talbar/server/store/storetest"
	"talbar/shared/unit"
)

func units(tb testing.TB) *unit.Tree {
	tb.Helper()
	t, err := unit.Parse(bytes.NewReader(assets.UnitsCSV()))
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// MustOpen opens a store on a fresh SQLite file.
func MustOpen(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "t.db"),
		sqlite.Options{Units: units(tb), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// principals enrolls one device per (unit, role).
func principals(tb testing.TB, db *sqlite.DB, specs [][2]string) []store.Principal {
	tb.Helper()
	ctx := context.Background()
	var out []store.Principal
	for _, s := range specs {
		in, err := db.CreateInspector(ctx, "t", s[0], s[1])
		if err != nil {
			tb.Fatal(err)
		}
		code, err := db.IssueCode(ctx, in.ID, time.Hour)
		if err != nil {
			tb.Fatal(err)
		}
		p, _, err := db.Enroll(ctx, code, "d", "test")
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// openSQLite is the conformance suite's opener: a fresh SQLite file per store.
func openSQLite(tb testing.TB, cfg storetest.Config) store.Store {
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "t.db"),
		sqlite.Options{Units: cfg.Units, Now: cfg.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Synchronous: "OFF"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// TestConformance runs the contract every store passes.
func TestConformance(t *testing.T) { storetest.Run(t, openSQLite) }

// FuzzMergeAnyDelivery runs the contract's delivery-order property for any seed.
func FuzzMergeAnyDelivery(f *testing.F) {
	for seed := int64(1); seed <= 6; seed++ {
		f.Add(seed, seed%2 == 0)
	}
	f.Fuzz(func(t *testing.T, seed int64, moves bool) {
		storetest.MergeAnyDelivery(t, openSQLite, seed, moves)
	})
}

// FuzzConflictsKept runs the contract's conflicts property for any seed.
func FuzzConflictsKept(f *testing.F) {
	for seed := int64(1); seed <= 8; seed++ {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed int64) { storetest.ConflictsKept(t, openSQLite, seed) })
}

// FuzzConflictsWithDeletesAndMoves runs the conflicts property with deletes and moves for any
// seed (storetest.Run runs seeds 1-3 on every backend).
func FuzzConflictsWithDeletesAndMoves(f *testing.F) {
	for seed := int64(4); seed <= 12; seed++ {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed int64) { storetest.ConflictsWithDeletesAndMoves(t, openSQLite, seed) })
}
