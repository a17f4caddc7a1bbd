// Command firstsync measures a device's first sync against a running server, before a rollout:
// it creates a fresh device store in a temporary folder, enrolls it with a one-time code, saves
// N typical changes offline through the real local store (events and their surveys, as the
// simulator makes them), runs the real sync client until the outbox is empty and prints one
// JSON line:
//
//	go run ./fieldapp/cmd/firstsync --server URL --code CODE --changes 10000
//	{"changes":10000,"seconds":0.9,"request_bytes":700000,"pushes":20}
//
// seconds is the sync alone; request_bytes the compressed push bodies. With --pull it measures
// the first pull of a new device instead (an officer's code): with --seed-code, an inspector of
// the officer's aimag first pushes N typical changes (not timed); "answer_bytes" and "pulls"
// are then the compressed pull answers and their count.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"talbar/fieldapp/firstsync"
	"talbar/fieldapp/syncclient"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "firstsync:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o firstsync.Options
	fs := flag.NewFlagSet("firstsync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Server, "server", "", "server base URL (required)")
	fs.StringVar(&o.Code, "code", "", "one-time enrollment code of the measured device (required)")
	fs.IntVar(&o.Changes, "changes", 10_000, "changes saved offline before the sync (with --pull: records seeded)")
	fs.BoolVar(&o.Pull, "pull", false, "measure the first pull of a new device (an officer's code) instead of a push")
	fs.StringVar(&o.SeedCode, "seed-code", "", "with --pull: an inspector code whose device first pushes --changes changes")
	fs.StringVar(&o.Dir, "dir", "", "keep the device stores in this folder (default: a temporary folder, removed)")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed of the records")
	batch := fs.Int("batch", 0, "most changes in one push (default: the client's)")
	pullLimit := fs.Int("pull-limit", 0, "most changes asked of one pull page (default: the client's)")
	gzipOnly := fs.Bool("gzip", false, "speak as a client before zstd: gzip JSON pushes and gzip answers (to compare bytes)")
	profile := fs.String("cpuprofile", "", "write a CPU profile (pprof) of the sync alone to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *batch < 0 || *pullLimit < 0 {
		return errors.New("--batch, --pull-limit: must not be negative")
	}
	o.Client = func(c *syncclient.Client) { c.BatchSize, c.PullLimit, c.GzipOnly = *batch, *pullLimit, *gzipOnly }
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		o.CPUProfile = f
	}
	switch {
	case o.Server == "":
		return errors.New("--server: required")
	case o.Code == "":
		return errors.New("--code: required")
	case o.Changes < 0:
		return errors.New("--changes: must not be negative")
	case o.SeedCode != "" && !o.Pull:
		return errors.New("--seed-code: only with --pull")
	}
	res, err := firstsync.Run(ctx, o)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}
