package dbfile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPrepare: a new folder is 0700 and a new file 0600; an existing 0644 file and its WAL are
// narrowed to 0600.
func TestPrepare(t *testing.T) {
	old := umask(0o022)
	defer umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "talbar.db")
	if err := Prepare(path); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("folder %v, want 0700", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("file %v, want 0600", fi.Mode().Perm())
	}
	os.Chmod(path, 0o644)
	os.WriteFile(path+"-wal", nil, 0o644)
	if err := Prepare(path); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
}
