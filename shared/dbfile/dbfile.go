// Package dbfile prepares the place of a SQLite database file so that only its owner can read
// it: the server's file holds password hashes, sessions and survey answers, the field app's its
// device token and an inspector's records. Both call Prepare before opening the file.
package dbfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Mode is the permission of the database file and of its -wal and -shm companions (SQLite gives
// those the database file's mode).
const Mode fs.FileMode = 0o600

// DirMode is the permission of a data folder Prepare creates; an existing folder is left as it
// is, since it may be one the operator chose and shares (such as the working directory).
const DirMode fs.FileMode = 0o700

// Prepare creates the folder of path (DirMode) if it is missing, creates the database file empty
// with Mode if it is missing, and narrows an existing database, -wal or -shm file that others may
// read to Mode. An empty path or ":memory:" is left alone.
func Prepare(path string) error {
	if path == "" || path == ":memory:" {
		return nil
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, DirMode); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, Mode)
	switch {
	case err == nil:
		if err := f.Close(); err != nil {
			return fmt.Errorf("create %s: %w", path, err)
		}
	case !errors.Is(err, fs.ErrExist):
		return fmt.Errorf("create %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		if fi.Mode().Perm()&^Mode != 0 {
			if err := os.Chmod(p, Mode); err != nil {
				return fmt.Errorf("narrow the permissions of %s: %w", p, err)
			}
		}
	}
	return nil
}
