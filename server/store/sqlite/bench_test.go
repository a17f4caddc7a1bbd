package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"talbar/server/api"
	"talbar/server/store"
	"talbar/server/store/sqlite"
	"talbar/server/store/storetest"
	"talbar/shared/record"
	"talbar/shared/tally"
	"talbar/shared/unit"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// benchEvents is the size of the store the benchmarks run against (BENCH_EVENTS overrides it).
func benchEvents() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// eventFields is a typical event of the catalogue.
func eventFields(r *rand.Rand, soum string) map[string]json.RawMessage {
	kinds := []string{"open_day", "market_day", "herder_meeting"}
	// Dates up to November: the server refuses a date after its tomorrow (too_late).
	f := map[string]any{
		"kind": kinds[r.Intn(3)], "date": fmt.Sprintf("2026-%02d-%02d", 1+r.Intn(11), 1+r.Intn(28)), "unit": soum,
		"place": "Сумын төв", "occasion": "livestock_census", "partners": []string{"governor", "bank"},
		// Counts as a protocol-2 device sends them: one field per count it holds.
		"reached.herders": r.Intn(60), "reached.self_employed": r.Intn(10), "reached.near_pension": r.Intn(5),
		"materials.handbook": r.Intn(40), "materials.brochure": r.Intn(40),
		"consultations": r.Intn(20), "contracts_signed": r.Intn(5), "contributions_mnt": r.Intn(20) * 50000,
	}
	out := map[string]json.RawMessage{}
	for k, v := range f {
		out[k], _ = json.Marshal(v)
	}
	return out
}

// fullEventFields is an event of the given kind carrying every field the totals count: all
// target groups, both sexes, every age band, every material, topic and channel, the SMS and
// broadcast figures. A batch cycling through record.EventKinds moves all 83 totals columns.
func fullEventFields(r *rand.Rand, soum, kind string) map[string]json.RawMessage {
	f := map[string]any{
		"kind": kind, "date": fmt.Sprintf("2026-%02d-%02d", 1+r.Intn(11), 1+r.Intn(28)), "unit": soum,
		"place": "Сумын төв", "occasion": "livestock_census", "partners": []string{"governor", "bank"},
		"reached_total": 1000, "consultations": r.Intn(20), "contracts_signed": r.Intn(5), "contributions_mnt": r.Intn(20) * 50000,
		"messages_sent": 1000, "sms_purpose": record.Codes(record.SMSPurposes)[r.Intn(len(record.SMSPurposes))],
		"broadcasts": 1 + r.Intn(4), "broadcast_minutes": 10 + r.Intn(100), "entries": r.Intn(50),
		"topics": record.Codes(record.Topics), "channels": record.Codes(record.Channels),
	}
	if kind == record.KindOther {
		f["kind_other"] = "Сургалт"
	}
	for _, counts := range []string{"reached", "reached_sex", "reached_age", "materials", "messages"} {
		for _, code := range record.CountsCodes(counts) {
			f[record.Leaf(counts, code)] = 1 + r.Intn(50)
		}
	}
	out := map[string]json.RawMessage{}
	for k, v := range f {
		out[k], _ = json.Marshal(v)
	}
	return out
}

// surveyFields is one survey answer (the totals' five survey columns).
func surveyFields(r *rand.Rand, soum string) map[string]json.RawMessage {
	pick := func(l []record.Label) string { return record.Codes(l)[r.Intn(len(l))] }
	f := map[string]any{"date": fmt.Sprintf("2026-%02d-%02d", 1+r.Intn(11), 1+r.Intn(28)), "unit": soum,
		"target_group": pick(record.TargetGroups), "age_band": pick(record.AgeBands), "insurance_status": pick(record.InsuranceStatuses),
		"info_access": pick(record.InfoAccess), "satisfaction": 1 + r.Intn(5)}
	out := map[string]json.RawMessage{}
	for k, v := range f {
		out[k], _ = json.Marshal(v)
	}
	return out
}

// fullCreates is n new records, events cycling through every kind with fullEventFields and every
// thirteenth a survey answer: together they move all 83 totals columns.
func fullCreates(r *rand.Rand, d benchDevice, n int) []syncproto.Change {
	kinds := record.Codes(record.EventKinds)
	cs := make([]syncproto.Change, n)
	for i := range cs {
		soum := d.soums[r.Intn(len(d.soums))]
		entity, fields := "event", map[string]json.RawMessage(nil)
		if k := i % (len(kinds) + 1); k == len(kinds) {
			entity, fields = "survey", surveyFields(r, soum)
		} else {
			fields = fullEventFields(r, soum, kinds[k])
		}
		cs[i] = syncproto.Change{ID: uuid.Must(uuid.NewV7()).String(), RecordID: uuid.Must(uuid.NewV7()).String(),
			Entity: entity, Op: "upsert", HLC: d.clock.Next().String(), Fields: fields}
	}
	return cs
}

