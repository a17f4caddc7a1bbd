package integration_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"talbar/fieldapp/internal/slowlink"
	"talbar/fieldapp/localstore"
	"talbar/fieldapp/sim"
	"talbar/fieldapp/syncclient"
	"talbar/shared/record"
)

// longNote is n letters of Cyrillic text that compresses about as badly as real notes do.
func longNote(rng *rand.Rand, n int) string {
	letters := []rune("абвгдеёжзийклмноөпрстуүфхцчшщъыьэюя")
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i%7 == 6 {
			b.WriteByte(' ')
			continue
		}
		b.WriteRune(letters[rng.IntN(len(letters))])
	}
	return b.String()
}

// saveEvents saves n events in unit, dated in the last months, with notes of noteLen letters.
func saveEvents(t *testing.T, d *device, rng *rand.Rand, unit string, n, noteLen int) {
	t.Helper()
	now := time.Now().UTC()
	for i := 0; i < n; i++ {
		date := now.AddDate(0, 0, -1-rng.IntN(150))
		f := sim.Event(rng, record.KindHerderMeeting, unit, time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, time.UTC))
		if noteLen > 0 {
			f["notes"] = longNote(rng, noteLen)
		}
		d.save(localstore.Draft{Entity: record.EntityEvent, Fields: f})
	}
}

// serverEvents counts the events the server holds for unit over this year and the last, as
// the device's token may see them.
func serverEvents(t *testing.T, srv *server, d *device, unit string) int64 {
	t.Helper()
	y := time.Now().UTC().Year()
	return srv.Totals(t, d.token(), y, unit).Events["total"] + srv.Totals(t, d.token(), y-1, unit).Events["total"]
}

// slowClient tunes a device's client for a slow link scaled down to test time: requests sized
// to 2 s, a stall noticed after 2 s.
func slowClient(d *device, attempts int) {
	d.C.RequestTime = 2 * time.Second
	d.C.StallTimeout = 2 * time.Second
	d.C.MaxAttempts = attempts
}

// TestSlowLinkCutEveryFewSecondsPushesEverything pushes events with long notes over a 4 KB/s link
// that is cut every 5 s. The client sizes its pushes to the link and, after a cut, tries a
// smaller one, so each sync moves some of the outbox and the last one empties it. Before, the
// first batch (all 40 events, ~12 s on this link) was sent whole again after every cut, for ever.
func TestSlowLinkCutEveryFewSecondsPushesEverything(t *testing.T) {
	srv := startServer(t)
	px := slowlink.Start(t, srv.Addr, slowlink.Options{Rate: 4 << 10, Delay: 50 * time.Millisecond, CutEvery: 5 * time.Second})
	d := newDevice(t, "slow", srv.URL, srv.Code("slow", soumA, "inspector"), nil)
	slowClient(d, 8)
	rng := rand.New(rand.NewPCG(13, 1))
	const n = 40
	saveEvents(t, d, rng, soumA, n, 1000)
	setServerURL(t, d, px.URL())

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	for round := 1; ; round++ {
		before, _ := d.counts()
		_, err := d.C.Sync(ctx)
		after, _ := d.counts()
		if err == nil && after == 0 {
			t.Logf("synced in %d rounds, %v; %d cuts, %.0f B/s measured", round, time.Since(start).Round(time.Millisecond), px.Cuts.Load(), d.C.LinkRate())
			break
		}
		if before > 0 && after >= before {
			t.Fatalf("round %d: no progress (%d pending before, %d after): %v", round, before, after, err)
		}
		if ctx.Err() != nil || round > 20 {
			t.Fatalf("not done after %d rounds: %d pending: %v", round, after, err)
		}
	}
	if px.Cuts.Load() == 0 {
		t.Errorf("the link was never cut: the test proves nothing")
	}
	if got := serverEvents(t, srv, d, soumA); got != n {
		t.Errorf("server holds %d events, want %d", got, n)
	}
}

// via is a device's store seen through another address of the same server: enrolled directly
// (an enrollment is sent once, never retried), it then syncs through the shaping proxy.
type via struct {
	*localstore.DB
	url string
}

func (v via) Credentials(ctx context.Context) (string, string, string, error) {
	_, id, tok, err := v.DB.Credentials(ctx)
	return v.url, id, tok, err
}

// setServerURL makes an enrolled device sync through u.
func setServerURL(t *testing.T, d *device, u string) {
	t.Helper()
	d.C.Store = via{DB: d.DB, url: u}
}

// TestFrozenConnectionAbandonedAfterStall freezes the first connection that carries a push (a
// NAT that dropped it silently): the client gives it up after StallTimeout, not after minutes,
// and the next connection carries the push.
func TestFrozenConnectionAbandonedAfterStall(t *testing.T) {
	srv := startServer(t)
	px := slowlink.Start(t, srv.Addr, slowlink.Options{FreezeAfter: 2 << 10, FreezeConns: 1})
	d := newDevice(t, "frozen", srv.URL, srv.Code("frozen", soumA, "inspector"), nil)
	setServerURL(t, d, px.URL())
	d.C.StallTimeout = time.Second
	saveEvents(t, d, rand.New(rand.NewPCG(2, 2)), soumA, 30, 300)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := d.C.Sync(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("sync took %v: the frozen connection held it", took)
	}
	if px.Frozen.Load() != 1 {
		t.Errorf("%d connections frozen, want 1", px.Frozen.Load())
	}
	if p, _ := d.counts(); p != 0 {
		t.Errorf("%d changes pending", p)
	}
	if got := serverEvents(t, srv, d, soumA); got != 30 {
		t.Errorf("server holds %d events, want 30", got)
	}
}

