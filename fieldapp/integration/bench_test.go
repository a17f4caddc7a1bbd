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
	"talbar/fieldapp/syncclient"
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
// and reports the request bytes per change as the client sends them (dense zstd), beside the size of one such record as an
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

// BenchmarkWireEncodings10k pushes 10,000 typical changes from a fresh device as an old client
// does (gzip JSON) and as the current one does (dense JSON in zstd with the dictionary),
// interleaved in one run, then has a new device of the same soum pull them with each; it reports
// the wire bytes per change of each and the seconds of each sync.
func BenchmarkWireEncodings10k(b *testing.B) {
	srv := startServer(b)
	const n = 10_000
	sums := map[string]float64{}
	for i := 0; i < b.N; i++ {
		for k, gzipOnly := range []bool{i%2 == 0, i%2 != 0} { // each first in turn
			name := map[bool]string{true: "gzip", false: "dense"}[gzipOnly]
			unit := []string{"MN6225", "MN6207"}[(k+i)%2] // a soum per client, records alike
			set := func(c *syncclient.Client) { c.GzipOnly = gzipOnly }
			code := srv.Code("wire"+name+strconv.Itoa(i), unit, "inspector")
			res, err := firstsync.Run(context.Background(), firstsync.Options{Server: srv.URL, Code: code, Changes: n, Seed: uint64(i + 1), Client: set})
			if err != nil || res.Changes != n {
				b.Fatalf("%s push: %+v %v", name, res, err)
			}
			pullCode := srv.Code("wirepull"+name+strconv.Itoa(i), unit, "inspector")
			pr, err := firstsync.Run(context.Background(), firstsync.Options{Server: srv.URL, Code: pullCode, Pull: true, Client: set})
			if err != nil || pr.Changes < n {
				b.Fatalf("%s pull: %+v %v", name, pr, err)
			}
			sums[name+"_push_B/change"] += float64(res.RequestBytes) / n
			sums[name+"_push_s"] += res.Seconds
			sums[name+"_pull_B/record"] += float64(pr.AnswerBytes) / float64(pr.Changes)
			sums[name+"_pull_s"] += pr.Seconds
		}
	}
	for k, v := range sums {
		b.ReportMetric(v/float64(b.N), k)
	}
}
