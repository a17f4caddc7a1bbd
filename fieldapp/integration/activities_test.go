package integration_test

import (
	"context"
	"fmt"
	"testing"

	"talbar/fieldapp/localstore"
	"talbar/shared/record"
	"talbar/shared/tally"
)

// TestActivitiesSync: the new activities go through the real client to the real server and back:
// a lecture with a total, overlapping groups, sex and age, topics, channels and a bagh; an SMS
// campaign; an "other" with its description. The server counts people reached as the total. An
// inspector's edit of one group and an officer's of the total, made offline, both stand (each
// count is its own leaf); a later edit of a group above the total is refused by the server with
// the field named, kept on the device, and moves no total; the totals equal the merged records'.
func TestActivitiesSync(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	insp := newDevice(t, "insp", srv.URL, srv.Code("insp", soumA, "inspector"), nil)
	off := newDevice(t, "officer", srv.URL, srv.Code("officer", aimag, "officer"), nil)
	date := fmt.Sprintf("%d-04-10", year)
	lecture := insp.save(localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{"kind": record.KindLecture, "date": date, "unit": soumA,
		"bagh": "2-р баг", "topics": []string{"voluntary_insurance", "pensions"}, "channels": []string{"in_person", "printed"},
		"partners": []string{"youth", "school"}, "reached_total": 40, "reached": map[string]int{"herders": 30, "near_pension": 25},
		"reached_sex": map[string]int{"female": 21, "male": 19}, "reached_age": map[string]int{"18_24": 10, "55_plus": 14}}})
	insp.save(localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{"kind": record.KindSMSCampaign, "date": date, "unit": soumA,
		"sms_purpose": "contract", "messages_sent": 250, "messages": map[string]int{"herders": 250}, "channels": []string{"sms"}}})
	insp.save(localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{"kind": record.KindOther, "kind_other": "Эмнэлгийн ажилтнуудтай уулзалт",
		"date": date, "unit": soumA, "reached_total": 6}})
	if res := insp.sync(); res.Rejected != 0 {
		t.Fatalf("first sync: %+v", res)
	}
	off.sync()
	get := func(v tally.Vector, name string) int64 { return v[tally.Index[name]] }
	v := vectorOf(srv.Totals(t, insp.token(), year, soumA))
	for name, want := range map[string]int64{"reached": 46, "reached.herders": 30, "events.lecture": 1, "events.sms_campaign": 1, "events.other": 1,
		"messages_sent": 250, "messages_purpose.contract": 250, "topics.pensions": 1, "channels.sms": 1, "reached_sex.female": 21, "reached_age.55_plus": 14} {
		if got := get(v, name); got != want {
			t.Errorf("server totals %s = %d, want %d", name, got, want)
		}
	}

	// Offline on both sides: the inspector raises herders 30→35, the officer the total 40→45.
	edit := func(d *device, fields map[string]any) {
		r, err := d.DB.FindRecordByID(ctx, lecture)
		if err != nil {
			t.Fatal(err)
		}
		form := map[string]any{}
		for k, v := range r.Values {
			form[k] = v
		}
		for k, v := range fields {
			form[k] = v
		}
		d.save(localstore.Draft{ID: lecture, Fields: form, Base: r.Values})
	}
	edit(insp, map[string]any{"reached": map[string]int{"herders": 35, "near_pension": 25}})
	edit(off, map[string]any{"reached_total": 45})
	insp.sync()
	off.sync()
	insp.sync()
	for _, d := range []*device{insp, off} {
		r, _ := d.DB.FindRecordByID(ctx, lecture)
		if string(r.Values["reached_total"]) != "45" || string(r.Values["reached"]) != `{"herders":35,"near_pension":25}` {
			t.Errorf("%s: total %s reached %s, want 45 and herders 35", d.Name, r.Values["reached_total"], r.Values["reached"])
		}
	}
	v = vectorOf(srv.Totals(t, off.token(), year, soumA))
	if get(v, "reached") != 51 || get(v, "reached.herders") != 35 {
		t.Errorf("after both edits: reached %d herders %d, want 51 and 35", get(v, "reached"), get(v, "reached.herders"))
	}

	// A group above the total, saved past the form (the store checks one field at a time), is
	// refused by the server naming the field; the device keeps it; the totals do not move.
	edit(insp, map[string]any{"reached": map[string]int{"herders": 46, "near_pension": 25}})
	if res := insp.sync(); res.Rejected != 1 {
		t.Fatalf("the server accepted herders 46 of 45: %+v", res)
	}
	rej, err := insp.DB.Changes(ctx, localstore.StateRejected)
	if err != nil || len(rej) != 1 || len(rej[0].Problems) != 1 || rej[0].Problems[0].Field != "reached.herders" || rej[0].Problems[0].Code != record.ErrOverTotal {
		t.Fatalf("rejected changes %+v %v", rej, err)
	}
	if after := vectorOf(srv.Totals(t, off.token(), year, soumA)); after.String() != v.String() {
		t.Errorf("a refused edit moved the totals: %v → %v", v, after)
	}
	// What the officer's device holds, counted, is what the server says.
	recs, _, err := off.DB.FindRecords(ctx, localstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	held := tally.New()
	for _, r := range recs {
		if _, rv, ok := tally.Of(r.Entity, r.Values); ok {
			held.Add(rv)
		}
	}
	if held.String() != v.String() {
		t.Errorf("the officer's records add up to %v, the server says %v", held, v)
	}
}
