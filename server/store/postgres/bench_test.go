package postgres_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"talbar/server/api"
	"talbar/server/store"
	"talbar/server/store/pgtest"
	"talbar/server/store/postgres"
	"talbar/server/store/sqlite"
	"talbar/server/store/storetest"
	"talbar/syncproto"
)

// The benchmarks compare the two backends in one run: push-and-merge into a store already
// holding BENCH_EVENTS events (1,000,000 by default), built once through the push engine and
// kept between runs (SQLite: a file in the temporary folder; PostgreSQL: a durable cluster in the
// temporary folder, fsync on, the database used as a template for each run's copy).
//
//	go test -run '^$' -bench . -benchtime 10x ./server/store/postgres/

func benchEvents() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

var (
	benchMu      sync.Mutex
	benchCluster *pgtest.Cluster
)

// stopBench stops the benchmarks' kept cluster (TestMain).
func stopBench() {
	benchMu.Lock()
	defer benchMu.Unlock()
	if benchCluster != nil {
		benchCluster.Stop()
		benchCluster = nil
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// benchPostgres returns the URL of a fresh copy of the big PostgreSQL database.
func benchPostgres(b *testing.B) string {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if benchCluster == nil {
		c, err := pgtest.Start(pgtest.Options{Durable: true, Dir: filepath.Join(os.TempDir(), "talbar-bench-pg")})
		if err != nil {
			b.Fatalf("PostgreSQL cannot start: %v", err)
		}
		benchCluster = c
	}
	c := benchCluster
	ctx := context.Background()
	n := benchEvents()
	tmpl := fmt.Sprintf("bench_%d_v1", n)
	dbs, err := c.Databases(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if !slices.Contains(dbs, tmpl) {
		building := tmpl + "_building"
		c.Exec(`DROP DATABASE IF EXISTS ` + building)
		if err := c.Exec(`CREATE DATABASE ` + building); err != nil {
			b.Fatal(err)
		}
		db, err := postgres.Open(ctx, c.URL(building), postgres.Options{Units: storetest.Units(b), Logger: quiet()})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		storetest.Fill(b, db, n)
		db.Close()
		b.Logf("built %d events on PostgreSQL through Push in %s", n, time.Since(start).Round(time.Second))
		if err := c.Exec(`VACUUM ANALYZE`); err != nil {
			b.Log(err)
		}
		if err := c.Exec(`ALTER DATABASE ` + building + ` RENAME TO ` + tmpl); err != nil {
			b.Fatal(err)
		}
	}
	name := c.NewName("bench_run_")
	if err := c.Exec(`CREATE DATABASE ` + name + ` TEMPLATE ` + tmpl); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`) })
	return c.URL(name)
}

func openBenchPG(b *testing.B, url string) store.Store {
	db, err := postgres.Open(context.Background(), url, postgres.Options{Units: storetest.Units(b), Logger: quiet(), MaxConns: 24})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// benchSQLite returns a copy of the big SQLite store, built once (the cache the SQLite
// package's own benchmarks use has another layout of officers, so this one has its own name).
func benchSQLite(b *testing.B) store.Store {
	b.Helper()
	ctx := context.Background()
	n := benchEvents()
	cache := filepath.Join(os.TempDir(), fmt.Sprintf("talbar-bench-pgcmp-%d.db", n))
	open := func(path string) *sqlite.DB {
		db, err := sqlite.Open(ctx, path, sqlite.Options{Units: storetest.Units(b), Logger: quiet()})
		if err != nil {
			b.Fatal(err)
		}
		return db
	}
	if _, err := os.Stat(cache); err != nil {
		tmp := cache + ".building"
		os.Remove(tmp)
		db := open(tmp)
		start := time.Now()
		storetest.Fill(b, db, n)
		db.Close()
		b.Logf("built %d events on SQLite through Push in %s", n, time.Since(start).Round(time.Second))
		os.Remove(tmp + ".highwater")
		if err := os.Rename(tmp, cache); err != nil {
			b.Fatal(err)
		}
	}
	dst := filepath.Join(b.TempDir(), "big.db")
	if err := copyFile(cache, dst); err != nil {
		b.Fatal(err)
	}
	db := open(dst)
	b.Cleanup(func() { db.Close() })
	return db
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// BenchmarkPush: push-and-merge of new events in batches of 500 and 5,000, one device at a time,
// SQLite beside PostgreSQL.
func BenchmarkPush(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			var s store.Store
			if backend == "sqlite" {
				s = benchSQLite(b)
			} else {
				s = openBenchPG(b, benchPostgres(b))
			}
			devs := storetest.Officers(b, s)
			r := rand.New(rand.NewSource(2))
			for _, size := range []int{500, 5000} {
				b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
					batches := make([][]syncproto.Change, b.N)
					who := make([]storetest.BenchDevice, b.N)
					for i := range batches {
						who[i] = devs[r.Intn(len(devs))]
						batches[i] = storetest.Creates(r, who[i], size)
					}
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						resp, err := storetest.Push(context.Background(), s, who[i].P, syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: batches[i]})
						if err != nil || len(resp.Accepted) != size {
							b.Fatalf("%v accepted=%d", err, len(resp.Accepted))
						}
					}
					b.ReportMetric(float64(size*b.N)/b.Elapsed().Seconds(), "changes/s")
				})
			}
		})
	}
}

// BenchmarkConcurrentPush: 1, 4 and 16 devices pushing batches of 500 at once, through one store
// or through two stores on one database (two connection pools, as two server processes have;
// PostgreSQL only, since SQLite has one writer per file).
func BenchmarkConcurrentPush(b *testing.B) {
	for _, c := range []struct {
		backend string
		stores  int
	}{{"sqlite", 1}, {"postgres", 1}, {"postgres", 2}} {
		b.Run(fmt.Sprintf("%s/stores=%d", c.backend, c.stores), func(b *testing.B) {
			var stores []store.Store
			if c.backend == "sqlite" {
				stores = []store.Store{benchSQLite(b)}
			} else {
				url := benchPostgres(b)
				for range c.stores {
					stores = append(stores, openBenchPG(b, url))
				}
			}
			devs := storetest.Officers(b, stores[0])
			for _, devices := range []int{1, 4, 16} {
				b.Run(fmt.Sprintf("devices=%d", devices), func(b *testing.B) {
					r := rand.New(rand.NewSource(int64(devices)))
					batches := make([][][]syncproto.Change, devices)
					for d := range batches {
						for range b.N {
							batches[d] = append(batches[d], storetest.Creates(r, devs[d%len(devs)], 500))
						}
					}
					b.ResetTimer()
					var wg sync.WaitGroup
					errs := make(chan error, devices)
					for d := 0; d < devices; d++ {
						wg.Add(1)
						go func(d int) {
							defer wg.Done()
							for i, cs := range batches[d] {
								s := stores[(d+i)%len(stores)]
								resp, err := storetest.Push(context.Background(), s, devs[d%len(devs)].P, syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: cs})
								if err != nil || len(resp.Accepted) != len(cs) {
									errs <- fmt.Errorf("device %d: %v accepted=%d", d, err, len(resp.Accepted))
									return
								}
							}
						}(d)
					}
					wg.Wait()
					close(errs)
					for err := range errs {
						b.Fatal(err)
					}
					b.ReportMetric(float64(devices*500*b.N)/b.Elapsed().Seconds(), "changes/s")
				})
			}
		})
	}
}

// BenchmarkReports: national totals and KPIs on the big PostgreSQL store (goal < 5 ms).
func BenchmarkReports(b *testing.B) {
	s := openBenchPG(b, benchPostgres(b))
	ctx := context.Background()
	b.Run("totals/nation", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.Totals(ctx, "MN", 2026, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("kpis/nation", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := api.MeasureKPIs(ctx, s, "MN", 2026); err != nil {
				b.Fatal(err)
			}
		}
	})
	v, _ := s.Totals(ctx, "MN", 2026, 0)
	if got, want := v.Get("events"), int64(benchEvents()); got < want {
		b.Fatalf("national events=%d, want at least %d", got, want)
	}
}
