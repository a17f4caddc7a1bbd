package integration_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"talbar/fieldapp/localstore"
	"talbar/fieldapp/sim"
	"talbar/fieldapp/syncclient"
	"talbar/shared/record"
	"talbar/syncproto"
)

// testSeed is the seed of a test's random choices: TALBAR_TEST_SEED when set (to replay a
// failure), the clock otherwise. It is logged either way.
func testSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("TALBAR_TEST_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("TALBAR_TEST_SEED: %v", err)
		}
		seed = n
	}
	t.Logf("seed %d", seed)
	return seed
}

func quietLogger() *slog.Logger {
	if os.Getenv("TALBAR_TEST_LOGS") != "" {
		return slog.Default()
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// The test units: two soums of Arkhangai (MN-073) and the aimag itself for its officer.
const (
	aimag = "MN-073"
	soumA = "MN6501"
	soumB = "MN6504"
	year  = 2025 // a past year: the server refuses dates after tomorrow
)

func inAimag(u string) bool { return u == soumA || u == soumB }

// fleet is three inspectors and an aimag officer, plus a ledger of what they saved.
type fleet struct {
	srv     *server
	devices []*device
	led     *ledger
	rng     *rand.Rand
}

func newFleet(t *testing.T, srv *server, url string, clocks []clockFunc) *fleet {
	seed := testSeed(t)
	f := &fleet{srv: srv, led: newLedger(), rng: rand.New(rand.NewPCG(seed, 7))}
	specs := []struct{ name, unit, role string }{
		{"insp-a1", soumA, "inspector"}, {"insp-a2", soumA, "inspector"}, {"insp-b", soumB, "inspector"}, {"officer", aimag, "officer"},
	}
	for i, s := range specs {
		var now clockFunc
		if i < len(clocks) {
			now = clocks[i]
		}
		f.devices = append(f.devices, newDevice(t, s.name, url, srv.Code(s.name, s.unit, s.role), now))
	}
	return f
}

func (f *fleet) unitOf(d *device) string {
	switch d.Name {
	case "insp-a1", "insp-a2", "insp-a3":
		return soumA
	case "insp-b":
		return soumB
	}
	if f.rng.IntN(2) == 0 {
		return soumA
	}
	return soumB
}

// create has every device save a few events and surveys offline.
func (f *fleet) create(t *testing.T, n int) {
	for _, d := range f.devices {
		for i := 0; i < n; i++ {
			// Up to November of the test year: the server refuses a date after its tomorrow.
			date := time.Date(year, time.Month(1+f.rng.IntN(11)), 1+f.rng.IntN(28), 0, 0, 0, 0, time.UTC)
			kind := []string{record.KindHerderMeeting, record.KindMarketDay, record.KindOpenDay}[f.rng.IntN(3)]
			u := f.unitOf(d)
			id := d.save(localstore.Draft{Entity: record.EntityEvent, Fields: sim.Event(f.rng, kind, u, date)})
			for j := f.rng.IntN(3); j > 0; j-- {
				d.save(localstore.Draft{Entity: record.EntitySurvey, Fields: sim.Survey(f.rng, kind, u, date, id)})
			}
		}
	}
}

// edit has every device edit, delete or restore records it holds (its own and pulled ones).
func (f *fleet) edit(t *testing.T, n int) {
	ctx := context.Background()
	for _, d := range f.devices {
		recs, _, err := d.DB.FindRecords(ctx, localstore.Filter{IncludeDeleted: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			continue
		}
		for i := 0; i < n; i++ {
			r := recs[f.rng.IntN(len(recs))]
			switch f.rng.IntN(10) {
			case 0:
				if err := d.DB.Delete(ctx, r.ID); err != nil {
					t.Fatal(err)
				}
			case 1:
				if err := d.DB.Restore(ctx, r.ID); err != nil {
					t.Fatal(err)
				}
			default:
				d.save(localstore.Draft{ID: r.ID, Fields: sim.Edit(f.rng, r.Entity)})
			}
		}
	}
}

// syncAll syncs every device once, in a random order with random batch and page sizes.
func (f *fleet) syncAll(t *testing.T) {
	for _, d := range f.devices {
		f.led.capture(t, d)
	}
	for _, i := range f.rng.Perm(len(f.devices)) {
		d := f.devices[i]
		d.C.BatchSize = 1 + f.rng.IntN(60)
		d.C.PullLimit = 1 + f.rng.IntN(40)
		d.sync()
	}
}

// checkConverged compares every device with a fresh observer (an officer device that pulls the
// server's whole aimag from zero) and the server's totals with the ledger.
func (f *fleet) checkConverged(t *testing.T, url string) {
	t.Helper()
	obs := newDevice(t, "observer", url, f.srv.Code("observer", aimag, "officer"), nil)
	obs.sync()
	want := obs.records()
	for _, d := range f.devices {
		if p, r := d.counts(); p+r != 0 {
			t.Errorf("%s: outbox %d pending %d rejected", d.Name, p, r)
		}
		got := d.records()
		unit := map[string]string{"insp-a1": soumA, "insp-a2": soumA, "insp-a3": soumA, "insp-b": soumB}[d.Name]
		n := 0
		for id, w := range want {
			rec, _ := obs.DB.FindRecordByID(context.Background(), id)
			if unit != "" && rec.Unit != unit {
				continue
			}
			n++
			if got[id] != w {
				t.Errorf("%s: record %s differs:\n got %s\nwant %s", d.Name, id, got[id], w)
			}
		}
		if n != len(got) {
			t.Errorf("%s holds %d records, the server %d in its scope", d.Name, len(got), n)
		}
	}
	shared := 0
	for id := range want {
		rec, _ := obs.DB.FindRecordByID(context.Background(), id)
		writers := map[string]bool{}
		for _, fl := range rec.Merged.Fields {
			writers[fl.D] = true
		}
		if len(writers) > 1 {
			shared++
		}
	}
	t.Logf("%d records, %d of them written by more than one device", len(want), shared)
	if shared == 0 && len(f.devices) > 1 {
		t.Error("no record was edited by two devices: the test proves nothing about overlap")
	}
	if got, want := len(want), len(f.led.records); got != want {
		t.Errorf("server holds %d records, devices saved %d", got, want)
	}
	exp := f.led.totals(year, inAimag)
	if got := vectorOf(f.srv.Totals(t, obs.token(), year, "MN")); got.String() != exp.String() {
		t.Errorf("server totals MN:\n got %v\nwant %v", got, exp)
	}
	if got := vectorOf(f.srv.Totals(t, obs.token(), year, soumA)); got.String() != f.led.totals(year, func(u string) bool { return u == soumA }).String() {
		t.Errorf("server totals %s: %v", soumA, got)
	}
	if s, _ := obs.DB.Summary(context.Background(), year, 0, ""); s.Vector.String() != exp.String() {
		t.Errorf("observer's local summary:\n got %v\nwant %v", s.Vector, exp)
	}
}

// Three inspectors and an aimag officer edit overlapping records offline and sync in random
// orders and batch sizes; afterwards every replica holds the same records and the server's
// totals equal the ledger's count.
func TestDevicesConverge(t *testing.T) {
	srv := startServer(t)
	f := newFleet(t, srv, srv.URL, nil)
	f.create(t, 6)
	f.syncAll(t)
	f.syncAll(t)
	for round := 0; round < 3; round++ {
		f.edit(t, 8)
		f.create(t, 2)
		f.syncAll(t)
	}
	f.syncAll(t)
	f.syncAll(t)
	f.checkConverged(t, srv.URL)
}

// Device clocks a year ahead, a year behind, and one set back a year in the middle of the session.
func TestClocksOffConverge(t *testing.T) {
	srv := startServer(t)
	var back time.Duration
	clocks := []clockFunc{
		func() time.Time { return time.Now().AddDate(1, 0, 0) },
		func() time.Time { return time.Now().AddDate(-1, 0, 0) },
		func() time.Time { return time.Now().Add(back) },
	}
	f := newFleet(t, srv, srv.URL, clocks)
	f.create(t, 5)
	f.syncAll(t)
	f.edit(t, 6)
	back = -365 * 24 * time.Hour // the third tablet's date is set back mid-session
	f.edit(t, 6)
	f.syncAll(t)
	f.edit(t, 6)
	f.syncAll(t)
	f.syncAll(t)
	f.syncAll(t)
	f.checkConverged(t, srv.URL)
	// The device a year ahead was warned about its clock.
	if w, _ := f.devices[0].DB.SkewWarning(context.Background()); w == nil {
		t.Error("no clock-skew warning kept for the device a year ahead")
	}
}

// The connection drops after the server committed a push, before the device read the answer:
// the next sync reports duplicates and nothing is counted twice.
func TestAnswerLostAfterCommit(t *testing.T) {
	srv := startServer(t)
	px := newProxy(t, srv.URL)
	led := newLedger()
	d := newDevice(t, "d", px.URL(), srv.Code("d", soumA, "inspector"), nil)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20; i++ {
		d.save(localstore.Draft{Entity: record.EntityEvent, Fields: sim.Event(rng, record.KindMarketDay, soumA, time.Date(year, 6, 15, 0, 0, 0, 0, time.UTC))})
	}
	led.capture(t, d)
	d.C.MaxAttempts = 1
	px.setFault(once("/push", 1, fault{DropAfter: true}))
	if _, err := d.C.Sync(context.Background()); !errors.Is(err, syncclient.ErrUnreachable) {
		t.Fatalf("sync with a lost answer: %v", err)
	}
	if p, _ := d.counts(); p != 20 {
		t.Fatalf("outbox %d, want 20 intact", p)
	}
	res := d.sync()
	if res.Duplicates != 20 || res.Pushed != 20 {
		t.Fatalf("second sync: %+v, want 20 duplicates", res)
	}
	if got, want := vectorOf(srv.Totals(t, d.token(), year, soumA)).String(), led.totals(year, nil).String(); got != want {
		t.Fatalf("totals %s, want %s", got, want)
	}
}

const crashChildEnv = "TALBAR_CRASH_CHILD_DB"

// crashChild is the device process that dies between the push answer and the outbox update.
func crashChild() int {
	db, err := localstore.Open(os.Getenv(crashChildEnv), localstore.Options{Logger: quietLogger()})
	if err != nil {
		os.Stderr.WriteString(err.Error())
		return 2
	}
	c := &syncclient.Client{Store: db, Logger: quietLogger(), CrashPoint: func(p string) {
		if p == "push-answered" {
			os.Exit(3) // no deferred cleanup, no Close: like a kill
		}
	}}
	c.Sync(context.Background())
	return 4
}

// The device process is killed between the push answer and the outbox update; on restart nothing
// is lost and nothing is counted twice.
func TestKilledBeforeOutboxUpdate(t *testing.T) {
	srv := startServer(t)
	led := newLedger()
	d := newDevice(t, "d", srv.URL, srv.Code("d", soumA, "inspector"), nil)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 30; i++ {
		d.save(localstore.Draft{Entity: record.EntityEvent, Fields: sim.Event(rng, record.KindHerderMeeting, soumA, time.Date(year, 1, 10, 0, 0, 0, 0, time.UTC))})
	}
	led.capture(t, d)
	d.DB.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+d.Path)
	cmd.Stderr = os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("child did not die at the crash point: %v", err)
	}
	d.open()
	if p, _ := d.counts(); p != 30 {
		t.Fatalf("after restart outbox %d, want 30", p)
	}
	res := d.sync()
	if res.Duplicates != 30 {
		t.Fatalf("sync after restart: %+v, want 30 duplicates", res)
	}
	if got, want := vectorOf(srv.Totals(t, d.token(), year, soumA)).String(), led.totals(year, nil).String(); got != want {
		t.Fatalf("totals %s, want %s", got, want)
	}
}

// Whole-request failures each end in the right state with the outbox intact.
func TestFailuresKeepOutbox(t *testing.T) {
	srv := startServer(t)
	px := newProxy(t, srv.URL)
	rng := rand.New(rand.NewPCG(5, 6))
	setup := func(t *testing.T, name string, n int) *device {
		d := newDevice(t, name, px.URL(), srv.Code(name, soumA, "inspector"), nil)
		for i := 0; i < n; i++ {
			d.save(localstore.Draft{Entity: record.EntitySurvey, Fields: sim.Survey(rng, record.KindOpenDay, soumA, time.Date(year, 3, 3, 0, 0, 0, 0, time.UTC), "")})
		}
		return d
	}
	wantOutbox := func(t *testing.T, d *device, n int) {
		t.Helper()
		if p, r := d.counts(); p != n || r != 0 {
			t.Fatalf("outbox %d pending %d rejected, want %d intact", p, r, n)
		}
	}

	t.Run("ErrRevoked", func(t *testing.T) {
		px.setFault(nil)
		d := setup(t, "revoked", 5)
		srv.Admin("device", "revoke", "--id", d.deviceID())
		_, err := d.C.Sync(context.Background())
		var se *syncclient.Error
		if !errors.Is(err, syncclient.ErrRevoked) || !errors.As(err, &se) || se.Key() != "fieldapp.sync.revoked" {
			t.Fatalf("err=%v", err)
		}
		wantOutbox(t, d, 5)
		// Enrolled again with a new code, the same outbox goes through.
		if _, err := d.C.Enroll(context.Background(), px.URL(), srv.Code("revoked-again", soumA, "inspector"), "x", "test"); err != nil {
			t.Fatal(err)
		}
		if res := d.sync(); res.Pushed != 5 {
			t.Fatalf("after re-enroll: %+v", res)
		}
	})
	t.Run("TooLargeHalvesBatch", func(t *testing.T) {
		d := setup(t, "big", 300)
		px.mu.Lock()
		px.Batches = nil
		px.mu.Unlock()
		px.setFault(func(r *http.Request, n int) fault {
			if n > 100 {
				return fault{Status: http.StatusRequestEntityTooLarge}
			}
			return fault{}
		})
		res := d.sync()
		if res.Pushed != 300 {
			t.Fatalf("res=%+v", res)
		}
		px.mu.Lock()
		defer px.mu.Unlock()
		// Each 413 halves what was sent, not the configured most.
		if got := px.Batches[:4]; got[0] != 300 || got[1] != 150 || got[2] != 75 || got[3] != 75 {
			t.Fatalf("batches %v, want 300 150 75 75 …", px.Batches)
		}
	})
	t.Run("RateLimitedHonoursRetryAfter", func(t *testing.T) {
		d := setup(t, "busy", 5)
		px.setFault(once("/push", 2, fault{Status: http.StatusTooManyRequests, RetryAfter: "7"}))
		if res := d.sync(); res.Pushed != 5 {
			t.Fatalf("res=%+v", res)
		}
		if len(d.Sleeps) != 2 || d.Sleeps[0] < 7*time.Second || d.Sleeps[1] < 7*time.Second {
			t.Fatalf("sleeps %v, want two of at least 7s", d.Sleeps)
		}
	})
	t.Run("UnavailableGivesUpThenRecovers", func(t *testing.T) {
		d := setup(t, "down", 5)
		px.setFault(once("/push", 100, fault{Status: http.StatusServiceUnavailable}))
		_, err := d.C.Sync(context.Background())
		if !errors.Is(err, syncclient.ErrUnavailable) || !syncclient.Retryable(err) {
			t.Fatalf("err=%v", err)
		}
		if len(d.Sleeps) != 2 || d.Sleeps[1] <= d.Sleeps[0]/2 {
			t.Fatalf("backoff %v", d.Sleeps)
		}
		wantOutbox(t, d, 5)
		px.setFault(nil)
		if res := d.sync(); res.Pushed != 5 {
			t.Fatalf("res=%+v", res)
		}
	})
	t.Run("UpdateRequired", func(t *testing.T) {
		d := setup(t, "old", 3)
		px.setFault(once("/push", 1, fault{Status: http.StatusUpgradeRequired}))
		if _, err := d.C.Sync(context.Background()); !errors.Is(err, syncclient.ErrUpdateRequired) {
			t.Fatalf("err=%v", err)
		}
		wantOutbox(t, d, 3)
		px.setFault(nil)
	})
	t.Run("Unreachable", func(t *testing.T) {
		d := setup(t, "offline", 4)
		// Point the device at a port nobody listens on.
		dead := "http://" + freeAddr(t)
		d.DB.SaveEnrollment(context.Background(), dead, syncproto.EnrollResponse{DeviceID: d.deviceID(), Token: d.token()})
		_, err := d.C.Sync(context.Background())
		if !errors.Is(err, syncclient.ErrUnreachable) {
			t.Fatalf("err=%v", err)
		}
		wantOutbox(t, d, 4)
	})
	t.Run("RejectedKeptWithReason", func(t *testing.T) {
		px.setFault(nil)
		d := setup(t, "scope", 0)
		// A soum of another aimag: valid everywhere, but outside this inspector's scope.
		id := d.save(localstore.Draft{Entity: record.EntityEvent, Fields: sim.Event(rng, record.KindOpenDay, "MN1101", time.Date(year, 4, 1, 0, 0, 0, 0, time.UTC))})
		res := d.sync()
		if res.Rejected != 1 {
			t.Fatalf("res=%+v", res)
		}
		rej, _ := d.DB.Changes(context.Background(), localstore.StateRejected)
		if len(rej) != 1 || rej[0].Code != syncproto.RejectOutOfScope {
			t.Fatalf("rejected=%+v", rej)
		}
		d.save(localstore.Draft{ID: id, Fields: map[string]any{"unit": soumA}})
		if res := d.sync(); res.Pushed != 1 || res.Rejected != 0 {
			t.Fatalf("after fix: %+v", res)
		}
	})
	t.Run("SecondSyncWhileRunning", func(t *testing.T) {
		px.setFault(nil)
		d := setup(t, "twice", 3)
		started, release := make(chan struct{}), make(chan struct{})
		d.C.Progress = func(p syncclient.Progress) {
			if p.Phase == syncclient.PhasePull {
				select {
				case <-started:
				default:
					close(started)
					<-release
				}
			}
		}
		done := make(chan error)
		go func() { _, err := d.C.Sync(context.Background()); done <- err }()
		<-started
		if _, err := d.C.Sync(context.Background()); !errors.Is(err, syncclient.ErrSyncInProgress) {
			t.Errorf("second sync: %v", err)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		d := setup(t, "cancel", 3)
		px.setFault(once("/push", 100, fault{Status: http.StatusServiceUnavailable}))
		ctx, cancel := context.WithCancel(context.Background())
		d.C.Sleep = func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }
		if _, err := d.C.Sync(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("err=%v", err)
		}
		wantOutbox(t, d, 3)
		px.setFault(nil)
	})
}

// restoreOlderCopy syncs a fleet, copies the server's database while it is stopped, lets the
// devices save and sync more, then puts the old copy back and restarts the server.
func restoreOlderCopy(t *testing.T, rotate bool, devices int) {
	srv := startServer(t)
	f := newFleet(t, srv, srv.URL, nil)
	f.devices = f.devices[:devices]
	f.create(t, 5)
	f.syncAll(t)
	f.syncAll(t)
	srv.Stop()
	backup := srv.DB + ".bak"
	copyFile(t, srv.DB, backup)
	srv.Start()
	f.edit(t, 5)
	f.create(t, 5)
	f.syncAll(t)
	f.syncAll(t)
	srv.Stop()
	for _, ext := range []string{"-wal", "-shm"} {
		os.Remove(srv.DB + ext)
	}
	copyFile(t, backup, srv.DB)
	if rotate {
		srv.Admin("epoch", "rotate")
	}
	srv.Start()
	for _, d := range f.devices {
		res := d.sync()
		if !res.Restored || res.Resent == 0 {
			t.Errorf("%s did not notice the restore: %+v", d.Name, res)
		}
	}
	f.syncAll(t)
	f.checkConverged(t, srv.URL)
}

func copyFile(t *testing.T, from, to string) {
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// The server's database is replaced by an older copy and, as the restore procedure says, its
// epoch rotated: after every device syncs, the server holds every record and its totals are right.
func TestServerRestoredFromBackup(t *testing.T) { restoreOlderCopy(t, true, 4) }

// The same restore without rotating the epoch, one device: it notices from the server's 409
// cursor_ahead (its cursor is beyond the restored log) and re-sends. restore_test.go covers
// several devices in a random order, with and without the server's high-water file.
func TestServerRestoredKeepingEpoch(t *testing.T) { restoreOlderCopy(t, false, 1) }

// A server that sends a pull page larger than the device's answer cap (an older server, or one
// holding large records) is asked for fewer changes instead of the same page for ever: the
// device still receives every record.
func TestPullAsksForFewerChangesWhenAPageIsTooLarge(t *testing.T) {
	srv := startServer(t)
	a := newDevice(t, "a", srv.URL, srv.Code("a", soumA, "inspector"), nil)
	b := newDevice(t, "b", srv.URL, srv.Code("b", soumA, "inspector"), nil)
	const n = 60
	for i := 0; i < n; i++ {
		a.save(localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{"kind": record.KindOpenDay,
			"date": "2025-05-14", "unit": soumA, "notes": strings.Repeat("тэмдэглэл ", 190)}})
	}
	if res := a.sync(); res.Pushed != n {
		t.Fatalf("pushed %d", res.Pushed)
	}
	b.C.MaxAnswerBytes = 160 << 10 // the 60 records are ~230 KB, beside ~50 KB of reference data
	res := b.sync()
	if res.Pulled != n {
		t.Fatalf("pulled %d of %d", res.Pulled, n)
	}
	if s, err := b.DB.Summary(context.Background(), year, 0, ""); err != nil || s.Vector.Get("events") != n {
		t.Fatalf("b counts %v events (%v), want %d", s.Vector.Get("events"), err, n)
	}
}
