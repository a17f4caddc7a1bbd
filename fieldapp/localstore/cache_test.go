package localstore

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
)

// TestWriteConnectionCache: the writer keeps a large page cache (a first pull's pages fit without
// spilling to the WAL); the readers keep SQLite's default.
func TestWriteConnectionCache(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "cache.db"), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	var w, r int
	if err := db.write.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&w); err != nil {
		t.Fatal(err)
	}
	if err := db.read.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&r); err != nil {
		t.Fatal(err)
	}
	if w != -32768 {
		t.Errorf("write connection cache_size %d, want -32768 (32 MiB)", w)
	}
	if r != -2000 {
		t.Errorf("read connection cache_size %d, want SQLite's default -2000", r)
	}
}