type benchDevice struct {
	p     store.Principal
	soums []string
	clock *hlc.Clock
}

// officers enrolls one officer device per aimag and the capital, so pushes can cover every soum.
func officers(tb testing.TB, db *sqlite.DB, tree *unit.Tree) []benchDevice {
	var out []benchDevice
	for _, u := range tree.All() {
		if u.Level != unit.LevelAimag && u.Level != unit.LevelCapital {
			continue
		}
		ps := principals(tb, db, [][2]string{{string(u.Code), "officer"}})
		d := benchDevice{p: ps[0], clock: &hlc.Clock{}}
		for _, l := range tree.Leaves(u.Code) {
			d.soums = append(d.soums, string(l))
		}
		out = append(out, d)
	}
	return out
}

func creates(r *rand.Rand, d benchDevice, n int) []syncproto.Change {
	cs := make([]syncproto.Change, n)
	for i := range cs {
		cs[i] = syncproto.Change{ID: uuid.Must(uuid.NewV7()).String(), RecordID: uuid.Must(uuid.NewV7()).String(),
			Entity: "event", Op: "upsert", HLC: d.clock.Next().String(), Fields: eventFields(r, d.soums[r.Intn(len(d.soums))])}
	}
	return cs
}

// bigStore returns a copy of a store holding benchEvents() events, built once through Push and
// kept in the temp folder between runs.
func bigStore(b *testing.B) (*sqlite.DB, []benchDevice) {
	b.Helper()
	n := benchEvents()
	// v3: the counts are leaves (protocol 2), so a store built before is not reused.
	cache := filepath.Join(os.TempDir(), fmt.Sprintf("talbar-bench-%d-v3.db", n))
	ctx := context.Background()
	tree := units(b)
	open := func(path string) *sqlite.DB {
		db, err := sqlite.Open(ctx, path, sqlite.Options{Units: tree, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Synchronous: os.Getenv("BENCH_SYNC")})
		if err != nil {
			b.Fatal(err)
		}
		return db
	}
	if _, err := os.Stat(cache); err != nil {
		tmp := cache + ".building"
		os.Remove(tmp)
		db := open(tmp)
		devs := officers(b, db, tree)
		r := rand.New(rand.NewSource(1))
		start := time.Now()
		for done := 0; done < n; done += 5000 {
			d := devs[r.Intn(len(devs))]
			resp, err := storetest.Push(ctx, db, d.p, syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: creates(r, d, min(5000, n-done))})
			if err != nil || len(resp.Rejected) > 0 {
				b.Fatalf("build: %v %+v", err, resp.Rejected)
			}
		}
		b.Logf("built %d events through Push in %s", n, time.Since(start).Round(time.Second))
		if _, err := dbExec(tmp, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			b.Fatal(err)
		}
		db.Close()
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
	return db, officers(b, db, tree)
}

