package merge_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"

	"talbar/syncproto"
	"talbar/syncproto/hlc"
	"talbar/syncproto/merge"
)

type devChange struct {
	c   syncproto.Change
	dev string
}

// gen builds random upserts, deletes and restores of a few records from several devices.
func gen(r *rand.Rand, n int) []devChange {
	devs := []string{"dev-a", "dev-b", "dev-c"}
	var out []devChange
	for i := 0; i < n; i++ {
		rec := fmt.Sprintf("rec-%d", r.Intn(4))
		c := syncproto.Change{ID: fmt.Sprintf("ch-%d", i), Entity: "event", RecordID: rec,
			HLC: hlc.New(int64(1000+r.Intn(50)), uint16(r.Intn(3))).String(), Op: syncproto.OpUpsert,
			Fields: map[string]json.RawMessage{}}
		switch r.Intn(5) {
		case 0:
			c.Op = syncproto.OpDelete
			c.Fields = nil
		case 1:
			c.Fields["_deleted"] = json.RawMessage("false")
		default:
			c.Fields["consultations"] = json.RawMessage(fmt.Sprint(r.Intn(100)))
			if r.Intn(2) == 0 {
				c.Fields["place"] = json.RawMessage(fmt.Sprintf("%q", fmt.Sprint("p", r.Intn(9))))
			}
		}
		out = append(out, devChange{c, devs[r.Intn(len(devs))]})
	}
	return out
}

func mergeAll(cs []devChange) map[string][]byte {
	recs := map[string]*merge.Record{}
	for _, dc := range cs {
		r := recs[dc.c.RecordID]
		if r == nil {
			r = &merge.Record{}
			recs[dc.c.RecordID] = r
		}
		merge.Apply(r, dc.c, dc.dev)
	}
	out := map[string][]byte{}
	for k, r := range recs {
		out[k] = r.Marshal()
	}
	return out
}

func FuzzMergeOrderIndependent(f *testing.F) {
	for i := int64(0); i < 20; i++ {
		f.Add(i)
	}
	f.Fuzz(func(t *testing.T, seed int64) {
		r := rand.New(rand.NewSource(seed))
		cs := gen(r, 40)
		want := mergeAll(cs)
		shuffled := append([]devChange(nil), cs...)
		shuffled = append(shuffled, cs[:r.Intn(len(cs))]...) // duplicates
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got := mergeAll(shuffled)
		for k := range want {
			if !bytes.Equal(want[k], got[k]) {
				t.Fatalf("record %s differs:\n%s\n%s", k, want[k], got[k])
			}
		}
	})
}

func TestDeleteAndRestore(t *testing.T) {
	r := &merge.Record{}
	up := func(h uint16, f string) syncproto.Change {
		var m map[string]json.RawMessage
		_ = json.Unmarshal([]byte(f), &m)
		return syncproto.Change{RecordID: "r", Entity: "event", Op: syncproto.OpUpsert, HLC: hlc.New(5, h).String(), Fields: m}
	}
	merge.Apply(r, up(1, `{"consultations":40}`), "a")
	merge.Apply(r, syncproto.Change{Op: syncproto.OpDelete, HLC: hlc.New(5, 2).String()}, "a")
	merge.Apply(r, up(3, `{"consultations":45}`), "b")
	if !r.Deleted() {
		t.Fatal("an edit must leave a deleted record deleted")
	}
	merge.Apply(r, up(4, `{"_deleted":false}`), "b")
	if r.Deleted() {
		t.Fatal("restore failed")
	}
	if got := string(r.Values()["consultations"]); got != "45" {
		t.Fatalf("consultations=%s", got)
	}
	// A stale edit moves nothing.
	if merge.Apply(r, up(0, `{"consultations":1}`), "z") {
		t.Fatal("stale edit changed the record")
	}
}

func TestStateRestoresSameRecord(t *testing.T) {
	r := &merge.Record{}
	merge.Apply(r, syncproto.Change{RecordID: "r", Entity: "event", Op: "upsert", HLC: hlc.New(5, 1).String(),
		Fields: map[string]json.RawMessage{"kind": json.RawMessage(`"open_day"`), "consultations": json.RawMessage("3")}}, "a")
	merge.Apply(r, syncproto.Change{RecordID: "r", Entity: "event", Op: "upsert", HLC: hlc.New(6, 0).String(),
		Fields: map[string]json.RawMessage{"consultations": json.RawMessage("4")}}, "b")
	fresh := &merge.Record{}
	for _, sc := range r.State() {
		merge.Apply(fresh, sc.Change, sc.Device)
	}
	if !bytes.Equal(fresh.Marshal(), r.Marshal()) {
		t.Fatalf("state replay differs:\n%s\n%s", fresh.Marshal(), r.Marshal())
	}
}

func TestMarshalMatchesEncodingJSON(t *testing.T) {
	r := &merge.Record{}
	merge.Apply(r, syncproto.Change{RecordID: "r\"1", Entity: "event", Op: "upsert", HLC: hlc.New(5, 1).String(),
		Fields: map[string]json.RawMessage{"notes": json.RawMessage(`"Сайн \"х\""`), "reached": json.RawMessage(`{"herders": 4}`), "z\n": json.RawMessage(`null`)}}, "dev")
	merge.Apply(r, syncproto.Change{RecordID: "r\"1", Entity: "event", Op: "upsert", HLC: hlc.New(6, 0).String(),
		Fields: map[string]json.RawMessage{"kind": json.RawMessage(`"open_day"`)}}, "other")
	b := r.Marshal()
	if !json.Valid(b) {
		t.Fatalf("invalid JSON: %s", b)
	}
	if viaJSON, _ := json.Marshal(r); !bytes.Equal(viaJSON, b) {
		t.Fatalf("json.Marshal=%s\nMarshal=%s", viaJSON, b)
	}
	var back merge.Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Marshal(), b) || back.Fields["kind"].D != "other" || back.Fields["notes"].D != "dev" {
		t.Fatalf("round trip: %s\n%s", back.Marshal(), b)
	}
	fields := map[string]json.RawMessage{"b": json.RawMessage(`[1, 2]`), "a": json.RawMessage(`"x"`)}
	want, _ := json.Marshal(fields)
	if got := merge.EncodeFields(fields); !bytes.Equal(got, want) {
		t.Fatalf("EncodeFields=%s\nwant %s", got, want)
	}
}

// TestUnmarshalFirstForm reads records stored in the first, per-field JSON form.
func TestUnmarshalFirstForm(t *testing.T) {
	var r merge.Record
	if err := json.Unmarshal([]byte(`{"id":"r","entity":"event","fields":{"kind":{"v":"open_day","h":"0000000000050001","d":"a"}}}`), &r); err != nil {
		t.Fatal(err)
	}
	if f := r.Fields["kind"]; string(f.V) != `"open_day"` || f.D != "a" || r.ID != "r" {
		t.Fatalf("read %+v", r)
	}
}
