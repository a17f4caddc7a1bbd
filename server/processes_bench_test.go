package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"talbar/server/store"
	"talbar/server/store/pgtest"
	"talbar/server/store/postgres"
	"talbar/server/store/sqlite"
	"talbar/server/store/storetest"
	"talbar/shared/unit"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// processBenchEvents is how many events each store holds before the devices push: modest, so
// that the whole comparison runs in minutes (BENCH_EVENTS overrides it).
func processBenchEvents() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 50_000
}

// BenchmarkServerProcesses is the load tool for stateless servers (issue 12): real
// `talbar-server serve` processes — one on a SQLite file, one and then two on one PostgreSQL,
// and one with as many connections as two hold — each store first filled with typical events
// through the push engine, then 1, 4 and 16 officer devices (each in its own aimag, enrolled over
// HTTP and spread over the processes in turn) push gzip batches of 500 new events at once over
// HTTP. Bodies are built before the clock starts. It reports committed changes per second over
// all devices. All servers run from the start, and the cases run in rounds (BENCH_ROUNDS, 3 by
// default), every configuration once per round, so that a load that changes during the run on a
// shared machine weighs on every configuration alike.
//
//	go test -run '^$' -bench ServerProcesses -benchtime 3x -timeout 30m ./server
func BenchmarkServerProcesses(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "talbar-server")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	// A durable cluster of its own (fsync and synchronous_commit on), as SQLite runs with
	// synchronous=FULL: both backends pay for the commit an accepted change promises.
	cluster, err := pgtest.Start(pgtest.Options{Durable: true})
	if err != nil {
		b.Fatal(err)
	}
	defer cluster.Stop()
	rounds := 3
	if n, err := strconv.Atoi(os.Getenv("BENCH_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	// The last configuration gives one process as many connections as two processes have
	// between them (pgx's default pool is 4), to tell what a second process adds beyond them.
	var sets []*processSet
	for _, cfg := range []processConfig{{"sqlite", 1, 0}, {"postgres", 1, 0}, {"postgres", 2, 0}, {"postgres", 1, 8}} {
		sets = append(sets, startProcessSet(b, bin, cluster, cfg))
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: maxBenchDevices}}
	defer hc.CloseIdleConnections()
	for round := 1; round <= rounds; round++ {
		for _, n := range []int{1, 4, maxBenchDevices} {
			for _, set := range sets {
				b.Run(fmt.Sprintf("round=%d/devices=%d/%s", round, n, set.name), func(b *testing.B) { set.push(b, hc, n) })
			}
		}
	}
}

const maxBenchDevices = 16

type processConfig struct {
	backend   string
	processes int
	pool      int // PostgreSQL connections per process; 0 for pgx's default
}

// processSet is one configuration's running servers and its enrolled devices.
type processSet struct {
	name    string
	clients []*client
	devs    []storetest.BenchDevice
	r       *rand.Rand
}