// TestDeadLinkGivesUpKeepingTheOutbox sends every request into a hole: the sync fails with
// unreachable after MaxAttempts stalls, in seconds, and the outbox is as it was.
func TestDeadLinkGivesUpKeepingTheOutbox(t *testing.T) {
	srv := startServer(t)
	d := newDevice(t, "dead", srv.URL, srv.Code("dead", soumA, "inspector"), nil)
	saveEvents(t, d, rand.New(rand.NewPCG(3, 3)), soumA, 10, 0)
	px := slowlink.Start(t, srv.Addr, slowlink.Options{Hole: func([]byte) bool { return true }})
	setServerURL(t, d, px.URL())
	d.C.StallTimeout = 500 * time.Millisecond
	d.C.MaxAttempts = 3
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	_, err := d.C.Sync(ctx)
	if !errors.Is(err, syncclient.ErrUnreachable) {
		t.Fatalf("sync: %v, want unreachable", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("gave up after %v", took)
	}
	if p, _ := d.counts(); p != 10 {
		t.Errorf("%d pending, want the 10 saved", p)
	}
	if px.Holed.Load() < 3 {
		t.Errorf("%d requests tried, want at least 3", px.Holed.Load())
	}
}

// TestPushGoesWhenPullFails black-holes every pull: the device's own changes still reach the
// server, and the sync reports the failed pull. Before, a failed pull ended the sync before the
// push.
func TestPushGoesWhenPullFails(t *testing.T) {
	srv := startServer(t)
	d := newDevice(t, "nopull", srv.URL, srv.Code("nopull", soumA, "inspector"), nil)
	// Pulled a change once: a device with no cursor (or cursor 0) pushes before its first page,
	// and its pull would then ride the push's kept-alive connection, which the hole does not see.
	other := newDevice(t, "other", srv.URL, srv.Code("other", soumA, "inspector"), nil)
	saveEvents(t, other, rand.New(rand.NewPCG(4, 5)), soumA, 1, 0)
	other.sync()
	d.sync()
	saveEvents(t, d, rand.New(rand.NewPCG(4, 4)), soumA, 12, 0)
	px := slowlink.Start(t, srv.Addr, slowlink.Options{Hole: func(b []byte) bool { return bytes.HasPrefix(b, []byte("GET ")) }})
	setServerURL(t, d, px.URL())
	d.C.StallTimeout = 500 * time.Millisecond
	d.C.MaxAttempts = 2
	_, err := d.C.Sync(context.Background())
	if !errors.Is(err, syncclient.ErrUnreachable) {
		t.Fatalf("sync: %v, want unreachable (the pull)", err)
	}
	if p, _ := d.counts(); p != 0 {
		t.Errorf("%d changes pending: the failed pull kept them", p)
	}
	if got := serverEvents(t, srv, d, soumA); got != 13 {
		t.Errorf("server holds %d events, want 13 (12 and the other device's)", got)
	}
}

// TestSlowPullDoesNotHoldThePush: an officer whose aimag holds 300 events with long notes syncs
// over a 16 KB/s link cut every 5 s, with 5 events of its own pending. Its events reach the
// server before most of the pull, and the pull completes: pages are sized to the link and asked
// for again smaller after a cut.
func TestSlowPullDoesNotHoldThePush(t *testing.T) {
	srv := startServer(t)
	seeder := newDevice(t, "seeder", srv.URL, srv.Code("seeder", soumB, "inspector"), nil)
	rng := rand.New(rand.NewPCG(5, 5))
	saveEvents(t, seeder, rng, soumB, 300, 1000)
	seeder.sync()

	px := slowlink.Start(t, srv.Addr, slowlink.Options{Rate: 16 << 10, Delay: 50 * time.Millisecond, CutEvery: 5 * time.Second})
	off := newDevice(t, "officer", srv.URL, srv.Code("officer", aimag, "officer"), nil)
	setServerURL(t, off, px.URL())
	slowClient(off, 8)
	saveEvents(t, off, rng, soumA, 5, 0)
	var mu sync.Mutex
	pulledAtPush := -1
	off.C.Progress = func(p syncclient.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Phase == syncclient.PhasePush && p.Pushed > 0 && pulledAtPush < 0 {
			pulledAtPush = p.Pulled
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pulled := 0
	for round := 1; ; round++ {
		res, err := off.C.Sync(ctx)
		pulled += res.Pulled
		if err == nil {
			break
		}
		if ctx.Err() != nil || round > 20 {
			t.Fatalf("round %d: %v (pulled %d)", round, err, pulled)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if pulledAtPush < 0 || pulledAtPush >= 150 {
		t.Errorf("the officer's changes went after %d of 300 pulled, want before half", pulledAtPush)
	}
	if pulled != 300 {
		t.Errorf("pulled %d, want 300", pulled)
	}
	if got := serverEvents(t, srv, off, soumA); got != 5 {
		t.Errorf("server holds %d of the officer's events, want 5", got)
	}
	if px.Cuts.Load() == 0 {
		t.Errorf("the link was never cut")
	}
}
