package sqlite_test

import (
	"context"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"talbar/server/store"
	"talbar/server/store/sqlite"
	"talbar/server/store/storetest"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

func openAt(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{Units: units(t), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func pushSome(t *testing.T, db *sqlite.DB, p store.Principal, n int) {
	t.Helper()
	dev := benchDevice{p: p, soums: []string{"MN6501"}, clock: &hlc.Clock{}}
	resp, err := storetest.Push(context.Background(), db, p, syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: creates(randSource(), dev, n)})
	if err != nil || len(resp.Accepted) != n {
		t.Fatalf("push: %v %+v", err, resp.Rejected)
	}
}

// TestRestoreRotatesEpoch: a store file replaced by an older copy opens with a new epoch, found
// through the high-water file beside it.
func TestRestoreRotatesEpoch(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.db")
	db := openAt(t, path)
	p := principals(t, db, [][2]string{{"MN6501", "inspector"}})[0]
	pushSome(t, db, p, 10)
	epoch := db.Epoch()
	db.Close()
	if err := copyFile(path, path+".bak"); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	if db.Epoch() != epoch {
		t.Fatal("a plain restart changed the epoch")
	}
	pushSome(t, db, p, 10)
	db.Close()
	if err := os.Rename(path+".bak", path); err != nil { // the restore
		t.Fatal(err)
	}
	os.Remove(path + "-wal")
	db = openAt(t, path)
	defer db.Close()
	if db.Epoch() == epoch {
		t.Fatal("a store restored from an older copy kept its epoch")
	}
}

func randSource() *rand.Rand { return rand.New(rand.NewSource(7)) }
