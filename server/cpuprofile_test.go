package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestServeCPUProfile: serve --cpuprofile writes a profile of the run once the server stops,
// and without the flag no profile is written.
func TestServeCPUProfile(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "serve.prof")
	for _, withFlag := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		args := []string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "t.db"), "--public-url", "https://talbar.example.mn"}
		if withFlag {
			args = append(args, "--cpuprofile", prof)
		}
		var out, errb bytes.Buffer
		if err := run(ctx, args, &out, &errb); err != nil {
			t.Fatalf("serve: %v\n%s", err, errb.String())
		}
		cancel()
		fi, err := os.Stat(prof)
		if withFlag && (err != nil || fi.Size() == 0) {
			t.Fatalf("with --cpuprofile: no profile written (%v)", err)
		}
		if !withFlag && err == nil {
			t.Fatal("without --cpuprofile a profile was written")
		}
	}
}
