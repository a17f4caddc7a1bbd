package localstore

import (
	"encoding/json"
	"reflect"
	"testing"

	"talbar/syncproto/merge"
)

// TestDecodeFieldsMatchesUnmarshal: the outbox's fast reader gives what json.Unmarshal gives for
// what insertOutbox stores (json.Marshal of a change's fields) and for odd input.
func TestDecodeFieldsMatchesUnmarshal(t *testing.T) {
	stored := func(m map[string]any) string {
		raw := map[string]json.RawMessage{}
		for k, v := range m {
			raw[k], _ = json.Marshal(v)
		}
		b, _ := json.Marshal(raw)
		return string(b)
	}
	cases := []string{
		stored(map[string]any{"kind": "open_day", "date": "2026-03-01", "reached.herders": 12, "partners": []string{"bank", "governor"},
			"place": `Сумын "төв", {a}[b]\ok`, "notes": "line\nnext <b>", "lat": 47.9, "x": nil, "obj": map[string]any{"a": []int{1, 2}, "b": "}"}}),
		`{}`, `{"a":1}`, `{"a":"b\"c"}`, `{"a\"b":1}`, `{ "a": 1 }`, `{"a":[1,{"b":2}],"c":true}`,
		`{"a":}`, `{"a":1,}`, `{"a":"x`, `[1]`, `{"a":1}x`, `{"a" :1}`,
	}
	for _, s := range cases {
		want := map[string]json.RawMessage{}
		werr := json.Unmarshal([]byte(s), &want)
		got, gerr := decodeFields(s)
		if (werr != nil) != (gerr != nil) {
			t.Errorf("%s: error %v, json.Unmarshal %v", s, gerr, werr)
			continue
		}
		if werr != nil {
			continue
		}
		if len(got) != len(want) {
			t.Errorf("%s: got %d fields, want %d", s, len(got), len(want))
		}
		for k, v := range want {
			if !reflect.DeepEqual([]byte(got[k]), []byte(v)) {
				t.Errorf("%s: %s = %s, want %s", s, k, got[k], v)
			}
		}
	}
}

// TestDecodeBeforeMatchesUnmarshal: the before column reads as json.Unmarshal reads it.
func TestDecodeBeforeMatchesUnmarshal(t *testing.T) {
	for _, s := range []string{`{}`, `null`, `{"kind":null,"date":null}`,
		`{"kind":{"v":"open_day","h":"0193","d":"dev"},"date":null,"_record":{"v":null,"h":"0194","d":"x"}}`, `{"a": null}`} {
		var want map[string]*merge.Field
		_ = json.Unmarshal([]byte(s), &want)
		if got := decodeBefore(s); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", s, got, want)
		}
	}
}
