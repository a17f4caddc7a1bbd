package integration_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"talbar/fieldapp/localstore"
	"talbar/fieldapp/sim"
	"talbar/fieldapp/syncclient"
	"talbar/shared/record"
)

// Reference data (units and targets, ~10 KB) comes with the first pull and then at most once a
// day, not with every sync.
func TestReferenceOnlyWhenDue(t *testing.T) {
	srv := startServer(t)
	px := newProxy(t, srv.URL)
	d := newDevice(t, "ref", px.URL(), srv.Code("ref", soumA, "inspector"), nil)
	other := newDevice(t, "other", srv.URL, srv.Code("other", soumA, "inspector"), nil)
	rng := newRand(t)
	date := time.Date(year, 3, 3, 0, 0, 0, 0, time.UTC)

	pulls := func(from int) (n, withRef int) {
		for _, u := range px.uris(from) {
			if strings.Contains(u, "/pull") {
				n++
				if strings.Contains(u, "ref=1") || !strings.Contains(u, "since=") || strings.Contains(u, "since=0&") {
					withRef++
				}
			}
		}
		return n, withRef
	}
	// syncOnce has another device save an event, then d syncs; it returns the bytes d received.
	syncOnce := func() (int64, int) {
		other.save(localstore.Draft{Entity: record.EntityEvent, Fields: sim.Event(rng, record.KindOpenDay, soumA, date)})
		other.sync()
		from := len(px.uris(0))
		before := px.RespBytes.Load()
		d.sync()
		_, ref := pulls(from)
		return px.RespBytes.Load() - before, ref
	}

	d.save(localstore.Draft{Entity: record.EntityEvent, Fields: sim.Event(rng, record.KindMarketDay, soumA, date)})
	if _, ref := syncOnce(); ref != 1 {
		t.Fatalf("first sync: %d pulls with reference data, want 1", ref)
	}
	units, _ := d.DB.Units(context.Background())
	if len(units) == 0 {
		t.Fatal("no units after the first sync")
	}
	var plain int64
	reqBefore := px.BodyBytes.Load()
	for i := 0; i < 3; i++ {
		n, ref := syncOnce()
		if ref != 0 {
			t.Fatalf("sync %d asked for reference data again", i+2)
		}
		plain += n
	}
	plain /= 3
	// With nothing to push, the request bytes are the probe's push alone.
	t.Logf("probe push (nothing else pending): %d B request body per sync", (px.BodyBytes.Load()-reqBefore)/3)
	// A day later it is asked for once.
	d.Now = func() time.Time { return time.Now().Add(localstore.RefreshEvery + time.Minute) }
	withRef, ref := syncOnce()
	if ref != 1 {
		t.Fatalf("a day later: %d pulls with reference data, want 1", ref)
	}
	if _, ref := syncOnce(); ref != 0 {
		t.Fatal("reference data asked again right after the daily refresh")
	}
	t.Logf("answer bytes on the wire per sync (one new event pulled): %d without reference data, %d with: %d B saved per sync",
		plain, withRef, withRef-plain)
	if withRef-plain < 2000 {
		t.Errorf("reference data costs only %d B?", withRef-plain)
	}
}

