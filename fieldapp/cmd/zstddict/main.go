// Command zstddict trains the zstd dictionary of syncproto (syncproto/dict/1.dict) on the
// changes a device typically sends and receives: events and their surveys as fieldapp/sim makes
// them, saved through the real local store, written as pushes of a few changes (what a day's
// sync sends) and pull pages, each both by columns (dense) and as plain JSON. Run from the repository root:
//
//	go generate ./syncproto   (or: go run ./fieldapp/cmd/zstddict -out syncproto/dict/1.dict)
//
// A dictionary trained again differs in its bytes: a server must hold every id its devices
// use, so a new dictionary takes a new id (syncproto.DictID), never the old one's.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"

	"github.com/klauspost/compress/dict"
	"github.com/klauspost/compress/zstd"

	"talbar/fieldapp/firstsync"
	"talbar/syncproto"
)

func main() {
	out := flag.String("out", "syncproto/dict/1.dict", "dictionary file to write")
	n := flag.Int("changes", 4000, "typical changes to train on")
	size := flag.Int("size", 32<<10, "largest dictionary size in bytes")
	id := flag.Uint("id", syncproto.DictID, "dictionary id written into it")
	flag.Parse()
	if err := run(*out, *n, *size, uint32(*id)); err != nil {
		slog.Error("zstddict", "err", err)
		os.Exit(1)
	}
}

func run(out string, n, size int, id uint32) error {
	ctx := context.Background()
	changes, err := firstsync.Samples(ctx, n, 1, "MN6501")
	if err != nil {
		return fmt.Errorf("typical changes: %w", err)
	}
	rng := rand.New(rand.NewPCG(13, 13))
	var samples [][]byte
	const device = "01a2373e-9046-7041-80e6-27f942509084"
	for i := 0; i < len(changes); {
		k := min(1+rng.IntN(24), len(changes)-i)
		batch := changes[i : i+k]
		i += k
		req := syncproto.PushRequest{Protocol: syncproto.Protocol, DeviceID: device, DeviceTime: "2026-09-15T08:30:00Z",
			Outbox: syncproto.OutboxHealth{Pending: k}, Changes: batch}
		d, err := syncproto.Densify(req)
		if err != nil {
			return fmt.Errorf("densify: %w", err)
		}
		b, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		samples = append(samples, b)
		// A push of a few changes goes as plain JSON when that is smaller.
		if b, err = json.Marshal(req); err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		samples = append(samples, b)
		// The same changes as a pull page brings them: plain JSON, with the writer named.
		pulled := make([]syncproto.Change, len(batch))
		for j, c := range batch {
			c.DeviceID, c.WriterName = device, "Батбаяр"
			pulled[j] = c
		}
		page := syncproto.PullResponse{Changes: pulled, Cursor: "1024", More: true,
			ServerEpoch: device, ServerHLC: batch[0].HLC, SurveyVersion: 1}
		if b, err = json.Marshal(page); err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		samples = append(samples, b)
		page.Densify() // as a client asking dense=1 gets it
		if b, err = json.Marshal(page); err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		samples = append(samples, b)
	}
	d, err := dict.BuildZstdDict(samples, dict.Options{MaxDictSize: size, HashBytes: 6, ZstdDictID: id,
		ZstdLevel: zstd.SpeedDefault})
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := os.WriteFile(out, d, 0o644); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	fmt.Printf("%s: %d bytes, id %d, from %d samples\n", out, len(d), id, len(samples))
	return nil
}
