package syncproto_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"talbar/shared/record"
	"talbar/syncproto"
)

// pushSeed wraps fields (a JSON object's inside) in a push of one event upsert.
func pushSeed(fields string) []byte {
	return []byte(fmt.Sprintf(`{"protocol":%d,"changes":[{"id":"01a234c4-c946-7363-9687-d1ecb5ba9c0b","entity":"event",`+
		`"record_id":"01a234c4-c946-72c0-a7fd-475d5aea52e4","op":"upsert","hlc":"01a234c4c94e0000","fields":{%s}}]}`, syncproto.Protocol, fields))
}

// reviewSeeds are the security review's inputs (reviews/security.md), small enough for a corpus.
func reviewSeeds() [][]byte {
	base := `"kind":"open_day","date":"2026-05-14","unit":"MN6501"`
	return [][]byte{
		pushSeed(base + `,"x":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998)), // D1
		pushSeed(base + `,"x":` + strings.Repeat("[", 9) + strings.Repeat("]", 9)),
		pushSeed(base + `,"blob":"` + strings.Repeat("A", 5000) + `"`), // D2, smaller
		pushSeed(base + `,"place":"bad` + "\xff\xfe" + `utf8"`),        // D11
		pushSeed(base + `,"place":"a\u0000b","x` + "\xff" + `":1`),
		pushSeed(`"kind":"open_day","date":"9999-12-31","unit":"MN6501"`), // D13
		pushSeed(base + `,"reached.herders":5,"reached":{"herders":"x"}`),
		pushSeed(base + `,"unit":"MN6504","Unit":"MN6501"`), // D32/33
		[]byte(`{"protocol":1,"changes":[{"id":"01A234C4-C946-7363-9687-D1ECB5BA9C0B","entity":"event","record_id":"X","op":"delete","hlc":"ffffffffffffffff","device_id":"~~~~","fields":{"blob":"y"}}]}`),
		[]byte(`{"protocol":1,"changes":[`), []byte(`{"changes":{}}`), []byte(`[]`), []byte(`{"protocol":NaN}`),
	}
}

// FuzzPushDecoder decodes arbitrary push bodies as the server does. It must never panic, and every
// change whose fields validate must survive the trip to a device: encode it as a pull would, and
// it decodes back, as valid UTF-8, within the depth and size bounds.
func FuzzPushDecoder(f *testing.F) {
	for _, s := range reviewSeeds() {
		f.Add(s)
	}
	opt := record.Options{Latest: record.LatestDate(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := syncproto.DecodePush(b, 50)
		if err != nil {
			return
		}
		if d := record.Depth(b); d > syncproto.MaxPushDepth {
			t.Fatalf("decoded a body nested %d deep", d)
		}
		for _, c := range req.Changes {
			if c.Op != syncproto.OpUpsert || !record.KnownEntity(c.Entity) {
				continue
			}
			if probs, _ := record.Validate(c.Entity, c.Fields, opt); len(probs) > 0 {
				continue
			}
			checkPullable(t, c)
		}
	})
}

// checkPullable encodes c in a pull page and decodes it as the field app does.
func checkPullable(t *testing.T, c syncproto.Change) {
	t.Helper()
	page, err := json.Marshal(syncproto.PullResponse{Changes: []syncproto.Change{c}, Cursor: "1"})
	if err != nil {
		t.Fatalf("encode an accepted change: %v", err)
	}
	if !utf8.Valid(page) {
		t.Fatalf("a pull page of an accepted change is not UTF-8: %q", page)
	}
	if d := record.Depth(page); d > 4+record.MaxUnknownDepth {
		t.Fatalf("a pull page nested %d deep", d)
	}
	if len(page) > record.MaxRecordBytes*7+4096 { // \u escapes may grow a byte to six
		t.Fatalf("a pull page of one accepted change is %d bytes", len(page))
	}
	body, err := syncproto.ReadBody(bytes.NewReader(page), "", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var back syncproto.PullResponse
	if err := json.Unmarshal(body, &back); err != nil || len(back.Changes) != 1 {
		t.Fatalf("decode a pull page: %v", err)
	}
	for k, v := range c.Fields {
		if got, sent := decoded(t, back.Changes[0].Fields[k]), decoded(t, v); !reflect.DeepEqual(got, sent) {
			t.Fatalf("field %q came back %s, sent %s", k, back.Changes[0].Fields[k], v)
		}
	}
}

// FuzzPullEncoder builds a change from one arbitrary field besides the required ones; whatever
// validation accepts must encode in a pull page and decode back unchanged.
func FuzzPullEncoder(f *testing.F) {
	for _, s := range []struct{ name, v string }{{"x", strings.Repeat("[", 8) + strings.Repeat("]", 8)}, {"place", `"Сумын төв"`},
		{"notes", `"a\nb\tc"`}, {"blob", `"` + strings.Repeat("A", 4000) + `"`}, {"x", `{"a":[1,{"b":null}]}`},
		{"place", `"\u0000"`}, {"reached.herders", `12`}, {"extra", "\"\xff\""}, {"p", `"\ud800"`}} {
		f.Add(s.name, []byte(s.v))
	}
	f.Fuzz(func(t *testing.T, name string, raw []byte) {
		if !json.Valid(raw) {
			return // the push decoder only ever hands valid JSON to validation
		}
		fields := map[string]json.RawMessage{"kind": json.RawMessage(`"open_day"`), "date": json.RawMessage(`"2026-05-14"`),
			"unit": json.RawMessage(`"MN6501"`), name: raw}
		if probs, _ := record.Validate(record.EntityEvent, fields, record.Options{}); len(probs) > 0 {
			return
		}
		checkPullable(t, syncproto.Change{ID: "01a234c4-c946-7363-9687-d1ecb5ba9c0b", Entity: record.EntityEvent,
			RecordID: "01a234c4-c946-72c0-a7fd-475d5aea52e4", Op: syncproto.OpUpsert, HLC: "01a234c4c94e0000", Fields: fields})
	})
}

// decoded is a JSON value as data, so escapes that encoding/json adds (\u0026 for &) compare equal.
func decoded(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", raw, err)
	}
	return v
}
