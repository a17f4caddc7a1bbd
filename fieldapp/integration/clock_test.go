package integration_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"talbar/assets"
	"talbar/fieldapp/localstore"
	"talbar/fieldapp/syncclient"
	"talbar/shared/i18n"
	"talbar/shared/record"
)

// An officer whose tablet runs a year ahead edits a record; the inspector pulls it and edits the
// same field afterwards. The inspector's edit is the later one and must win everywhere, although
// the server's server_hlc never moves past a change more than a day ahead.
func TestEditAfterFutureClockWins(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	insp := newDevice(t, "insp", srv.URL, srv.Code("insp", soumA, "inspector"), nil)
	off := newDevice(t, "officer", srv.URL, srv.Code("officer", aimag, "officer"),
		func() time.Time { return time.Now().AddDate(1, 0, 0) })
	id := insp.save(localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{"kind": record.KindMarketDay,
		"date": "2026-05-14", "unit": soumA, "place": "Bagh 1"}})
	insp.sync()
	off.sync()
	off.save(localstore.Draft{ID: id, Fields: map[string]any{"place": "Officer's place"}})
	off.sync()
	insp.sync()
	if r, _ := insp.DB.FindRecordByID(ctx, id); record.Str(r.Values, "place") != "Officer's place" {
		t.Fatalf("pulled place=%q", record.Str(r.Values, "place"))
	}
	insp.save(localstore.Draft{ID: id, Fields: map[string]any{"place": "Inspector's place"}})
	insp.sync()
	off.sync()
	for _, d := range []*device{insp, off} {
		if r, _ := d.DB.FindRecordByID(ctx, id); record.Str(r.Values, "place") != "Inspector's place" {
			t.Errorf("%s: place=%q", d.Name, record.Str(r.Values, "place"))
		}
	}
}

// A device a year ahead was warned about its clock; then a change too large for the server is
// kept as rejected with the client's own too_large code, which the screens translate like a
// server's rejection, and the warning stays.
func TestTooLargeKeepsSkewWarning(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	px := newProxy(t, srv.URL)
	d := newDevice(t, "ahead", px.URL(), srv.Code("ahead", soumA, "inspector"), func() time.Time { return time.Now().AddDate(1, 0, 0) })
	d.save(localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{"kind": record.KindOpenDay, "date": "2026-05-14", "unit": soumA}})
	d.sync()
	if w, _ := d.DB.SkewWarning(ctx); w == nil {
		t.Fatal("no clock-skew warning")
	}
	d.save(localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{"kind": record.KindOpenDay, "date": "2026-05-15", "unit": soumA}})
	px.setFault(func(r *http.Request, n int) fault {
		if n > 0 {
			return fault{Status: http.StatusRequestEntityTooLarge}
		}
		return fault{}
	})
	if res := d.sync(); res.Rejected != 1 {
		t.Fatalf("res=%+v", res)
	}
	rej, _ := d.DB.Changes(ctx, localstore.StateRejected)
	if len(rej) != 1 || rej[0].Code != syncclient.CodeTooLarge {
		t.Fatalf("rejected=%+v", rej)
	}
	cat := i18n.MustNew(assets.Translations())
	for _, lang := range i18n.Langs {
		if key := "reject." + rej[0].Code; !cat.Has(lang, key) { // as fieldapp/ui's rejected screen looks it up
			t.Errorf("%s: no text for %s", lang, key)
		}
	}
	if w, _ := d.DB.SkewWarning(ctx); w == nil {
		t.Fatal("the made-up too_large answer cleared the clock-skew warning")
	}
}

