package tally_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"talbar/shared/record"
	"talbar/shared/tally"
)

func TestOfEvent(t *testing.T) {
	var f map[string]json.RawMessage
	_ = json.Unmarshal([]byte(`{"kind":"herder_meeting","date":"2026-05-14","unit":"MN6501",
		"reached":{"herders":40,"self_employed":5},"materials":{"handbook":20},"contracts_signed":3,"contributions_mnt":450000}`), &f)
	k, v, ok := tally.Of("event", f)
	if !ok || k != (tally.Key{Unit: "MN6501", Year: 2026, Month: 5}) {
		t.Fatalf("key=%v ok=%v", k, ok)
	}
	for name, want := range map[string]int64{"events": 1, "events.herder_meeting": 1, "reached": 45,
		"reached.herders": 40, "materials.handbook": 20, "contracts_signed": 3, "contributions_mnt": 450000} {
		if got := v.Get(name); got != want {
			t.Errorf("%s=%d, want %d", name, got, want)
		}
	}
	f["_deleted"] = json.RawMessage("true")
	if _, _, ok := tally.Of("event", f); ok {
		t.Fatal("deleted record counted")
	}
}

func TestOfSurvey(t *testing.T) {
	var f map[string]json.RawMessage
	_ = json.Unmarshal([]byte(`{"date":"2026-05-14","unit":"MN6501","info_access":"no","satisfaction":5}`), &f)
	_, v, ok := tally.Of("survey", f)
	if !ok || v.Get("surveys") != 1 || v.Get("info_no") != 1 || v.Get("satisfied") != 1 {
		t.Fatalf("v=%v ok=%v", v, ok)
	}
	tot := v.Shape("MN", 2026)
	if tot.Surveys.Responses != 1 || tot.Surveys.InfoNo != 1 {
		t.Fatalf("shape=%+v", tot.Surveys)
	}
}

// TestMetricsCoverCatalogue: every metric the catalogue implies is a column, exactly once; a new
// event kind, target group or material fails here until it is appended to Metrics.
func TestMetricsCoverCatalogue(t *testing.T) {
	want := []string{"events", "reached", "consultations", "contracts_signed", "contributions_mnt",
		"surveys", "info_yes", "info_partly", "info_no", "satisfied"}
	for _, k := range record.EventKinds {
		want = append(want, "events."+k.Code)
	}
	for _, g := range record.TargetGroups {
		want = append(want, "reached."+g.Code)
	}
	for _, m := range record.Materials {
		want = append(want, "materials."+m.Code)
	}
	want = append(want, "messages_sent", "broadcasts", "broadcast_minutes", "entries")
	for prefix, list := range map[string][]record.Label{"reached_sex": record.Sexes, "reached_age": record.ParticipantAges,
		"messages": record.TargetGroups, "messages_purpose": record.SMSPurposes, "topics": record.Topics, "channels": record.Channels} {
		for _, l := range list {
			want = append(want, prefix+"."+l.Code)
		}
	}
	count := map[string]int{}
	for _, m := range tally.Metrics {
		count[m]++
	}
	for _, w := range want {
		if count[w] != 1 {
			t.Errorf("metric %q is in Metrics %d times, want once (append it at the end)", w, count[w])
		}
	}
	if len(tally.Metrics) != len(want) {
		t.Errorf("Metrics has %d names, the catalogue implies %d", len(tally.Metrics), len(want))
	}
}

// TestGetUnknownMetricPanics: an unknown name must not read as the events count.
func TestGetUnknownMetricPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Get of an unknown metric returned a figure")
		}
	}()
	tally.New().Get("reached.herder")
}

