package integration_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"talbar/fieldapp/localstore"
	"talbar/shared/record"
	"talbar/shared/tally"
)

// editForm saves what a form would: every value it loaded, reached replaced whole, with the
// loaded values as the base.
func editForm(d *device, id string, reached map[string]int) {
	d.tb.Helper()
	r, err := d.DB.FindRecordByID(context.Background(), id)
	if err != nil {
		d.tb.Fatal(err)
	}
	form := map[string]any{}
	for k, v := range r.Values {
		form[k] = v
	}
	form["reached"] = reached
	d.save(localstore.Draft{ID: id, Fields: form, Base: r.Values})
}

// The faults review's case: an inspector raises herders 20→25 offline, an officer later raises
// self_employed 2→6 offline; after both sync, every replica and the totals hold both corrections.
func TestDifferentCountsBothKept(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	insp := newDevice(t, "insp", srv.URL, srv.Code("insp", soumA, "inspector"), nil)
	off := newDevice(t, "officer", srv.URL, srv.Code("officer", aimag, "officer"), nil)
	id := insp.save(localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{"kind": record.KindHerderMeeting,
		"date": fmt.Sprintf("%d-05-14", year), "unit": soumA, "consultations": 5, "reached": map[string]int{"herders": 20, "self_employed": 2}}})
	insp.sync()
	off.sync()
	editForm(insp, id, map[string]int{"herders": 25, "self_employed": 2})
	editForm(off, id, map[string]int{"herders": 20, "self_employed": 6})
	insp.sync()
	off.sync()
	insp.sync()
	for _, d := range []*device{insp, off} {
		r, _ := d.DB.FindRecordByID(ctx, id)
		var got map[string]int
		json.Unmarshal(r.Values["reached"], &got)
		if got["herders"] != 25 || got["self_employed"] != 6 {
			t.Errorf("%s: reached=%s, want herders 25 and self_employed 6", d.Name, r.Values["reached"])
		}
	}
	v := vectorOf(srv.Totals(t, insp.token(), year, soumA))
	if v.String() != vectorOf(srv.Totals(t, off.token(), year, soumA)).String() {
		t.Fatal("the two devices are told different totals")
	}
	herders, self := tally.Index["reached.herders"], tally.Index["reached.self_employed"]
	if v[herders] != 25 || v[self] != 6 {
		t.Errorf("server totals herders %d self_employed %d, want 25 and 6", v[herders], v[self])
	}
}

// The same count edited on both sides offline: the later value wins everywhere, and the device
// whose value lost is told (its value, the winner's and whose it was) and can restore it, which
// reaches every replica as a normal change. The restore is no new conflict for the other side.
func TestSameCountConflictToldAndRestored(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	insp := newDevice(t, "insp", srv.URL, srv.Code("Батаа", soumA, "inspector"), nil)
	off := newDevice(t, "officer", srv.URL, srv.Code("Сараа", aimag, "officer"), nil)
	id := insp.save(localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{"kind": record.KindOpenDay,
		"date": fmt.Sprintf("%d-05-12", year), "unit": soumA, "reached": map[string]int{"herders": 20}}})
	insp.sync()
	off.sync()
	editForm(insp, id, map[string]int{"herders": 25})
	time.Sleep(50 * time.Millisecond) // beyond the jitter of the devices' clock offsets
	editForm(off, id, map[string]int{"herders": 20, "self_employed": 3})
	editForm(off, id, map[string]int{"herders": 30, "self_employed": 3})
	insp.sync()
	off.sync()
	insp.sync()
	herders := func(d *device) int {
		r, _ := d.DB.FindRecordByID(ctx, id)
		var m map[string]int
		json.Unmarshal(r.Values["reached"], &m)
		return m["herders"]
	}
	for _, d := range []*device{insp, off} {
		if got := herders(d); got != 30 {
			t.Fatalf("%s: herders %d, want the later 30", d.Name, got)
		}
	}
	rep, err := insp.DB.Replaced(ctx)
	if err != nil || len(rep) != 1 || rep[0].Field != "reached.herders" || string(rep[0].Mine) != "25" || string(rep[0].Theirs) != "30" || rep[0].Writer != "Сараа" {
		t.Fatalf("the inspector is not told its 25 was replaced by Сараа's 30: %+v %v", rep, err)
	}
	if rep, _ := off.DB.Replaced(ctx); len(rep) != 0 {
		t.Fatalf("the winner is told of a replacement: %+v", rep)
	}
	if err := insp.DB.RestoreReplaced(ctx, rep[0].ID); err != nil {
		t.Fatal(err)
	}
	insp.sync()
	off.sync()
	for _, d := range []*device{insp, off} {
		if got := herders(d); got != 25 {
			t.Errorf("%s: herders %d after the restore, want 25", d.Name, got)
		}
		if rep, _ := d.DB.Replaced(ctx); len(rep) != 0 {
			t.Errorf("%s: notices after the restore: %+v", d.Name, rep)
		}
	}
	if v := vectorOf(srv.Totals(t, insp.token(), year, soumA)); v[tally.Index["reached.herders"]] != 25 || v[tally.Index["reached.self_employed"]] != 3 {
		t.Errorf("totals herders %d self_employed %d", v[tally.Index["reached.herders"]], v[tally.Index["reached.self_employed"]])
	}
}

// An officer deletes a record an inspector corrected offline: the record is deleted everywhere
// (in either order of arrival) and the inspector is told, with a restore that brings the record
// back with the correction.
func TestDeleteAgainstEditTold(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	insp := newDevice(t, "insp", srv.URL, srv.Code("Батаа", soumA, "inspector"), nil)
	off := newDevice(t, "officer", srv.URL, srv.Code("Сараа", aimag, "officer"), nil)
	id := insp.save(localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{"kind": record.KindOpenDay,
		"date": fmt.Sprintf("%d-05-12", year), "unit": soumA, "reached": map[string]int{"herders": 20}}})
	insp.sync()
	off.sync()
	editForm(insp, id, map[string]int{"herders": 40})
	if err := off.DB.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	insp.sync()
	off.sync()
	insp.sync()
	for _, d := range []*device{insp, off} {
		if r, _ := d.DB.FindRecordByID(ctx, id); !r.Deleted {
			t.Fatalf("%s: not deleted", d.Name)
		}
	}
	rep, _ := insp.DB.Replaced(ctx)
	if len(rep) != 1 || rep[0].Field != record.FieldDeleted || rep[0].Writer != "Сараа" {
		t.Fatalf("the inspector is not told its corrected record was deleted: %+v", rep)
	}
	if err := insp.DB.RestoreReplaced(ctx, rep[0].ID); err != nil {
		t.Fatal(err)
	}
	insp.sync()
	off.sync()
	for _, d := range []*device{insp, off} {
		if r, _ := d.DB.FindRecordByID(ctx, id); r.Deleted || !strings.Contains(string(r.Values["reached"]), `"herders":40`) {
			t.Errorf("%s: after the restore deleted=%v reached=%s", d.Name, r.Deleted, r.Values["reached"])
		}
	}
}
