package sqlite_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"talbar/server/store"
	"talbar/server/store/sqlite"
)

// A store file that fails its integrity check (a backup copied beside a crashed server's WAL, or
// a damaged disk) is refused at open with a message that names the file and the -wal and -shm to
// remove; nothing is served from it (faults review D6).
func TestMalformedStoreRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db := openAt(t, path)
	p := principals(t, db, [][2]string{{"MN6501", "inspector"}})[0]
	pushSome(t, db, p, 300)
	db.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	garbage := []byte(strings.Repeat("\xde\xad\xbe\xef", 1024))
	for off := int64(4096 * 3); off+int64(len(garbage)) < st.Size()-4096; off += 4096 * 5 {
		f.WriteAt(garbage, off) // whole pages of the records and the change log
	}
	f.Close()
	_, err = sqlite.Open(context.Background(), path, sqlite.Options{Units: units(t), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("open of a malformed store: %v, want ErrCorrupt", err)
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "-wal") || !strings.Contains(msg, "-shm") {
		t.Fatalf("the message does not say what to do: %s", msg)
	}
}
