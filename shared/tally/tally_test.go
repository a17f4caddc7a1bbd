package tally_test

import (
	"encoding/json"
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