// TestPeopleReachedIsTheTotal: with a total, people reached is the total, not the sum of the
// (overlapping) groups; without one (a record made before the total existed) it is the sum, as
// it always was; and the new breakdowns, SMS and broadcast figures land in their metrics.
func TestPeopleReachedIsTheTotal(t *testing.T) {
	of := func(js string) tally.Vector {
		t.Helper()
		var f map[string]json.RawMessage
		if err := json.Unmarshal([]byte(js), &f); err != nil {
			t.Fatal(err)
		}
		_, v, ok := tally.Of("event", f)
		if !ok {
			t.Fatalf("%s not counted", js)
		}
		return v
	}
	cases := []struct {
		js   string
		want map[string]int64
	}{
		{`{"kind":"lecture","date":"2026-05-14","unit":"MN6501","reached_total":30,"reached":{"herders":20,"near_pension":15},
			"reached_sex":{"female":18,"male":12},"reached_age":{"55_plus":9},"topics":["pensions","disability"],"channels":["in_person"]}`,
			map[string]int64{"events": 1, "events.lecture": 1, "reached": 30, "reached.herders": 20, "reached.near_pension": 15,
				"reached_sex.female": 18, "reached_sex.male": 12, "reached_age.55_plus": 9,
				"topics.pensions": 1, "topics.disability": 1, "topics.law": 0, "channels.in_person": 1}},
		{`{"kind":"open_day","date":"2025-05-14","unit":"MN6501","reached":{"herders":20,"near_pension":15}}`,
			map[string]int64{"reached": 35, "events.open_day": 1}},
		{`{"kind":"sms_campaign","date":"2026-03-01","unit":"MN6501","messages_sent":500,"messages":{"herders":300,"self_employed":150},"sms_purpose":"payment","topics":["contracts_payments"],"channels":["sms"]}`,
			map[string]int64{"events.sms_campaign": 1, "reached": 0, "messages_sent": 500, "messages.herders": 300,
				"messages.self_employed": 150, "messages_purpose.payment": 500, "messages_purpose.contract": 0, "channels.sms": 1}},
		{`{"kind":"sms_campaign","date":"2026-03-01","unit":"MN6501","messages":{"herders":300,"self_employed":150},"sms_purpose":"contract"}`,
			map[string]int64{"messages_sent": 450, "messages_purpose.contract": 450}},
		{`{"kind":"broadcast","date":"2026-03-01","unit":"MN6501","broadcast_minutes":25}`,
			map[string]int64{"events.broadcast": 1, "broadcasts": 1, "broadcast_minutes": 25}},
		{`{"kind":"broadcast","date":"2026-03-01","unit":"MN6501","broadcasts":4,"broadcast_minutes":100}`,
			map[string]int64{"broadcasts": 4, "broadcast_minutes": 100}},
		{`{"kind":"essay_contest","date":"2026-03-01","unit":"MN6501","entries":42,"reached_total":60,"reached":{"pupils":60}}`,
			map[string]int64{"events.essay_contest": 1, "entries": 42, "reached": 60}},
		// Concurrent edits left a group above the total: the larger counts.
		{`{"kind":"other","kind_other":"x","date":"2026-03-01","unit":"MN6501","reached_total":10,"reached":{"herders":12}}`,
			map[string]int64{"events.other": 1, "reached": 12}},
	}
	for _, c := range cases {
		v := of(c.js)
		// The same record as protocol 2 keeps it, each count a leaf, counts alike (Of reads
		// leaves in place and whole objects through record.Counts).
		var obj map[string]json.RawMessage
		_ = json.Unmarshal([]byte(c.js), &obj)
		leaves := map[string]json.RawMessage{}
		for k, raw := range obj {
			var m map[string]json.RawMessage
			if record.IsCounts(k) && json.Unmarshal(raw, &m) == nil {
				for code, n := range m {
					leaves[record.Leaf(k, code)] = n
				}
				continue
			}
			leaves[k] = raw
		}
		if _, lv, ok := tally.Of("event", leaves); !ok || !reflect.DeepEqual(lv, v) {
			t.Errorf("%s as leaves: %v, as objects %v", c.js, lv, v)
		}
		for name, want := range c.want {
			if got := v.Get(name); got != want {
				t.Errorf("%s: %s=%d, want %d", c.js, name, got, want)
			}
		}
	}
	tot := of(cases[2].js).Shape("MN", 2026)
	if tot.Messages["total"] != 500 || tot.Messages["herders"] != 300 || tot.MessagesPurpose["payment"] != 500 || tot.Channels["sms"] != 1 {
		t.Errorf("shape of an SMS campaign: %+v", tot)
	}
	if tot.Events["sms_campaign"] != 1 {
		t.Errorf("events by kind: %v", tot.Events)
	}
}

// TestEditMovesByTheDifference: an edit of a total moves people reached by the difference, and
// adding a total to an old record replaces the sum of its groups.
func TestEditMovesByTheDifference(t *testing.T) {
	vec := func(js string) tally.Vector {
		var f map[string]json.RawMessage
		_ = json.Unmarshal([]byte(js), &f)
		_, v, _ := tally.Of("event", f)
		return v
	}
	before := vec(`{"kind":"lecture","date":"2026-05-14","unit":"MN6501","reached_total":40,"reached":{"herders":30}}`)
	after := vec(`{"kind":"lecture","date":"2026-05-14","unit":"MN6501","reached_total":45,"reached":{"herders":30}}`)
	d := append(tally.Vector(nil), after...)
	d.Sub(before)
	if d.Get("reached") != 5 || d.Get("events") != 0 || d.Get("reached.herders") != 0 {
		t.Errorf("delta %v, want reached=5 alone", d)
	}
	old := vec(`{"kind":"open_day","date":"2026-05-14","unit":"MN6501","reached":{"herders":30,"pupils":20}}`)
	withTotal := vec(`{"kind":"open_day","date":"2026-05-14","unit":"MN6501","reached_total":42,"reached":{"herders":30,"pupils":20}}`)
	d = append(tally.Vector(nil), withTotal...)
	d.Sub(old)
	if d.Get("reached") != -8 {
		t.Errorf("delta %v, want reached=-8", d)
	}
}
