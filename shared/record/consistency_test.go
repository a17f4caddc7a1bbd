package record_test

import (
	"reflect"
	"testing"

	"talbar/shared/record"
)

// TestNewKindsValidate: every field of the new activities is accepted, and its codes checked.
func TestNewKindsValidate(t *testing.T) {
	f := fields(t, `{"kind":"sms_campaign","date":"2026-03-02","unit":"MN6501","bagh":"3-р баг","topics":["pensions","contributions_check"],
		"channels":["sms"],"messages_sent":800,"messages":{"near_pension":500,"herders":300},"sms_purpose":"pre_retirement",
		"partners":["social_worker","youth","diaspora"],"reached_total":0,"reached_sex":{"female":0},"reached_age":{"55_plus":0},
		"broadcasts":1,"broadcast_minutes":30,"entries":3,"kind_other":"x"}`)
	if probs, unknown := record.Validate("event", f, record.Options{Create: true, Units: leaves{"MN6501": true}}); len(probs) > 0 || len(unknown) > 0 {
		t.Fatalf("problems %v, unknown %v", probs, unknown)
	}
	bad := fields(t, `{"topics":["astrology"],"channels":["sms","sms"],"sms_purpose":"spam","reached_age":{"55+":1},"messages.herders":-1}`)
	probs, _ := record.Validate("event", bad, record.Options{})
	var got [][2]string
	for _, p := range probs {
		got = append(got, [2]string{p.Field, p.Code})
	}
	want := [][2]string{{"channels", record.ErrDuplicate}, {"messages.herders", record.ErrNegative},
		{"reached_age.55+", record.ErrInvalidCode}, {"sms_purpose", record.ErrInvalidCode}, {"topics", record.ErrInvalidCode}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

// TestConsistency: a group above the total, sexes or age bands adding up to more than it, and an
// "other" without a description are problems named by their field; a record without a total is
// not bounded (records made before it existed).
func TestConsistency(t *testing.T) {
	cases := []struct {
		js   string
		want [][2]string
	}{
		{`{"kind":"lecture","reached_total":30,"reached":{"herders":20,"near_pension":25}}`, nil},
		{`{"kind":"lecture","reached_total":30,"reached":{"herders":31,"pupils":30}}`, [][2]string{{"reached.herders", record.ErrOverTotal}}},
		{`{"kind":"lecture","reached_total":30,"reached_sex":{"female":20,"male":11}}`, [][2]string{{"reached_sex", record.ErrOverTotal}}},
		{`{"kind":"lecture","reached_total":30,"reached_age":{"under_18":31}}`, [][2]string{{"reached_age", record.ErrOverTotal}, {"reached_age.under_18", record.ErrOverTotal}}},
		{`{"kind":"open_day","reached":{"herders":31,"pupils":30}}`, nil},
		{`{"kind":"sms_campaign","messages_sent":100,"messages":{"herders":101}}`, [][2]string{{"messages.herders", record.ErrOverTotal}}},
		{`{"kind":"other"}`, [][2]string{{"kind_other", record.ErrRequired}}},
		{`{"kind":"other","kind_other":"Эмнэлэгт өгсөн мэдээлэл"}`, nil},
	}
	for _, c := range cases {
		var got [][2]string
		for _, p := range record.Consistency("event", fields(t, c.js)) {
			got = append(got, [2]string{p.Field, p.Code})
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.js, got, c.want)
		}
	}
	if ps := record.Consistency("survey", fields(t, `{"kind":"other"}`)); ps != nil {
		t.Errorf("survey: %v", ps)
	}
}

func TestInvolves(t *testing.T) {
	over := record.Problem{Field: "reached.herders", Code: record.ErrOverTotal}
	sum := record.Problem{Field: "reached_sex", Code: record.ErrOverTotal}
	other := record.Problem{Field: "kind_other", Code: record.ErrRequired}
	for _, c := range []struct {
		p     record.Problem
		field string
		want  bool
	}{
		{over, "reached.herders", true}, {over, "reached_total", true}, {over, "reached.pupils", false}, {over, "notes", false},
		{sum, "reached_sex.male", true}, {sum, "reached_total", true}, {sum, "reached.herders", false},
		{other, "kind", true}, {other, "kind_other", true}, {other, "date", false},
	} {
		if got := record.Involves(c.p, c.field); got != c.want {
			t.Errorf("Involves(%s, %s) = %v", c.p.Field, c.field, got)
		}
	}
}