// Devices whose clocks are 10 years off cannot freeze a record (faults review, experiment 6). A
// tablet whose date jumps 10 years ahead while offline edits a record: the server refuses the
// change as clock_ahead, the device stamps it again with the server-corrected clock and sends it
// without a user action; nobody's clock is dragged into 2036; an edit made afterwards by an
// inspector with a right clock wins, and an officer's delete deletes. A tablet 10 years behind
// from the start stamps with the corrected clock, so its later edit wins too. `server device
// list` flags both clocks.
func TestClocksTenYearsOff(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	var jump time.Duration
	normal := newDevice(t, "normal", srv.URL, srv.Code("normal", soumA, "inspector"), nil)
	ahead := newDevice(t, "ahead", srv.URL, srv.Code("ahead", soumA, "inspector"), func() time.Time { return time.Now().Add(jump) })
	behind := newDevice(t, "behind", srv.URL, srv.Code("behind", soumA, "inspector"), func() time.Time { return time.Now().AddDate(-10, 0, 0) })
	officer := newDevice(t, "officer", srv.URL, srv.Code("officer", aimag, "officer"), nil)
	all := []*device{normal, ahead, behind, officer}
	place := func(d *device, id string) string {
		t.Helper()
		r, err := d.DB.FindRecordByID(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		return record.Str(r.Values, "place")
	}
	syncAll := func() {
		t.Helper()
		for _, d := range all {
			d.sync()
		}
	}
	notDragged := func(when string) {
		t.Helper()
		limit := time.Now().Add(time.Hour)
		for _, d := range all {
			if got := d.DB.Clock().Last().Time(); got.After(limit) {
				t.Errorf("%s: %s the clock of %s reads %s", when, d.Name, d.Name, got)
			}
		}
	}
	id := normal.save(localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{"kind": record.KindOpenDay,
		"date": "2026-05-12", "unit": soumA, "place": "Bagh 1", "consultations": 3}})
	syncAll()

	jump = 10 * 365 * 24 * time.Hour // the tablet's date jumps while it is offline
	ahead.save(localstore.Draft{ID: id, Fields: map[string]any{"place": "ahead"}})
	if got := ahead.DB.Clock().Last().Time(); got.Before(time.Now().AddDate(9, 0, 0)) {
		t.Fatalf("the jumped clock stamped %s; the test needs a stamp in the far future", got)
	}
	res := ahead.sync()
	if res.Pushed != 1 || res.Rejected != 0 {
		t.Fatalf("ahead sync: %+v, want its change re-stamped and taken", res)
	}
	if p, r := ahead.counts(); p != 0 || r != 0 {
		t.Fatalf("ahead outbox pending=%d rejected=%d", p, r)
	}
	if w, _ := ahead.DB.SkewWarning(ctx); w == nil {
		t.Error("the tablet 10 years ahead is not warned about its clock")
	}
	syncAll()
	notDragged("after pulling the ahead tablet's change")
	for _, d := range all {
		if got := place(d, id); got != "ahead" {
			t.Fatalf("%s: place=%q, want the re-stamped edit", d.Name, got)
		}
	}

	// Later edits by devices with the right clock (or a corrected one) win over it.
	time.Sleep(50 * time.Millisecond)
	normal.save(localstore.Draft{ID: id, Fields: map[string]any{"place": "normal, later"}})
	normal.sync()
	syncAll()
	for _, d := range all {
		if got := place(d, id); got != "normal, later" {
			t.Errorf("%s: place=%q after the later correction", d.Name, got)
		}
	}
	time.Sleep(50 * time.Millisecond)
	behind.save(localstore.Draft{ID: id, Fields: map[string]any{"consultations": 9}})
	behind.sync()
	syncAll()
	for _, d := range all {
		if r, _ := d.DB.FindRecordByID(ctx, id); record.Int(r.Values, "consultations") != 9 {
			t.Errorf("%s: consultations=%d, want the behind tablet's later 9", d.Name, record.Int(r.Values, "consultations"))
		}
	}
	// An officer's delete, after all of it, deletes.
	if err := officer.DB.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	officer.sync()
	syncAll()
	for _, d := range all {
		if r, _ := d.DB.FindRecordByID(ctx, id); !r.Deleted {
			t.Errorf("%s: the officer's delete did not stick", d.Name)
		}
	}
	if got := vectorOf(srv.Totals(t, normal.token(), year, soumA)); !got.IsZero() {
		t.Errorf("totals after the delete: %s", got)
	}
	notDragged("at the end")

	list := srv.AdminOutput("device", "list")
	flagged := 0
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, "\tahead\t") || strings.Contains(line, "\tbehind\t") {
			if !strings.Contains(line, "clock_off") || !strings.Contains(line, "skew=") {
				t.Errorf("device list does not flag the clock: %q", line)
			}
			flagged++
		} else if strings.Contains(line, "clock_off") {
			t.Errorf("device list flags a right clock: %q", line)
		}
	}
	if flagged != 2 {
		t.Errorf("device list:\n%s", list)
	}
}

// A tablet clock that falls 600 ms behind is followed at the next sync over real HTTP: the
// answers' round trips on the loopback are far shorter than the change, so they prove it (a fixed
// 1 s dead band used to ignore it), and the corrected clock reads the server's time again.
func TestClockOffsetUnderASecond(t *testing.T) {
	srv := startServer(t)
	var skew atomic.Int64
	d := newDevice(t, "slow", srv.URL, srv.Code("slow", soumA, "inspector"), func() time.Time {
		return time.Now().Add(time.Duration(skew.Load()))
	})
	d.sync()
	if off := d.DB.ClockOffset(); off < -100*time.Millisecond || off > 100*time.Millisecond {
		t.Fatalf("offset %s with a right clock", off)
	}
	skew.Store(int64(-600 * time.Millisecond))
	d.sync()
	off := d.DB.ClockOffset()
	if off < 450*time.Millisecond || off > 750*time.Millisecond {
		t.Fatalf("offset %s after the tablet clock fell 600 ms behind, want about 600ms", off)
	}
	if diff := time.Until(d.DB.Now()); diff < -150*time.Millisecond || diff > 150*time.Millisecond {
		t.Fatalf("the corrected clock is %s off the real time", diff)
	}
}