// Re-enrolling against another server while changes are pending is refused before the code is
// spent; forced, the pending changes go to the new server with the state of every record.
func TestReenrollAnotherServer(t *testing.T) {
	ctx := context.Background()
	old := startServer(t)
	nu := startServer(t)
	rng := newRand(t)
	d := newDevice(t, "mover", old.URL, old.Code("mover", soumA, "inspector"), nil)
	date := time.Date(year, 6, 1, 0, 0, 0, 0, time.UTC)
	led := newLedger()
	for i := 0; i < 4; i++ {
		d.save(localstore.Draft{Entity: record.EntityEvent, Fields: sim.Event(rng, record.KindHerderMeeting, soumA, date)})
	}
	led.capture(t, d)
	d.sync()
	var pendingIDs []string
	for i := 0; i < 3; i++ {
		pendingIDs = append(pendingIDs, d.save(localstore.Draft{Entity: record.EntityEvent, Fields: sim.Event(rng, record.KindMarketDay, soumA, date)}))
	}
	recs, _, _ := d.DB.FindRecords(ctx, localstore.Filter{})
	d.save(localstore.Draft{ID: recs[len(recs)-1].ID, Fields: map[string]any{"consultations": 41}})
	led.capture(t, d)
	p0, _ := d.counts()
	if p0 != 4 {
		t.Fatalf("pending %d", p0)
	}

	code := nu.Code("mover", soumA, "inspector")
	_, err := d.C.Enroll(ctx, nu.URL, code, "mover", "test")
	if !errors.Is(err, syncclient.ErrPendingChanges) {
		t.Fatalf("enroll with another server while changes are pending: %v", err)
	}
	var se *syncclient.Error
	if !errors.As(err, &se) || se.Key() != "fieldapp.sync.pending_changes" {
		t.Fatalf("error %v has no translation key", err)
	}
	if p, _ := d.counts(); p != p0 {
		t.Fatalf("outbox changed: %d", p)
	}
	if e, _ := d.DB.Enrollment(ctx); e.ServerURL != old.URL {
		t.Fatalf("enrollment changed to %s", e.ServerURL)
	}
	// The same server again (a revoked device's new code) needs no force.
	if _, err := d.C.Enroll(ctx, old.URL+"/", old.Code("mover-again", soumA, "inspector"), "mover", "test"); err != nil {
		t.Fatalf("re-enroll with the same server: %v", err)
	}
	if p, _ := d.counts(); p != p0 {
		t.Fatalf("outbox changed after re-enrolling with the same server: %d", p)
	}

	// Forced, with the code that the refusal did not spend.
	if _, err := d.C.EnrollForce(ctx, nu.URL, code, "mover", "test"); err != nil {
		t.Fatalf("forced enroll: %v", err)
	}
	if p, _ := d.counts(); p < p0 {
		t.Fatalf("forced enroll lost pending changes: %d left of %d", p, p0)
	}
	res := d.sync()
	if p, r := d.counts(); p+r != 0 {
		t.Fatalf("after sync: %d pending %d rejected (%+v)", p, r, res)
	}
	obs := newDevice(t, "observer", nu.URL, nu.Code("observer", aimag, "officer"), nil)
	obs.sync()
	got, want := obs.records(), d.records()
	if len(got) != len(led.records) || len(want) != len(led.records) {
		t.Fatalf("new server holds %d records, device %d, saved %d", len(got), len(want), len(led.records))
	}
	for id, w := range want {
		// The device's fields keep their writers; compare values, which is what counts.
		r1, _ := obs.DB.FindRecordByID(ctx, id)
		r2, _ := d.DB.FindRecordByID(ctx, id)
		if !sameValues(r1, r2) {
			t.Errorf("record %s differs on the new server:\n got %s\nwant %s", id, got[id], w)
		}
	}
	for _, id := range pendingIDs {
		if _, err := obs.DB.FindRecordByID(ctx, id); err != nil {
			t.Errorf("pending record %s did not reach the new server: %v", id, err)
		}
	}
	exp := led.totals(year, nil)
	if got := vectorOf(nu.Totals(t, obs.token(), year, soumA)); got.String() != exp.String() {
		t.Errorf("new server's totals:\n got %v\nwant %v", got, exp)
	}

	// With nothing pending, moving to another server needs no force.
	third := startServer(t)
	if _, err := d.C.Enroll(ctx, third.URL, third.Code("mover", soumA, "inspector"), "mover", "test"); err != nil {
		t.Fatalf("enroll with a third server, outbox empty: %v", err)
	}
}

func sameValues(a, b localstore.Record) bool {
	if len(a.Values) != len(b.Values) {
		return false
	}
	for k, v := range a.Values {
		if string(b.Values[k]) != string(v) {
			return false
		}
	}
	return true
}

// Enroll is sent once, never retried: when the server used the code but the answer was lost, the
// inspector is told to try again (and, if the code turns out used, to ask for a new one); an
// automatic retry would only have got code_used.
func TestEnrollAnswerLostNotRetried(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	px := newProxy(t, srv.URL)
	d := &device{Name: "lost", Path: t.TempDir() + "/lost.db", Now: time.Now, tb: t}
	d.open()
	t.Cleanup(func() { d.DB.Close() })
	code := srv.Code("lost", soumA, "inspector")
	px.setFault(once("/enroll", 1, fault{DropAfter: true}))
	_, err := d.C.Enroll(ctx, px.URL(), code, "lost", "test")
	var se *syncclient.Error
	if !errors.Is(err, syncclient.ErrEnrollUnsure) || !errors.As(err, &se) || se.Key() != "fieldapp.sync.enroll_unsure" {
		t.Fatalf("err=%v, want enroll_unsure", err)
	}
	enrolls := func() (n int) {
		for _, u := range px.uris(0) {
			if strings.HasSuffix(u, "/enroll") {
				n++
			}
		}
		return n
	}
	if n := enrolls(); n != 1 || len(d.Sleeps) != 0 {
		t.Fatalf("enroll sent %d times, %d waits: retried", n, len(d.Sleeps))
	}
	// The inspector tries again: the server had used the code.
	if _, err := d.C.Enroll(ctx, px.URL(), code, "lost", "test"); !errors.Is(err, &syncclient.Error{Code: syncclient.CodeCodeUsed}) {
		t.Fatalf("second try: %v", err)
	}
	// Nothing listening: nothing was sent, so it is a plain connection failure, still not retried.
	if _, err := d.C.Enroll(ctx, "http://"+freeAddr(t), code, "lost", "test"); !errors.Is(err, syncclient.ErrUnreachable) || len(d.Sleeps) != 0 {
		t.Fatalf("unreachable: %v, %d waits", err, len(d.Sleeps))
	}
	// A new code works.
	if _, err := d.C.Enroll(ctx, px.URL(), srv.Code("lost-2", soumA, "inspector"), "lost", "test"); err != nil {
		t.Fatal(err)
	}
}
