package firstsync

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"talbar/fieldapp/localstore"
	"talbar/syncproto"
)

// Samples returns n typical changes as a device's outbox holds them (the changes Run would push),
// built offline in a temporary store: the material the zstd dictionary is trained on.
func Samples(ctx context.Context, n int, seed uint64, unit string) ([]syncproto.Change, error) {
	dir, err := os.MkdirTemp("", "talbar-samples-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	db, err := localstore.Open(filepath.Join(dir, "samples.db"), localstore.Options{Synchronous: "OFF", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	defer db.Close()
	// A made-up enrollment: the changes carry no device id, only the store needs one.
	if err := db.SaveEnrollment(ctx, "http://127.0.0.1:1", syncproto.EnrollResponse{
		DeviceID: "00000000-0000-4000-8000-000000000001", Token: "samples",
		Inspector: syncproto.Inspector{ID: "00000000-0000-4000-8000-000000000002", Name: "samples", UnitCode: unit, Role: syncproto.RoleInspector},
		ServerHLC: "0000000000000000", ServerEpoch: "samples"}); err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	var res Result
	if seed == 0 {
		seed = 1
	}
	if err := fill(ctx, db, unit, n, seed, &res); err != nil {
		return nil, err
	}
	changes, _, err := db.PendingChangesAfter(ctx, 0, n)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return changes, nil
}