// startProcessSet makes and fills a store, creates one officer per aimag, starts the servers on
// it and enrolls the officers' devices over HTTP, device i on server i mod processes.
func startProcessSet(b *testing.B, bin string, cluster *pgtest.Cluster, cfg processConfig) *processSet {
	b.Helper()
	units, err := Units()
	if err != nil {
		b.Fatal(err)
	}
	set := &processSet{name: fmt.Sprintf("%s/processes=%d", cfg.backend, cfg.processes), r: rand.New(rand.NewSource(int64(cfg.processes)))}
	if cfg.pool > 0 {
		set.name += fmt.Sprintf("/pool=%d", cfg.pool)
	}
	ctx := context.Background()
	var (
		s    store.Store
		args []string
	)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if cfg.backend == "sqlite" {
		path := filepath.Join(b.TempDir(), "talbar.db")
		db, err := sqlite.Open(ctx, path, sqlite.Options{Units: units, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		s, args = db, []string{"--db", path}
	} else {
		name := cluster.NewName("procbench")
		if err := cluster.Exec("CREATE DATABASE " + name); err != nil {
			b.Fatal(err)
		}
		url := cluster.URL(name)
		db, err := postgres.Open(ctx, url, postgres.Options{Units: units, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		if cfg.pool > 0 {
			url += fmt.Sprintf("&pool_max_conns=%d", cfg.pool)
		}
		s, args = db, []string{"--database-url", url}
	}
	storetest.Fill(b, s, processBenchEvents())
	// One officer per aimag (and the capital): the devices share only the nation's totals rows.
	var codes []string
	for _, div := range units.Children(unit.Nation)[:maxBenchDevices] {
		in, err := s.CreateInspector(ctx, "bench "+string(div), string(div), syncproto.RoleOfficer)
		if err != nil {
			b.Fatal(err)
		}
		code, err := s.IssueCode(ctx, in.ID, time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		codes = append(codes, code)
		d := storetest.BenchDevice{Clock: &hlc.Clock{}}
		for _, l := range units.Leaves(div) {
			d.Soums = append(d.Soums, string(l))
		}
		set.devs = append(set.devs, d)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	var bases []string
	for i := 0; i < cfg.processes; i++ {
		bases = append(bases, startServer(b, bin, args))
	}
	for i, code := range codes {
		c := &client{tb: b, base: bases[i%len(bases)], clock: set.devs[i].Clock}
		var er syncproto.EnrollResponse
		if st := c.do("POST", "/api/v1/enroll", syncproto.EnrollRequest{Code: code, DeviceName: "bench", Platform: "linux"}, &er); st != 201 {
			b.Fatalf("enroll status %d", st)
		}
		c.token, c.device = er.Token, er.DeviceID
		set.clients = append(set.clients, c)
	}
	return set
}

// push has the set's first n devices push b.N batches of 500 new events each, all at once.
func (set *processSet) push(b *testing.B, hc *http.Client, n int) {
	bodies := make([][][]byte, n)
	for d := range bodies {
		for i := 0; i < b.N; i++ {
			body, err := syncproto.Gzip(syncproto.PushRequest{Protocol: syncproto.Protocol, DeviceID: set.clients[d].device,
				DeviceTime: time.Now().UTC().Format(time.RFC3339), Changes: storetest.Creates(set.r, set.devs[d], 500)})
			if err != nil {
				b.Fatal(err)
			}
			bodies[d] = append(bodies[d], body)
		}
	}
	b.ResetTimer()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for d := 0; d < n; d++ {
		wg.Add(1)
		go func(c *client, bodies [][]byte) {
			defer wg.Done()
			for _, body := range bodies {
				if err := pushBody(hc, c, body, 500); err != nil {
					errs <- err
					return
				}
			}
		}(set.clients[d], bodies[d])
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n*500*b.N)/b.Elapsed().Seconds(), "changes/s")
}

// startServer starts one `serve` process on a free loopback port and stops it when b ends; the
// process dies with the benchmark binary, so an interrupted run leaves no server behind.
func startServer(b *testing.B, bin string, args []string) string {
	b.Helper()
	addr := freePort(b)
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr, "--log-level", "warn"}, args...)...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	waitHealthy(b, "http://"+addr)
	return "http://" + addr
}

// pushBody sends one gzip push body and checks that all its changes were accepted.
func pushBody(hc *http.Client, c *client, body []byte, want int) error {
	req, err := http.NewRequest("POST", c.base+"/api/v1/push", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var pr syncproto.PushResponse
	err = json.NewDecoder(resp.Body).Decode(&pr)
	if err != nil || resp.StatusCode != 200 || len(pr.Accepted) != want {
		return fmt.Errorf("push to %s: status %d, accepted %d of %d, rejected %+v: %v", c.base, resp.StatusCode, len(pr.Accepted), want, pr.Rejected, err)
	}
	return nil
}
