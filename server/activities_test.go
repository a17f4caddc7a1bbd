package main

import (
	"slices"
	"testing"

	"talbar/shared/record"
	"talbar/syncproto"
)

// TestActivityKindsOverHTTP pushes the field activities of issue 14 to the real server: the new
// kinds, topics, channels, partners, a bagh, participants in all and by group, sex and age, an SMS
// campaign and a broadcast are accepted and land in the totals; a group above the total, sexes
// adding up to more than it and an "other" without its description are refused naming the field;
// an edit of one count that would exceed the total is refused, an edit of the total moves people
// reached by the difference; and an old-style record (groups, no total) still counts their sum.
func TestActivityKindsOverHTTP(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	a := enrollDevice(t, m, "MN6501", "inspector")

	lectureID := newID()
	lecture := a.change(lectureID, "event", "upsert", `{"kind":"lecture","date":"2026-05-14","unit":"MN6501","bagh":"3-р баг",
		"topics":["pensions","disability"],"channels":["in_person","printed"],"partners":["social_worker","school"],
		"reached_total":40,"reached":{"herders":30,"near_pension":25},"reached_sex":{"female":22,"male":18},"reached_age":{"55_plus":12}}`)
	sms := a.change(newID(), "event", "upsert", `{"kind":"sms_campaign","date":"2026-05-20","unit":"MN6501","sms_purpose":"payment",
		"messages_sent":600,"messages":{"herders":400,"self_employed":200},"topics":["contracts_payments"],"channels":["sms"]}`)
	// A broadcast is division work (2.5, level "О"): the soum inspector's is refused naming the
	// kind, the aimag division officer's is counted.
	const broadcastFields = `{"kind":"broadcast","date":"2026-05-21","unit":"MN6501","broadcasts":2,"broadcast_minutes":40,"channels":["radio"]}`
	soumBroadcast := a.change(newID(), "event", "upsert", broadcastFields)
	old := a.event("MN6501", "open_day", 15, `,"reached":{"herders":15,"pupils":10}`)
	overGroup := a.change(newID(), "event", "upsert", `{"kind":"workplace_talk","date":"2026-05-14","unit":"MN6501","reached_total":10,"reached":{"self_employed":11}}`)
	overSex := a.change(newID(), "event", "upsert", `{"kind":"lecture","date":"2026-05-14","unit":"MN6501","reached_total":10,"reached_sex":{"female":6,"male":5}}`)
	otherBare := a.change(newID(), "event", "upsert", `{"kind":"other","date":"2026-05-14","unit":"MN6501","reached_total":5}`)
	otherOK := a.change(newID(), "event", "upsert", `{"kind":"other","kind_other":"Эмнэлгийн ажилтнуудад","date":"2026-05-14","unit":"MN6501","reached_total":5}`)
	badTopic := a.change(newID(), "event", "upsert", `{"kind":"lecture","date":"2026-05-14","unit":"MN6501","topics":["weather"]}`)

	r := a.push(lecture, sms, soumBroadcast, old, overGroup, overSex, otherBare, otherOK, badTopic)
	if want := []string{lecture.ID, sms.ID, old.ID, otherOK.ID}; !slices.Equal(r.Accepted, want) {
		t.Fatalf("accepted %v, want %v; rejected %+v", r.Accepted, want, r.Rejected)
	}
	off := enrollDevice(t, m, "MN-073", syncproto.RoleOfficer)
	if ro := off.push(off.change(newID(), "event", "upsert", broadcastFields)); len(ro.Accepted) != 1 {
		t.Fatalf("the division officer's broadcast: %+v", ro)
	}
	problem := map[string][2]string{}
	for _, rj := range r.Rejected {
		if rj.Code != syncproto.RejectInvalid || len(rj.Problems) != 1 {
			t.Fatalf("rejection %+v", rj)
		}
		problem[rj.ID] = [2]string{rj.Problems[0].Field, rj.Problems[0].Code}
	}
	for id, want := range map[string][2]string{overGroup.ID: {"reached.self_employed", record.ErrOverTotal},
		overSex.ID: {"reached_sex", record.ErrOverTotal}, otherBare.ID: {"kind_other", record.ErrRequired},
		badTopic.ID: {"topics", record.ErrInvalidCode}, soumBroadcast.ID: {"kind", record.ErrDivisionOnly}} {
		if problem[id] != want {
			t.Errorf("change %s: problem %v, want %v", id, problem[id], want)
		}
	}

	tot := nationalTotals(t, a, 2026)
	// 40 (the lecture's total, not 30+25) + 25 (the old open day's groups) + 5 (other).
	if tot.Reached["total"] != 70 || tot.Reached["near_pension"] != 25 || tot.Reached["herders"] != 45 {
		t.Errorf("reached %v", tot.Reached)
	}
	for kind, want := range map[string]int64{"lecture": 1, "sms_campaign": 1, "broadcast": 1, "open_day": 1, "other": 1, "workplace_talk": 0} {
		if tot.Events[kind] != want {
			t.Errorf("events.%s = %d, want %d", kind, tot.Events[kind], want)
		}
	}
	if tot.Messages["total"] != 600 || tot.Messages["herders"] != 400 || tot.MessagesPurpose["payment"] != 600 ||
		tot.Broadcasts != 2 || tot.BroadcastMinutes != 40 || tot.Topics["pensions"] != 1 || tot.Channels["sms"] != 1 ||
		tot.ReachedSex["female"] != 22 || tot.ReachedAge["55_plus"] != 12 {
		t.Errorf("totals %+v", tot)
	}

	// An edit of one count alone (protocol 2) above the stored total is refused; one of the total moves
	// reached by the difference.
	edit := a.change(lectureID, "event", "upsert", `{"reached.herders":41}`)
	edit.Base = map[string]string{"reached.herders": lecture.HLC}
	raise := a.change(lectureID, "event", "upsert", `{"reached_total":46}`)
	raise.Base = map[string]string{"reached_total": lecture.HLC}
	r = a.push(edit, raise)
	if !slices.Equal(r.Accepted, []string{raise.ID}) || len(r.Rejected) != 1 || r.Rejected[0].Problems[0].Field != "reached.herders" {
		t.Fatalf("edits: accepted %v rejected %+v", r.Accepted, r.Rejected)
	}
	if got := nationalTotals(t, a, 2026).Reached["total"]; got != 76 {
		t.Errorf("reached after raising the lecture's total to 46: %d, want 76", got)
	}
	// An old record given a total now counts the total, not its groups' sum.
	fix := a.change(old.RecordID, "event", "upsert", `{"reached_total":20}`)
	fix.Base = map[string]string{"reached_total": ""}
	if r := a.push(fix); len(r.Accepted) != 1 {
		t.Fatalf("total on the old record: %+v", r.Rejected)
	}
	if got := nationalTotals(t, a, 2026).Reached["total"]; got != 71 {
		t.Errorf("reached after the old record got a total of 20: %d, want 71", got)
	}
}
