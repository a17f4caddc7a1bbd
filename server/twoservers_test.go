package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"talbar/server/store/pgtest"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestTwoServersOnePostgres: two server processes on one PostgreSQL, devices pushing and pulling
// through both in turn, one server killed with -9 mid-stream. A push that failed on the killed
// server is sent again to the other, as a device would; every change ends accepted once (or a
// duplicate of an accepted one), the puller misses none, both servers answer one epoch and one
// increasing clock, and the totals equal the number of events.
func TestTwoServersOnePostgres(t *testing.T) {
	url := pgtest.DB(t)
	bin := filepath.Join(t.TempDir(), "talbar-server")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addInspector := func(unit, role string) string {
		out, err := exec.Command(bin, "inspector", "add", "--database-url", url, "--name", "Дорж", "--unit", unit, "--role", role).Output()
		if err != nil {
			t.Fatalf("inspector add: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return lines[len(lines)-1]
	}
	start := func() (*exec.Cmd, string) {
		port := freePort(t)
		cmd := exec.Command(bin, "serve", "--addr", port, "--database-url", url, "--log-level", "warn")
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		waitHealthy(t, "http://"+port)
		return cmd, "http://" + port
	}
	cmdA, a := start()
	_, b := start()
	bases := []string{a, b}
	var killed atomic.Bool
	baseFor := func(i int) string {
		if killed.Load() {
			return b
		}
		return bases[i%2]
	}
	enroll := func(code string, i int) *client {
		c := &client{tb: t, base: baseFor(i), clock: &hlc.Clock{}}
		var er syncproto.EnrollResponse
		if st := c.do("POST", "/api/v1/enroll", syncproto.EnrollRequest{Code: code}, &er); st != 201 {
			t.Fatalf("enroll %d", st)
		}
		c.token, c.device = er.Token, er.DeviceID
		return c
	}
	// Device 0's batch killAt is large and goes to A, which is killed 30 ms into it: mid-push.
	const pushers, batches, perBatch, killAt, bigBatch = 3, 16, 25, 5, 3000
	var devs []*client
	for i := 0; i < pushers; i++ {
		devs = append(devs, enroll(addInspector("MN6501", "inspector"), i))
	}
	puller := enroll(addInspector("MN-073", "officer"), 1)

	var (
		mu       sync.Mutex
		sent     = map[string]bool{}
		epochs   = map[string]bool{}
		retried  atomic.Int32
		wg       sync.WaitGroup
		failures = make(chan error, pushers)
	)
	for i, d := range devs {
		var all [][]syncproto.Change
		for n := 0; n < batches; n++ {
			var cs []syncproto.Change
			size := perBatch
			if i == 0 && n == killAt {
				size = bigBatch
			}
			for j := 0; j < size; j++ {
				cs = append(cs, d.event("MN6501", "open_day", 1+j%5, ""))
			}
			all = append(all, cs)
		}
		wg.Add(1)
		go func(i int, d *client, all [][]syncproto.Change) {
			defer wg.Done()
			for n, cs := range all {
				var lastHLC string
				for attempt := 0; ; attempt++ {
					dc := *d
					dc.base = baseFor(i + n + attempt)
					if i == 0 && n == killAt && attempt == 0 {
						dc.base = a
						time.AfterFunc(30*time.Millisecond, func() {
							killed.Store(true)
							cmdA.Process.Kill() // SIGKILL: no shutdown, the push in flight
						})
					}
					r, err := dc.tryPush(cs...)
					if err != nil {
						if attempt > 20 {
							failures <- fmt.Errorf("device %d batch %d: %v", i, n, err)
							return
						}
						retried.Add(1)
						time.Sleep(50 * time.Millisecond)
						continue
					}
					if len(r.Accepted)+len(r.Duplicates) != len(cs) {
						failures <- fmt.Errorf("device %d batch %d: %d accepted, %d duplicates of %d; rejected %+v",
							i, n, len(r.Accepted), len(r.Duplicates), len(cs), r.Rejected)
						return
					}
					if r.ServerHLC <= lastHLC {
						failures <- fmt.Errorf("server clock went back: %s after %s", r.ServerHLC, lastHLC)
						return
					}
					lastHLC = r.ServerHLC
					mu.Lock()
					for _, c := range cs {
						sent[c.ID] = true
					}
					epochs[r.ServerEpoch] = true
					mu.Unlock()
					break
				}
			}
		}(i, d, all)
	}
	pushed := make(chan struct{})
	go func() { wg.Wait(); close(pushed) }()

	seen := map[string]int{}
	cursor := "0"
	pulls := 0
	pull := func() bool {
		pulls++
		var resp syncproto.PullResponse
		for attempt := 0; ; attempt++ {
			req, _ := http.NewRequest("GET", baseFor(pulls+attempt)+"/api/v1/pull?limit=29&since="+cursor, nil)
			req.Header.Set("Authorization", "Bearer "+puller.token)
			hr, err := http.DefaultClient.Do(req)
			if err != nil && attempt < 20 { // a pull in flight to A when it died: ask B
				time.Sleep(20 * time.Millisecond)
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			err = json.NewDecoder(hr.Body).Decode(&resp)
			hr.Body.Close()
			if hr.StatusCode != 200 || err != nil {
				t.Fatalf("pull status %d: %v", hr.StatusCode, err)
			}
			break
		}
		for _, c := range resp.Changes {
			seen[c.ID]++
		}
		mu.Lock()
		epochs[resp.ServerEpoch] = true
		mu.Unlock()
		cursor = resp.Cursor
		return resp.More
	}
	// Pulls go to both servers in turn, then only to B once A is dead.
	for done := false; !done; {
		select {
		case <-pushed:
			done = true
		default:
			pull()
		}
	}
	close(failures)
	for err := range failures {
		t.Fatal(err)
	}
	for pull() {
	}
	want := pushers*batches*perBatch - perBatch + bigBatch
	if retried.Load() == 0 {
		t.Fatal("no push was in flight when A was killed")
	}
	if len(sent) != want {
		t.Fatalf("%d changes delivered, want %d", len(sent), want)
	}
	for id := range sent {
		if seen[id] != 1 {
			t.Fatalf("change %s pulled %d times", id, seen[id])
		}
	}
	if len(epochs) != 1 {
		t.Fatalf("the servers answered %d epochs: %v", len(epochs), epochs)
	}
	c := *puller
	c.base = b
	tot := c.totals("MN6501", 2026)
	if got := num(tot, "events.total"); got != float64(want) {
		t.Fatalf("totals: %v events, want %d", got, want)
	}
	t.Logf("%d changes through two servers, %d pushes sent again after the kill, %d pulls", want, retried.Load(), pulls)
}