func dbExec(path, q string) (sql.Result, error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.Exec(q)
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

// BenchmarkPush measures push-and-merge throughput into a store already holding 1,000,000
// events, beside a plain bulk insert of the same rows into SQLite (the physical limit).
func BenchmarkPush(b *testing.B) {
	db, devs := bigStore(b)
	ctx := context.Background()
	r := rand.New(rand.NewSource(2))
	for _, size := range []int{500, 5000} {
		b.Run(fmt.Sprintf("merge/batch=%d", size), func(b *testing.B) {
			batches := make([][]syncproto.Change, b.N)
			who := make([]benchDevice, b.N)
			for i := range batches {
				who[i] = devs[r.Intn(len(devs))]
				batches[i] = creates(r, who[i], size)
			}
			cpu0 := processCPU()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				resp, err := storetest.Push(ctx, db, who[i].p, syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: batches[i]})
				if err != nil || len(resp.Accepted) != size {
					b.Fatalf("%v accepted=%d", err, len(resp.Accepted))
				}
			}
			b.ReportMetric(float64(size*b.N)/b.Elapsed().Seconds(), "changes/s")
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(size*b.N), "cpu_us/change")
		})
		if size == 500 {
			// Events of every kind carrying every counted field, and survey answers: all 83 totals
			// columns (issue 14), the heaviest creates a device sends.
			b.Run(fmt.Sprintf("merge83/batch=%d", size), func(b *testing.B) {
				batches := make([][]syncproto.Change, b.N)
				who := make([]benchDevice, b.N)
				for i := range batches {
					who[i] = devs[r.Intn(len(devs))]
					batches[i] = fullCreates(r, who[i], size)
				}
				cpu0 := processCPU()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					resp, err := storetest.Push(ctx, db, who[i].p, syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: batches[i]})
					if err != nil || len(resp.Accepted) != size {
						b.Fatalf("%v accepted=%d rejected=%+v", err, len(resp.Accepted), resp.Rejected[:min(1, len(resp.Rejected))])
					}
				}
				b.ReportMetric(float64(size*b.N)/b.Elapsed().Seconds(), "changes/s")
				b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(size*b.N), "cpu_us/change")
				b.StopTimer()
				v, err := db.Totals(ctx, "MN", 2026, 0)
				if err != nil {
					b.Fatal(err)
				}
				for i, m := range tally.Metrics {
					if v[i] == 0 {
						b.Fatalf("national %s is 0: the batch did not move every totals column", m)
					}
				}
			})
			// Edits of records the store holds, as an officer corrects two counts of each from the
			// version it pulled (no conflict): the
			// push engine reads each record's change log to decide its conflicts.
			b.Run(fmt.Sprintf("edit/batch=%d", size), func(b *testing.B) {
				batches := make([][]syncproto.Change, b.N)
				who := make([]benchDevice, b.N)
				held := map[int][]store.Record{}
				for k, d := range devs {
					recs, err := db.Records(ctx, store.RecordFilter{Entity: "event", Unit: d.p.Inspector.Unit, Limit: 4 * size})
					if err != nil {
						b.Fatal(err)
					}
					held[k] = recs
				}
				k := 0
				for i := range batches {
					for n := 0; len(held[k]) < size; n++ { // the next officer with records enough
						if k = (k + 1) % len(devs); n > len(devs) {
							b.Fatal("no officer holds enough records for another batch of edits")
						}
					}
					who[i] = devs[k]
					for _, rec := range held[k][:size] {
						batches[i] = append(batches[i], syncproto.Change{ID: uuid.Must(uuid.NewV7()).String(), RecordID: rec.ID, Entity: "event",
							Op: "upsert", HLC: who[i].clock.Next().String(),
							Fields: map[string]json.RawMessage{"consultations": json.RawMessage(fmt.Sprint(r.Intn(20))), "reached.herders": json.RawMessage(fmt.Sprint(r.Intn(60)))},
							Base:   map[string]string{"consultations": rec.Version, "reached.herders": rec.Version, syncproto.BaseRecord: rec.Version}})
					}
					held[k] = held[k][size:]
					k = (k + 1) % len(devs)
				}
				cpu0 := processCPU()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					resp, err := storetest.Push(ctx, db, who[i].p, syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: batches[i]})
					if err != nil || len(resp.Accepted) != size {
						b.Fatalf("%v accepted=%d rejected=%+v", err, len(resp.Accepted), resp.Rejected[:min(1, len(resp.Rejected))])
					}
				}
				b.ReportMetric(float64(size*b.N)/b.Elapsed().Seconds(), "changes/s")
				b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(size*b.N), "cpu_us/change")
			})
		}
		b.Run(fmt.Sprintf("bulkinsert/batch=%d", size), func(b *testing.B) {
			raw, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "bulk.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
			if err != nil {
				b.Fatal(err)
			}
			defer raw.Close()
			raw.SetMaxOpenConns(1)
			if _, err := raw.Exec(`CREATE TABLE rows (id TEXT PRIMARY KEY, record_id TEXT, hlc TEXT, fields TEXT)`); err != nil {
				b.Fatal(err)
			}
			batches := make([][]syncproto.Change, b.N)
			for i := range batches {
				batches[i] = creates(r, devs[0], size)
			}
			cpu0 := processCPU()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tx, _ := raw.Begin()
				st, _ := tx.Prepare(`INSERT INTO rows (id, record_id, hlc, fields) VALUES (?, ?, ?, ?)`)
				for _, c := range batches[i] {
					f, _ := json.Marshal(c.Fields)
					if _, err := st.Exec(c.ID, c.RecordID, c.HLC, f); err != nil {
						b.Fatal(err)
					}
				}
				st.Close()
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(size*b.N), "cpu_us/change")
		})
	}
}

// BenchmarkReports measures the national totals and KPI queries at 1,000,000 events.
func BenchmarkReports(b *testing.B) {
	db, _ := bigStore(b)
	ctx := context.Background()
	b.Run("totals/nation", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := db.Totals(ctx, "MN", 2026, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("totals/aimag", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := db.Totals(ctx, "MN-073", 2026, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("kpis/nation", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := api.MeasureKPIs(ctx, db, "MN", 2026); err != nil {
				b.Fatal(err)
			}
		}
	})
	v, _ := db.Totals(ctx, "MN", 2026, 0)
	if got, want := v.Get("events"), int64(benchEvents()); got < want {
		b.Fatalf("national events=%d, want at least %d", got, want)
	}
}
