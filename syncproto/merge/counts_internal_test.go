package merge

import (
	"encoding/json"
	"testing"
)

// TestCountsObjectMatchesMarshal: the hand-written counts object is byte for byte what
// json.Marshal gives, for plain and for odd codes and values.
func TestCountsObjectMatchesMarshal(t *testing.T) {
	for _, m := range []map[string]json.RawMessage{
		{"herders": json.RawMessage("25"), "abroad": json.RawMessage("0"), "self_employed": json.RawMessage("-3")},
		{"a<b": json.RawMessage("1")},
		{"herders": json.RawMessage(`"<x>"`)},
		{"herders": json.RawMessage("1.5e3")},
		{},
	} {
		want, _ := json.Marshal(m)
		if got := countsObject(m); string(got) != string(want) {
			t.Errorf("countsObject(%v) = %s, want %s", m, got, want)
		}
	}
}
