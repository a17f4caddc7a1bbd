package integration_test

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/dict"
	"github.com/klauspost/compress/zstd"

	"talbar/fieldapp/localstore"
	"talbar/fieldapp/sim"
	"talbar/shared/record"
	"talbar/syncproto"
)

// saveTypical saves n events with a survey each.
func saveTypical(d *device, rng *rand.Rand, n int) {
	for i := 0; i < n; i++ {
		date := time.Date(year, time.Month(1+rng.IntN(11)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
		id := d.save(localstore.Draft{Entity: record.EntityEvent, Fields: sim.Event(rng, record.KindHerderMeeting, soumA, date)})
		d.save(localstore.Draft{Entity: record.EntitySurvey, Fields: sim.Survey(rng, record.KindHerderMeeting, soumA, date, id)})
	}
}

// encodings counts the pushes that reached the proxy by their Content-Encoding.
func encodings(px *proxy) *[2]atomic.Int64 {
	var n [2]atomic.Int64 // gzip, zstd
	px.Rewrite = func(r *http.Request, body []byte) []byte {
		if strings.HasSuffix(r.URL.Path, "/push") {
			switch r.Header.Get("Content-Encoding") {
			case "gzip":
				n[0].Add(1)
			case "zstd":
				n[1].Add(1)
			}
		}
		return body
	}
	return &n
}

// TestZstdOldClientStillSyncs: a client that sends gzip JSON (as every client before zstd did)
// and one that sends dense zstd share a server; each gets the other's records.
func TestZstdOldClientStillSyncs(t *testing.T) {
	srv := startServer(t)
	px := newProxy(t, srv.URL)
	n := encodings(px)
	rng := rand.New(rand.NewPCG(13, 1))
	old := newDevice(t, "old", px.URL(), srv.Code("old", soumA, "inspector"), nil)
	old.C.GzipOnly = true
	cur := newDevice(t, "new", px.URL(), srv.Code("new", soumA, "inspector"), nil)
	saveTypical(old, rng, 30)
	saveTypical(cur, rng, 30)
	if r := old.sync(); r.Pushed != 60 {
		t.Fatalf("old client pushed %d", r.Pushed)
	}
	if r := cur.sync(); r.Pushed != 60 || r.Pulled != 60 {
		t.Fatalf("new client pushed %d pulled %d", r.Pushed, r.Pulled)
	}
	if r := old.sync(); r.Pulled != 60 {
		t.Fatalf("old client pulled %d", r.Pulled)
	}
	if a, b := old.records(), cur.records(); len(a) != 120 || len(b) != 120 {
		t.Fatalf("records: old %d new %d", len(a), len(b))
	} else {
		for id, v := range a {
			if b[id] != v {
				t.Fatalf("record %s differs:\n%s\n%s", id, v, b[id])
			}
		}
	}
	if n[0].Load() == 0 || n[1].Load() == 0 {
		t.Fatalf("pushes: %d gzip, %d zstd; want both", n[0].Load(), n[1].Load())
	}
}

// TestZstdFallsBackToGzip: a server that refuses zstd (one that predates it: 415
// unsupported_encoding) or the device's dictionary (415 unknown_dictionary, from the real server,
// the body compressed by the proxy with a dictionary of another id) gets the same batch again as
// gzip JSON, and every push after it too.
func TestZstdFallsBackToGzip(t *testing.T) {
	var samples [][]byte
	for i := 0; i < 200; i++ {
		samples = append(samples, []byte(`{"n":1,"ids":"`+strings.Repeat("q", i%17)+`","kinds":["event upsert"]}`))
	}
	other, err := dict.BuildZstdDict(samples, dict.Options{MaxDictSize: 4 << 10, HashBytes: 6, ZstdDictID: 77})
	if err != nil {
		t.Fatal(err)
	}
	enc77, _ := zstd.NewWriter(nil, zstd.WithEncoderDict(other))
	for _, tc := range []struct {
		name string
		old  bool // answer zstd with 415 as a server that predates it
		redo bool // compress the body again with dictionary 77
	}{{"old server", true, false}, {"unknown dictionary", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t)
			px := newProxy(t, srv.URL)
			var refused, gz atomic.Int64
			px.Rewrite = func(r *http.Request, body []byte) []byte {
				if !strings.HasSuffix(r.URL.Path, "/push") {
					return body
				}
				if r.Header.Get("Content-Encoding") == "gzip" {
					gz.Add(1)
					return body
				}
				if !tc.redo {
					return body
				}
				plain, err := syncproto.ReadBody(bytes.NewReader(body), "zstd", syncproto.MaxBodyBytes)
				if err != nil {
					t.Errorf("proxy: %v", err)
				}
				return enc77.EncodeAll(plain, nil)
			}
			px.setFault(func(r *http.Request, _ int) fault {
				if strings.HasSuffix(r.URL.Path, "/push") && r.Header.Get("Content-Encoding") == "zstd" {
					refused.Add(1)
					if tc.old {
						return fault{Status: http.StatusUnsupportedMediaType}
					}
				}
				return fault{}
			})
			d := newDevice(t, "d", px.URL(), srv.Code("d", soumA, "inspector"), nil)
			d.C.BatchSize = 10
			saveTypical(d, rand.New(rand.NewPCG(13, 2)), 25)
			if r := d.sync(); r.Pushed != 50 {
				t.Fatalf("pushed %d", r.Pushed)
			}
			if p, rj := d.counts(); p != 0 || rj != 0 {
				t.Fatalf("pending %d rejected %d", p, rj)
			}
			// One zstd push was refused (two at most: the pipelined one after it); the rest went gzip.
			if refused.Load() < 1 || refused.Load() > 2 || gz.Load() < 5 {
				t.Fatalf("refused %d zstd pushes, sent %d gzip", refused.Load(), gz.Load())
			}
		})
	}
}
