package push

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"testing"
	"time"

	"talbar/server/store"
	"talbar/syncproto"
	"talbar/syncproto/merge"
)

// entry is a logged change for the conflict rules' tests.
func entry(dev, h, op string, fields map[string]string, base map[string]string) store.LogEntry {
	c := syncproto.Change{RecordID: "r", Entity: "event", Op: op, HLC: h, Base: base, Fields: map[string]json.RawMessage{}}
	for k, v := range fields {
		c.Fields[k] = json.RawMessage(v)
	}
	return store.LogEntry{Change: c, DeviceID: dev}
}

func lostOf(cs []store.Conflict) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s %s %s kept %s", c.Field, c.Lost.HLC, c.Lost.Device, c.Kept.HLC))
	}
	sort.Strings(out)
	return out
}

// The rules of ConflictSet's doc comment, each case in every order of its changes.
func TestConflictSetRules(t *testing.T) {
	up, del := syncproto.OpUpsert, syncproto.OpDelete
	create := entry("A", "10", up, map[string]string{"consultations": "5"}, nil)
	cases := []struct {
		name    string
		entries []store.LogEntry
		want    []string
	}{
		{"concurrent edits: the loser is kept",
			[]store.LogEntry{create,
				entry("A", "20", up, map[string]string{"consultations": "6"}, map[string]string{"consultations": "10", "*": "10"}),
				entry("B", "30", up, map[string]string{"consultations": "7"}, map[string]string{"consultations": "10", "*": "10"})},
			[]string{"consultations 20 A kept 30"}},
		{"an edit made from a value replaced it knowingly, even when a concurrent one won meanwhile",
			[]store.LogEntry{create,
				entry("A", "20", up, map[string]string{"consultations": "6"}, map[string]string{"consultations": "10", "*": "10"}),
				entry("C", "30", up, map[string]string{"consultations": "8"}, map[string]string{"consultations": "10", "*": "10"}),
				entry("B", "40", up, map[string]string{"consultations": "7"}, map[string]string{"consultations": "20", "*": "20"})},
			[]string{"consultations 30 C kept 40"}},
		{"the writer's later edit supersedes its lost value",
			[]store.LogEntry{create,
				entry("A", "20", up, map[string]string{"consultations": "6"}, map[string]string{"consultations": "10", "*": "10"}),
				entry("B", "30", up, map[string]string{"consultations": "7"}, map[string]string{"consultations": "10", "*": "10"}),
				entry("A", "40", up, map[string]string{"consultations": "9"}, map[string]string{"consultations": "30", "*": "30"})},
			nil},
		{"edits the delete had not seen: each writer's last one, against the winning delete",
			[]store.LogEntry{create,
				entry("B", "20", up, map[string]string{"consultations": "6"}, map[string]string{"consultations": "10", "*": "10"}),
				entry("B", "25", up, map[string]string{"place": `"x"`}, map[string]string{"place": "", "*": "20"}),
				entry("C", "30", up, map[string]string{"consultations": "8"}, map[string]string{"consultations": "10", "*": "10"}),
				entry("A", "40", del, nil, map[string]string{"_deleted": "", "*": "10"}),
				entry("D", "50", del, nil, map[string]string{"_deleted": "", "*": "10"})},
			[]string{"_deleted 25 B kept 50", "_deleted 30 C kept 50", "consultations 20 B kept 30"}},
		{"a delete that saw the edit removed it knowingly",
			[]store.LogEntry{create,
				entry("B", "20", up, map[string]string{"consultations": "6"}, map[string]string{"consultations": "10", "*": "10"}),
				entry("A", "40", del, nil, map[string]string{"_deleted": "", "*": "20"})},
			nil},
		{"a restore against a concurrent delete",
			[]store.LogEntry{create,
				entry("A", "20", del, nil, map[string]string{"_deleted": "", "*": "10"}),
				entry("B", "30", up, map[string]string{"_deleted": "false"}, map[string]string{"_deleted": "", "*": "10"})},
			[]string{"_deleted 20 A kept 30"}},
	}
	r := rand.New(rand.NewSource(1))
	for _, tc := range cases {
		sr := &store.StoredRecord{Rec: merge.Record{ID: "r", Entity: "event"}}
		for i := 0; i < 8; i++ {
			es := append([]store.LogEntry(nil), tc.entries...)
			r.Shuffle(len(es), func(a, b int) { es[a], es[b] = es[b], es[a] })
			if i%2 == 1 {
				es = append(es, es[r.Intn(len(es))]) // a repeat, as a move's derived copy is
			}
			if got := lostOf(ConflictSet(sr, es, time.Time{})); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s (order %d): %v, want %v", tc.name, i, got, tc.want)
			}
		}
	}
}
