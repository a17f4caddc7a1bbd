package integration_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"talbar/fieldapp/localstore"
	"talbar/fieldapp/sim"
	"talbar/fieldapp/syncclient"
	"talbar/shared/record"
	"talbar/syncproto"
)

// restoreFleet is three inspectors of one soum, one of another and the aimag's officer.
func restoreFleet(t *testing.T, srv *server) *fleet {
	f := newFleet(t, srv, srv.URL, nil)
	a3 := newDevice(t, "insp-a3", srv.URL, srv.Code("insp-a3", soumA, "inspector"), nil)
	f.devices = append(f.devices, a3)
	return f
}

// syncSome syncs the given devices once each, in a random order with random batch and page sizes.
func (f *fleet) syncSome(t *testing.T, devs []*device) {
	for _, d := range f.devices {
		f.led.capture(t, d)
	}
	for _, i := range f.rng.Perm(len(devs)) {
		d := devs[i]
		d.C.BatchSize = 1 + f.rng.IntN(60)
		d.C.PullLimit = 1 + f.rng.IntN(40)
		d.sync()
	}
}

func newRand(t *testing.T) *rand.Rand {
	seed := testSeed(t)
	return rand.New(rand.NewPCG(seed, 11))
}

func (f *fleet) byName(name string) *device {
	for _, d := range f.devices {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// groups counts the field groups of every record a device holds: what one queuing of its state
// sends.
func groups(t *testing.T, d *device) int {
	recs, _, err := d.DB.FindRecords(context.Background(), localstore.Filter{IncludeDeleted: true, IncludeOutside: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range recs {
		n += len(r.Merged.State())
	}
	return n
}

// restoreNoRotate: every device saves before the backup point and after it; all but insp-a3 sync
// after it (insp-a3 last synced before the backup, so its cursor is inside the restored log and
// its first push lengthens that log). The server's database is put back to the backup WITHOUT
// `server epoch rotate`; withHighWater says whether the restore also copied the high-water file
// of the backup time (then only the first pull beyond the log can reveal it) or left the newer
// one in place (then the server rotates its epoch at start-up). The devices then sync in a
// random order.
//
// burst > 0 makes insp-a3 save that many more events offline and sync first after the restore:
// its push alone lengthens the restored log past every other device's cursor, so no pull goes
// beyond the log and the epoch never rotates; each other device notices by its probe.
func restoreNoRotate(t *testing.T, withHighWater bool, burst int) {
	srv := startServer(t)
	f := restoreFleet(t, srv)
	f.create(t, 3)
	f.syncAll(t)
	f.syncAll(t)

	srv.Stop()
	backup := srv.DB + ".bak"
	copyFile(t, srv.DB, backup)
	copyFile(t, srv.DB+".highwater", backup+".highwater")
	srv.Start()

	f.create(t, 3)
	f.edit(t, 4)
	a3 := f.byName("insp-a3")
	var online []*device
	for _, d := range f.devices {
		if d != a3 {
			online = append(online, d)
		}
	}
	f.syncSome(t, online)
	f.syncSome(t, online)
	f.create(t, 2) // and more, not yet synced by anyone
	for i := 0; i < burst; i++ {
		date := time.Date(year, time.Month(1+f.rng.IntN(11)), 1+f.rng.IntN(28), 0, 0, 0, 0, time.UTC)
		a3.save(localstore.Draft{Entity: record.EntityEvent, Fields: sim.Event(f.rng, record.KindOpenDay, soumA, date)})
	}

	srv.Stop()
	for _, ext := range []string{"-wal", "-shm"} {
		os.Remove(srv.DB + ext)
	}
	copyFile(t, backup, srv.DB)
	if withHighWater {
		copyFile(t, backup+".highwater", srv.DB+".highwater")
	}
	srv.Start()

	for _, d := range f.devices {
		f.led.capture(t, d)
	}
	order := f.rng.Perm(len(f.devices))
	if burst > 0 {
		order = append([]int{len(f.devices) - 1}, f.rng.Perm(len(f.devices)-1)...)
	}
	for _, i := range order {
		d := f.devices[i]
		d.C.BatchSize = 1 + f.rng.IntN(60)
		d.C.PullLimit = 1 + f.rng.IntN(40)
		before := groups(t, d)
		res := d.sync()
		t.Logf("%s: restored=%v resent=%d (state %d groups) pulled=%d", d.Name, res.Restored, res.Resent, before, res.Pulled)
		if d != a3 && !res.Restored {
			t.Errorf("%s pushed after the backup point but did not notice the restore: %+v", d.Name, res)
		}
		// The state is queued once per restore: a 409 followed by the new epoch must not queue it twice.
		if after := groups(t, d); res.Resent > after {
			t.Errorf("%s queued %d changes for %d field groups: state queued more than once", d.Name, res.Resent, after)
		}
	}
	f.syncAll(t)
	f.syncAll(t)
	f.checkConverged(t, srv.URL)
}

// Restore of the database file alone: the newer high-water file beside it makes the server
// rotate its epoch at start-up.
func TestRestoreWithoutRotateHighWaterKept(t *testing.T) { restoreNoRotate(t, false, 0) }

// Restore of the database and its high-water file: the first pull beyond the log (409
// cursor_ahead) rotates the epoch; a device whose cursor is hidden by another's pushes notices
// by its probe.
func TestRestoreWithoutRotateHighWaterCopied(t *testing.T) { restoreNoRotate(t, true, 0) }

// The same, with the restored log lengthened past every cursor by a device that was offline since
// before the backup: only the probes reveal the restore.
func TestRestoreWithoutRotateCursorsHidden(t *testing.T) { restoreNoRotate(t, true, 200) }

// An officer moves a record from soum A to soum B: the device of soum B receives it whole, the
// device of soum A learns it left, hides it from its records and summary and refuses to edit it.
func TestRecordMovedBetweenSoums(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	a := newDevice(t, "insp-a1", srv.URL, srv.Code("insp-a1", soumA, "inspector"), nil)
	b := newDevice(t, "insp-b", srv.URL, srv.Code("insp-b", soumB, "inspector"), nil)
	off := newDevice(t, "officer", srv.URL, srv.Code("officer", aimag, "officer"), nil)
	date := time.Date(year, 5, 14, 0, 0, 0, 0, time.UTC)
	rng := newRand(t)
	id := a.save(localstore.Draft{Entity: record.EntityEvent, Fields: sim.Event(rng, record.KindHerderMeeting, soumA, date)})
	a.save(localstore.Draft{ID: id, Fields: map[string]any{"place": "Bag 3 centre", "consultations": 7}})
	stay := a.save(localstore.Draft{Entity: record.EntityEvent, Fields: sim.Event(rng, record.KindMarketDay, soumA, date)})
	a.sync()
	b.sync()
	off.sync()
	if _, err := b.DB.FindRecordByID(ctx, id); !errors.Is(err, localstore.ErrNotFound) {
		t.Fatalf("soum B's device holds soum A's record before the move: %v", err)
	}
	sumA, _ := a.DB.Summary(ctx, year, 0, "")
	if sumA.Vector.Get("events") != 2 {
		t.Fatalf("soum A summary before the move: %v", sumA.Vector)
	}

	// Soum A's inspector, offline, edits it before the officer moves it: an edit concurrent with
	// the move, which the server takes from a unit the record belonged to and which reaches soum B.
	a.save(localstore.Draft{ID: id, Fields: map[string]any{"consultations": 9}})
	time.Sleep(50 * time.Millisecond) // beyond the jitter of the devices' clock offsets
	off.save(localstore.Draft{ID: id, Fields: map[string]any{"unit": soumB, "notes": "held in the neighbouring soum"}})
	// An edit planned after the move, against the old soum, is refused as moved_away (the
	// inspector is told the record now belongs to soum B), never lost silently.
	time.Sleep(50 * time.Millisecond) // beyond the jitter of the devices' clock offsets
	a.save(localstore.Draft{ID: id, Fields: map[string]any{"consultations": 11}})
	off.sync()
	b.sync()
	res := a.sync()
	rej, _ := a.DB.Changes(ctx, localstore.StateRejected)
	if res.Rejected != 1 || res.Pushed != 1 {
		t.Fatalf("soum A's offline edits of the moved record: %+v, rejected %+v", res, rej)
	}
	if len(rej) != 1 || rej[0].Code != syncproto.RejectMovedAway || string(rej[0].Fields["consultations"]) != "11" {
		t.Fatalf("rejected after the move: %+v", rej)
	}
	if err := a.DB.Discard(ctx, rej[0].ID); err != nil {
		t.Fatal(err)
	}
	off.sync()
	b.sync()
	a.sync()
	if r, _ := b.DB.FindRecordByID(ctx, id); string(r.Values["consultations"]) != "9" {
		t.Errorf("soum A's edit did not reach soum B: %s", r.Values["consultations"])
	}

	want, err := off.DB.FindRecordByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.DB.FindRecordByID(ctx, id)
	if err != nil {
		t.Fatalf("soum B's device did not receive the moved record: %v", err)
	}
	if string(got.Merged.Marshal()) != string(want.Merged.Marshal()) {
		t.Errorf("soum B's copy is not whole:\n got %s\nwant %s", got.Merged.Marshal(), want.Merged.Marshal())
	}
	for _, f := range record.Required(record.EntityEvent) {
		if _, ok := got.Values[f]; !ok {
			t.Errorf("soum B's copy lacks %s", f)
		}
	}
	if got.Outside {
		t.Error("soum B's copy is marked outside its scope")
	}
	if recs, _, _ := b.DB.FindRecords(ctx, localstore.Filter{}); len(recs) != 1 || recs[0].ID != id {
		t.Errorf("soum B's records: %d", len(recs))
	}

	old, err := a.DB.FindRecordByID(ctx, id)
	if err != nil {
		t.Fatalf("soum A's device lost the record: %v", err)
	}
	if old.Unit != soumB || !old.Outside {
		t.Errorf("soum A's device: unit %s outside %v", old.Unit, old.Outside)
	}
	if string(old.Merged.Marshal()) != string(want.Merged.Marshal()) {
		t.Errorf("soum A's copy differs from the server's:\n got %s\nwant %s", old.Merged.Marshal(), want.Merged.Marshal())
	}
	recs, _, _ := a.DB.FindRecords(ctx, localstore.Filter{})
	if len(recs) != 1 || recs[0].ID != stay {
		t.Errorf("soum A's records still list the moved one: %d records", len(recs))
	}
	if all, _, _ := a.DB.FindRecords(ctx, localstore.Filter{IncludeOutside: true}); len(all) != 2 {
		t.Errorf("with IncludeOutside: %d records", len(all))
	}
	for _, unit := range []string{"", soumA} {
		s, _ := a.DB.Summary(ctx, year, 0, unit)
		if s.Vector.Get("events") != 1 {
			t.Errorf("soum A summary (unit %q) still counts the moved record: %v", unit, s.Vector)
		}
		if m, _ := a.DB.Summary(ctx, year, 5, unit); m.Vector.Get("events") != 1 {
			t.Errorf("soum A month summary (unit %q): %v", unit, m.Vector)
		}
	}
	if s, _ := b.DB.Summary(ctx, year, 0, ""); s.Vector.Get("events") != 1 {
		t.Errorf("soum B summary: %v", s.Vector)
	}
	if _, _, err := a.DB.Save(ctx, localstore.Draft{ID: id, Fields: map[string]any{"place": "x"}}); !errors.Is(err, localstore.ErrOutsideScope) {
		t.Errorf("edit of a record moved away: %v", err)
	}
	if err := a.DB.Delete(ctx, id); !errors.Is(err, localstore.ErrOutsideScope) {
		t.Errorf("delete of a record moved away: %v", err)
	}
	if p, r := a.counts(); p+r != 0 {
		t.Errorf("soum A outbox: %d pending %d rejected", p, r)
	}
	// The server's totals agree with each device's summary.
	for _, d := range []*device{a, b} {
		unit := soumA
		if d == b {
			unit = soumB
		}
		s, _ := d.DB.Summary(ctx, year, 0, "")
		if got := vectorOf(srv.Totals(t, d.token(), year, unit)); got.String() != s.Vector.String() {
			t.Errorf("%s: server totals %v, local summary %v", unit, got, s.Vector)
		}
	}

	// Moved back, it is soum A's again, whole and editable.
	off.save(localstore.Draft{ID: id, Fields: map[string]any{"unit": soumA}})
	off.sync()
	a.sync()
	b.sync()
	if r, _ := a.DB.FindRecordByID(ctx, id); r.Outside || r.Unit != soumA {
		t.Errorf("moved back: unit %s outside %v", r.Unit, r.Outside)
	}
	a.save(localstore.Draft{ID: id, Fields: map[string]any{"place": "Bag 3 centre, school hall"}})
	a.sync()
	if r, _ := b.DB.FindRecordByID(ctx, id); !r.Outside {
		t.Errorf("soum B after the move back: unit %s outside %v", r.Unit, r.Outside)
	}
}

// A device enrolled after the backup the server was restored from is told exactly that
// (device_unknown, not revoked), keeps every record, and after a new code sends them all again:
// the server's totals count them (faults review D7).
func TestDeviceUnknownAfterRestore(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	early := newDevice(t, "early", srv.URL, srv.Code("early", soumA, "inspector"), nil)
	early.save(localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{"kind": record.KindOpenDay,
		"date": fmt.Sprintf("%d-03-02", year), "unit": soumA}})
	early.sync()
	srv.Stop()
	backup := srv.DB + ".bak"
	copyFile(t, srv.DB, backup)
	srv.Start()

	late := newDevice(t, "late", srv.URL, srv.Code("late", soumA, "inspector"), nil)
	for i := 0; i < 3; i++ {
		late.save(localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{"kind": record.KindMarketDay,
			"date": fmt.Sprintf("%d-04-%02d", year, 10+i), "unit": soumA}})
	}
	late.sync()
	if p, _ := late.counts(); p != 0 {
		t.Fatalf("late device outbox %d before the restore", p)
	}

	srv.Stop()
	for _, ext := range []string{"-wal", "-shm"} {
		os.Remove(srv.DB + ext)
	}
	copyFile(t, backup, srv.DB)
	srv.Start()
	_, err := late.C.Sync(ctx)
	var se *syncclient.Error
	if !errors.As(err, &se) || se.Code != syncclient.CodeDeviceUnknown {
		t.Fatalf("sync after the restore: %v, want device_unknown", err)
	}
	if recs, _, _ := late.DB.FindRecords(ctx, localstore.Filter{}); len(recs) != 4 { // its 3 and the one it pulled
		t.Fatalf("the device kept %d records", len(recs))
	}
	if _, err := late.C.Enroll(ctx, srv.URL, srv.Code("late", soumA, "inspector"), "late", "test"); err != nil {
		t.Fatal(err)
	}
	if res := late.sync(); res.Pushed < 3 {
		t.Fatalf("after enrolling again: %+v, want every record sent again", res)
	}
	if got := vectorOf(srv.Totals(t, late.token(), year, soumA)).Get("events"); got != 4 {
		t.Fatalf("server counts %d events, want 4 (1 from the backup, 3 sent again)", got)
	}
}
