package record_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"talbar/shared/record"
)

type leaves map[string]bool

func (l leaves) IsLeaf(c string) bool { return l[c] }

func fields(t *testing.T, js string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestValidateEventAllProblems(t *testing.T) {
	f := fields(t, `{"kind":"picnic","date":"2018-12-31","unit":"MN-073","reached":{"herders":-3,"aliens":1},
		"consultations":1.5,"lat":10,"place":"x","colour":"blue"}`)
	probs, unknown := record.Validate("event", f, record.Options{Create: true, Units: leaves{"MN6501": true}})
	var got [][2]string
	for _, p := range probs {
		got = append(got, [2]string{p.Field, p.Code})
	}
	want := [][2]string{
		{"consultations", record.ErrInvalidType},
		{"date", record.ErrTooEarly},
		{"kind", record.ErrInvalidCode},
		{"lat", record.ErrOutOfRange},
		{"reached.aliens", record.ErrInvalidCode},
		{"reached.herders", record.ErrNegative},
		{"unit", record.ErrUnknownUnit},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("problems=%v\nwant %v", got, want)
	}
	if !reflect.DeepEqual(unknown, []string{"colour"}) {
		t.Fatalf("unknown=%v", unknown)
	}
}

func TestValidateNegativeCount(t *testing.T) {
	f := fields(t, `{"reached":{"herders":-3}}`)
	probs, _ := record.Validate("event", f, record.Options{})
	if len(probs) != 1 || probs[0].Field != "reached.herders" || probs[0].Code != record.ErrNegative {
		t.Fatalf("problems=%v", probs)
	}
}

func TestValidateCreateRequiresFields(t *testing.T) {
	probs, _ := record.Validate("survey", fields(t, `{"date":"2026-05-01"}`), record.Options{Create: true})
	var missing []string
	for _, p := range probs {
		if p.Code == record.ErrRequired {
			missing = append(missing, p.Field)
		}
	}
	want := []string{"age_band", "info_access", "insurance_status", "satisfaction", "target_group", "unit"}
	if !reflect.DeepEqual(missing, want) {
		t.Fatalf("missing=%v, want %v", missing, want)
	}
}

func TestValidateGoodRecords(t *testing.T) {
	ev := fields(t, `{"kind":"herder_meeting","date":"2026-05-14","unit":"MN6501","occasion":"livestock_census",
		"partners":["governor","bank"],"reached":{"herders":40},"materials":{"handbook":20},"consultations":12,
		"contracts_signed":3,"contributions_mnt":450000,"lat":47.47,"lon":101.45,"notes":"Сайн"}`)
	if probs, _ := record.Validate("event", ev, record.Options{Create: true, Units: leaves{"MN6501": true}}); len(probs) != 0 {
		t.Fatalf("event problems=%v", probs)
	}
	sv := fields(t, `{"date":"2026-05-14","unit":"MN6501","target_group":"herders","age_band":"55+","sex":"female",
		"insurance_status":"voluntary","info_access":"partly","info_sources":["tv","officer"],"satisfaction":4}`)
	if probs, _ := record.Validate("survey", sv, record.Options{Create: true}); len(probs) != 0 {
		t.Fatalf("survey problems=%v", probs)
	}
}

func TestValidateNullClearsOptionalOnly(t *testing.T) {
	probs, _ := record.Validate("event", fields(t, `{"notes":null,"kind":null}`), record.Options{})
	if len(probs) != 1 || probs[0].Field != "kind" || probs[0].Code != record.ErrRequired {
		t.Fatalf("problems=%v", probs)
	}
}

func TestValidateUnknownEntity(t *testing.T) {
	probs, _ := record.Validate("meeting", nil, record.Options{})
	if len(probs) != 1 || probs[0].Field != "entity" {
		t.Fatalf("problems=%v", probs)
	}
}

func TestValidateLatestDate(t *testing.T) {
	now := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	latest := record.LatestDate(now)
	if got := latest.Format("2006-01-02"); got != "2026-12-02" {
		t.Fatalf("LatestDate = %s, want tomorrow", got)
	}
	for date, want := range map[string]string{"2026-12-01": "", "2026-12-02": "", "2026-12-03": record.ErrTooLate,
		"2027-12-01": record.ErrTooLate, "2018-12-31": record.ErrTooEarly} {
		probs, _ := record.Validate("event", fields(t, `{"date":"`+date+`"}`), record.Options{Latest: latest})
		got := ""
		if len(probs) > 0 {
			got = probs[0].Code
		}
		if got != want {
			t.Errorf("date %s: problem %q, want %q", date, got, want)
		}
	}
	// Without Latest (the server's old callers) a future date passes.
	if probs, _ := record.Validate("event", fields(t, `{"date":"2030-01-01"}`), record.Options{}); len(probs) != 0 {
		t.Fatalf("no Latest: %v", probs)
	}
}

func TestLimit(t *testing.T) {
	for field, want := range map[string][3]any{
		"reached.herders": {"count", 0.0, float64(record.MaxCount)}, "consultations": {"count", 0.0, float64(record.MaxCount)},
		"contributions_mnt": {"count", 0.0, float64(record.MaxContributions)}, "lat": {"coord", record.MinLat, record.MaxLat},
		"satisfaction": {"scale", 1.0, 5.0}, "date": {"date", 0.0, 0.0}, "kind": {"", 0.0, 0.0}, "nope": {"", 0.0, 0.0}} {
		k, lo, hi := record.Limit(field)
		if k != want[0] || lo != want[1] || hi != want[2] {
			t.Errorf("Limit(%s) = %s %v %v, want %v", field, k, lo, hi, want)
		}
	}
}

// Ids are UUIDs of a defined version and the RFC 9562 variant, in lower case: any other spelling
// or a made-up string could name one record twice or none.
func TestCanonicalID(t *testing.T) {
	for id, want := range map[string]bool{
		"0193a4b2-0000-7000-8000-000000000001":   true,  // v7, as the apps make
		"6f1d2a4e-5b0c-5c1e-9d3a-7a2b8c9d0e1f":   true,  // v5, the server's derived ids
		"0193a4b2-0000-7000-8000-00000000000A":   false, // upper case
		"0193a4b2-0000-0000-8000-000000000001":   false, // version 0
		"0193a4b2-0000-9000-8000-000000000001":   false, // version 9
		"0193a4b2-0000-7000-c000-000000000001":   false, // Microsoft's variant
		"0193a4b2-0000-7000-7000-000000000001":   false, // NCS variant
		"00000000-0000-0000-0000-000000000000":   false,
		"{0193a4b2-0000-7000-8000-000000000001}": false,
		"0193a4b200007000800000000000000001xx":   false,
	} {
		if got := record.CanonicalID(id); got != want {
			t.Errorf("CanonicalID(%q) = %v, want %v", id, got, want)
		}
	}
}

// TestValidateBroadcastDivisionOnly: a local TV or radio broadcast (Annex 1 2.5, level "О") is
// refused from a soum inspector, naming the kind and the code the field app translates; a
// division officer's, and an inspector's lecture, pass.
func TestValidateBroadcastDivisionOnly(t *testing.T) {
	ev := map[string]json.RawMessage{"kind": json.RawMessage(`"broadcast"`), "date": json.RawMessage(`"2025-03-04"`), "unit": json.RawMessage(`"MN6501"`)}
	probs, _ := record.Validate(record.EntityEvent, ev, record.Options{SoumInspector: true})
	if len(probs) != 1 || probs[0].Field != "kind" || probs[0].Code != record.ErrDivisionOnly {
		t.Fatalf("inspector's broadcast: %+v", probs)
	}
	if probs, _ := record.Validate(record.EntityEvent, ev, record.Options{}); len(probs) != 0 {
		t.Errorf("officer's broadcast: %+v", probs)
	}
	ev["kind"] = json.RawMessage(`"lecture"`)
	if probs, _ := record.Validate(record.EntityEvent, ev, record.Options{SoumInspector: true}); len(probs) != 0 {
		t.Errorf("inspector's lecture: %+v", probs)
	}
}
