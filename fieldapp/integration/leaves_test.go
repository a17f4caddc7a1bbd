package integration_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

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
