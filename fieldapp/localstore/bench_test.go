package localstore_test

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"talbar/fieldapp/localstore"
	"talbar/fieldapp/sim"
	"talbar/shared/record"
)

// BenchmarkSave measures one local save of a typical event (record + outbox change in one
// transaction, synchronous=FULL, WAL) on a store that already holds 2,000 records, and reports
// the p50 and p99 latency.
func BenchmarkSave(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run(sync, func(b *testing.B) { benchmarkSave(b, sync) })
	}
}

func benchmarkSave(b *testing.B, synchronous string) {
	ctx := context.Background()
	db := mustOpen(b, "", localstore.Options{Synchronous: synchronous, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rng := rand.New(rand.NewPCG(1, 1))
	day := time.Date(2026, 5, 14, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 2000; i++ {
		mustSave(b, db, localstore.Draft{Entity: record.EntityEvent, Fields: sim.Event(rng, record.KindHerderMeeting, "MN6501", day)})
	}
	drafts := make([]localstore.Draft, b.N)
	for i := range drafts {
		drafts[i] = localstore.Draft{Entity: record.EntityEvent, Fields: sim.Event(rng, record.KindHerderMeeting, "MN6501", day)}
	}
	lat := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, probs, err := db.Save(ctx, drafts[i]); err != nil || len(probs) > 0 {
			b.Fatal(err, probs)
		}
		lat[i] = time.Since(t0)
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}
