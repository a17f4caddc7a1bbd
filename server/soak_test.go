package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"talbar/syncproto"
)

// soakDuration is how long TestHostileSoak runs: 20 s by default, TALBAR_SOAK (e.g. 60s) to
// change it.
func soakDuration(t *testing.T) time.Duration {
	if s := os.Getenv("TALBAR_SOAK"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("TALBAR_SOAK: %v", err)
		}
		return d
	}
	return 20 * time.Second
}

// TestHostileSoak: ten honest devices of two soums push and pull while a hostile device of the
// same soum sends the security review's inputs (deep and huge unknown fields, raw bytes, dates
// in 9999, forged writers, upper-cased re-sends of the others' changes, made-up cursors) and a
// stranger sends big unauthenticated bodies and guesses codes. Afterwards the national totals
// are exactly the honest devices' and the server's memory stayed bounded. The server runs in
// this process, so the resident size measured includes the test's own clients.
func TestHostileSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak")
	}
	dur := soakDuration(t)
	m := MustRunMain(t, tempDB(t))
	var honest []*client
	for i := 0; i < 10; i++ {
		honest = append(honest, enrollDevice(t, m, []string{"MN6501", "MN6504"}[i%2], "inspector"))
	}
	bad := enrollDevice(t, m, "MN6501", "inspector")

	runtime.GC()
	base := rssBytes(t)
	var peak atomic.Int64
	done := make(chan struct{})
	sampled := make(chan struct{})
	var wg sync.WaitGroup
	go func() {
		defer close(sampled)
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
				if r := rssBytes(t); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	}()
	deadline := time.Now().Add(dur)

	var events, reached atomic.Int64
	var honestErrs atomic.Int64
	for i, c := range honest {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			unit := []string{"MN6501", "MN6504"}[i%2]
			for time.Now().Before(deadline) {
				var batch []syncproto.Change
				var sum int64
				for j := 0; j < 20; j++ {
					n := rng.IntN(50)
					sum += int64(n)
					batch = append(batch, c.event(unit, "open_day", n, ""))
				}
				r, err := c.tryPush(batch...)
				if err != nil || len(r.Accepted) != len(batch) {
					honestErrs.Add(1)
					continue
				}
				events.Add(int64(len(batch)))
				reached.Add(sum)
				req, _ := http.NewRequest("GET", c.base+"/api/v1/pull?since=0&limit=500", nil)
				req.Header.Set("Authorization", "Bearer "+c.token)
				if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
					honestErrs.Add(1)
				} else {
					resp.Body.Close()
				}
			}
		}()
	}

	var hostileAccepted, hostileSent atomic.Int64
	wg.Add(1)
	go func() { // the hostile device
		defer wg.Done()
		blob, _ := json.Marshal(strings.Repeat("A", 6_815_744))
		rng := rand.New(rand.NewPCG(99, 1))
		for k := 0; time.Now().Before(deadline); k++ {
			var body []byte
			hdr := map[string]string{"Content-Type": "application/json"}
			switch k % 8 {
			case 0:
				c := bad.event("MN6501", "open_day", 1, "")
				c.Fields["x"] = json.RawMessage(nested(9998))
				body, _ = json.Marshal(syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: []syncproto.Change{c}})
			case 1:
				c := bad.event("MN6501", "open_day", 1, `,"blob":`+string(blob))
				b, _ := json.Marshal(syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: []syncproto.Change{c}})
				body, hdr["Content-Encoding"] = gz(b), "gzip"
			case 2:
				c := bad.event("MN6501", "open_day", 1, "")
				js, _ := json.Marshal(syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: []syncproto.Change{c}})
				body = bytes.Replace(js, []byte(`"open_day"`), []byte("\"open_day\",\"place\":\"\xff\xfe\""), 1)
			case 3:
				c := bad.event("MN6501", "open_day", 1, `,"notes":"a\u0000b"`)
				c2 := bad.event("MN6501", "open_day", 1, "")
				c2.Fields["date"] = json.RawMessage(`"9999-12-31"`)
				body, _ = json.Marshal(syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: []syncproto.Change{c, c2}})
			case 4: // the others' changes, pulled, re-sent upper-cased as if written by someone else
				var p syncproto.PullResponse
				bad.do("GET", fmt.Sprintf("/api/v1/pull?since=%d&limit=50", rng.IntN(100)), nil, &p)
				for i := range p.Changes {
					p.Changes[i].ID, p.Changes[i].RecordID = strings.ToUpper(p.Changes[i].ID), strings.ToUpper(p.Changes[i].RecordID)
					p.Changes[i].DeviceID = "~~~~"
				}
				body, _ = json.Marshal(syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: p.Changes})
			case 5:
				bad.raw("GET", "/api/v1/pull?since=999999999999", nil, nil)
				continue
			case 6:
				bigPost(m.Addr(), "/api/v1/enroll", 31<<20, "")
				continue
			case 7:
				st, _ := (&client{tb: t, base: bad.base}).raw("POST", "/api/v1/enroll",
					strings.NewReader(fmt.Sprintf(`{"code":"%04d-AAAA-BBBB"}`, k)), map[string]string{"Content-Type": "application/json"})
				_ = st
				continue
			}
			st, b := bad.raw("POST", "/api/v1/push", bytes.NewReader(body), hdr)
			hostileSent.Add(1)
			var r syncproto.PushResponse
			if st == 200 && json.Unmarshal(b, &r) == nil {
				hostileAccepted.Add(int64(len(r.Accepted)))
			}
		}
	}()
	wg.Wait()
	close(done)
	<-sampled

	if honestErrs.Load() > 0 {
		t.Errorf("%d honest pushes or pulls failed", honestErrs.Load())
	}
	if hostileAccepted.Load() != 0 {
		t.Errorf("%d hostile changes accepted", hostileAccepted.Load())
	}
	tot := honest[0].totals("MN", 2026)
	if got, want := int64(num(tot, "events.total")), events.Load(); got != want {
		t.Errorf("national events %d, honest devices pushed %d", got, want)
	}
	if got, want := int64(num(tot, "reached.total")), reached.Load(); got != want {
		t.Errorf("national reached %d, honest devices pushed %d", got, want)
	}
	t.Logf("soak %v: %d honest events (reached %d), %d hostile pushes; RSS %d MB before, peak %d MB",
		dur, events.Load(), reached.Load(), hostileSent.Load(), base>>20, peak.Load()>>20)
	if peak.Load() > 300<<20 {
		t.Errorf("peak RSS %d MB, want under 300 MB", peak.Load()>>20)
	}
}
