package integration_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"talbar/fieldapp/firstsync"
	"talbar/fieldapp/localstore"
	"talbar/fieldapp/sim"
	"talbar/shared/record"
)

// BenchmarkFirstSync10k measures the first sync of a device holding 10,000 pending changes
// (typical events and surveys) against the real server over loopback, through the load tool's
// library (fieldapp/firstsync, as `go run ./fieldapp/cmd/firstsync` does), with the app's store
// settings and the sync client's defaults.
func BenchmarkFirstSync10k(b *testing.B) {
	srv := startServer(b)
	var total time.Duration
	var bytes, pushes int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		code := srv.Code("bench"+strconv.Itoa(i), soumA, "inspector")
		b.StartTimer()
		res, err := firstsync.Run(context.Background(), firstsync.Options{Server: srv.URL, Code: code, Changes: 10_000, Seed: uint64(i + 1)})
		if err != nil {
			b.Fatal(err)
		}
		if res.Changes != 10_000 {
			b.Fatalf("pushed %d", res.Changes)
		}
		total += time.Duration(res.Seconds * float64(time.Second))
		bytes += res.RequestBytes
		pushes += res.Pushes
		if testing.Verbose() {
			b.Logf("sync %d: %+v; server log tail:\n%s", i, res, srv.LogTail(3000))
		}
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/sync")
	b.ReportMetric(float64(bytes)/float64(b.N)/10_000, "wire_B/change")
	b.ReportMetric(float64(pushes)/float64(b.N), "pushes")
}

// BenchmarkWireBytesPerEvent pushes typical new events in batches of 500 through a counting proxy
// and reports the gzip request bytes per change, beside the size of one such record as an
// uncompressed JSON document (its fields) and as one uncompressed JSON change.
func BenchmarkWireBytesPerEvent(b *testing.B) {
	srv := startServer(b)
	px := newProxy(b, srv.URL)
	rng := rand.New(rand.NewPCG(4, 2))
	const n = 2000
	for i := 0; i < b.N; i++ {
		d := newDevice(b, "wire"+strconv.Itoa(i), px.URL(), srv.Code("wire", soumA, "inspector"), nil)
		var docBytes, changeBytes int
		for j := 0; j < n; j++ {
			date := time.Date(year, time.Month(1+rng.IntN(11)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
			f := sim.Event(rng, record.KindHerderMeeting, soumA, date)
			d.save(localstore.Draft{Entity: record.EntityEvent, Fields: f})
			doc, _ := json.Marshal(f)
			docBytes += len(doc)
		}
		chs, _ := d.DB.PendingChanges(context.Background(), n)
		for _, c := range chs {
			cb, _ := json.Marshal(c)
			changeBytes += len(cb)
		}
		d.C.BatchSize = 500
		px.BodyBytes.Store(0)
		before := len(px.Batches)
		if res := d.sync(); res.Pushed != n {
			b.Fatalf("pushed %d", res.Pushed)
		}
		pushes := len(px.Batches) - before
		b.ReportMetric(float64(px.BodyBytes.Load())/n, "wire_B/change")
		b.ReportMetric(float64(docBytes)/n, "json_B/record")
		b.ReportMetric(float64(changeBytes)/n, "json_B/change")
		b.ReportMetric(float64(pushes), "pushes")
	}
}
