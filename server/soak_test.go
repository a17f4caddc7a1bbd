package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// soakServer is a real talbar-server process on its own SQLite file.
type soakServer struct {
	cmd  *exec.Cmd
	addr string
	bin  string
	db   string
}

func (s *soakServer) Addr() string { return s.addr }

// enroll adds an inspector of unit with the admin command and enrolls a device over HTTP.
func (s *soakServer) enroll(t *testing.T, unit string) *client {
	t.Helper()
	out, err := exec.Command(s.bin, "inspector", "add", "--db", s.db, "--name", "Дорж", "--unit", unit, "--role", "inspector").Output()
	if err != nil {
		t.Fatalf("inspector add: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	c := &client{tb: t, base: "http://" + s.addr, clock: &hlc.Clock{}}
	var er syncproto.EnrollResponse
	if st := c.do("POST", "/api/v1/enroll", syncproto.EnrollRequest{Code: lines[len(lines)-1]}, &er); st != 201 {
		t.Fatalf("enroll %d", st)
	}
	c.token, c.device = er.Token, er.DeviceID
	return c
}

// startSoakServer builds the server without -race and starts it on a fresh database.
func startSoakServer(t *testing.T, devices int) *soakServer {
	t.Helper()
	dir := t.TempDir()
	s := &soakServer{bin: filepath.Join(dir, "talbar-server"), db: filepath.Join(dir, "talbar.db"), addr: freePort(t)}
	if out, err := exec.Command("go", "build", "-o", s.bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	s.cmd = exec.Command(s.bin, "serve", "--addr", s.addr, "--db", s.db, "--log-level", "error")
	s.cmd.Stderr = os.Stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
	waitHealthy(t, "http://"+s.addr)
	return s
}

// procStatus reads one size line (VmRSS:, VmHWM:) of a process's /proc status, in bytes.
func procStatus(tb testing.TB, pid int, key string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatalf("read /proc status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == key {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n << 10
		}
	}
	tb.Fatalf("no %s in /proc status", key)
	return 0
}

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
// are exactly the honest devices' and the server's memory stayed bounded. The server is the
// real binary in a process of its own, built as it ships (without -race), so the resident size
// measured (VmRSS sampled, VmHWM at the end) is the server's alone.
func TestHostileSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak")
	}
	dur := soakDuration(t)
	srv := startSoakServer(t, 11)
	var honest []*client
	for i := 0; i < 10; i++ {
		honest = append(honest, srv.enroll(t, []string{"MN6501", "MN6504"}[i%2]))
	}
	bad := srv.enroll(t, "MN6501")
	m := srv // for m.Addr() below
	rssBytes := func(tb testing.TB) int64 { return procStatus(tb, srv.cmd.Process.Pid, "VmRSS:") }

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
	if hwm := procStatus(t, srv.cmd.Process.Pid, "VmHWM:"); hwm > peak.Load() {
		peak.Store(hwm) // the kernel's own peak, between samples too
	}
	t.Logf("soak %v: %d honest events (reached %d), %d hostile pushes; server RSS %d MB before, peak %d MB",
		dur, events.Load(), reached.Load(), hostileSent.Load(), base>>20, peak.Load()>>20)
	if peak.Load() > 300<<20 {
		t.Errorf("peak RSS %d MB, want under 300 MB", peak.Load()>>20)
	}
}
