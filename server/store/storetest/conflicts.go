package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"talbar/server/store"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// ConflictsKept is the conflicts property: devices that all pulled a record edit its fields
// concurrently (each device's edits in its own order, its clock right, 10 years behind or a
// minute ahead and corrected by what it pulled); delivered in any order, duplicated and batched
// anyhow, every store ends with the same record and keeps exactly the overwritten values as open
// conflicts: each device's last value of each field except the one that won, none missing,
// none invented.
func ConflictsKept(t *testing.T, open Opener, seed int64) {
	t.Helper()
	tree := Units(t)
	r := rand.New(rand.NewSource(seed))
	specs := [][2]string{{"MN6501", "inspector"}, {"MN6501", "inspector"}, {"MN-073", "officer"}}
	now := time.Now()
	createHLC := hlc.New(now.Add(-time.Hour).UnixMilli(), 0)
	rid := uuid.Must(uuid.NewV7()).String()
	create := syncproto.Change{ID: uuid.Must(uuid.NewV7()).String(), RecordID: rid, Entity: "event", Op: syncproto.OpUpsert,
		HLC: createHLC.String(), Fields: map[string]json.RawMessage{"kind": json.RawMessage(`"herder_meeting"`),
			"date": json.RawMessage(`"2025-05-14"`), "unit": json.RawMessage(`"MN6501"`),
			"reached.herders": json.RawMessage(`20`), "consultations": json.RawMessage(`5`)}}
	offsets := []time.Duration{0, -10 * 365 * 24 * time.Hour, time.Minute}
	clocks := make([]*hlc.Clock, len(specs))
	for d := range clocks {
		off := offsets[r.Intn(len(offsets))]
		clocks[d] = &hlc.Clock{Now: func() time.Time { return now.Add(off) }}
		clocks[d].Observe(createHLC) // every device pulled the record before editing it
	}
	fields := []string{"reached.herders", "reached.self_employed", "consultations", "place"}
	type key struct {
		dev   int
		field string
	}
	last := map[key]string{} // each device's last hlc of each field
	type write struct {
		dev int
		hlc string
	}
	lastWrite := map[key]write{}
	var edits []sent
	for i := 0; i < 12+r.Intn(12); i++ {
		d := r.Intn(len(specs))
		clocks[d].Now = func(base func() time.Time, step time.Duration) func() time.Time {
			return func() time.Time { return base().Add(step) }
		}(clocks[d].Now, time.Duration(1+r.Intn(3))*time.Millisecond)
		// The counter is the edit's number, so no two devices' stamps are equal (a tie would be
		// broken by device ids, which differ from store to store here).
		ts := clocks[d].Next()
		ts = hlc.New(ts.Millis(), uint16(i+1))
		clocks[d].Observe(ts)
		c := syncproto.Change{ID: uuid.Must(uuid.NewV7()).String(), RecordID: rid, Entity: "event", Op: syncproto.OpUpsert,
			HLC: ts.String(), Fields: map[string]json.RawMessage{},
			Base: map[string]string{syncproto.BaseRecord: createHLC.String()}}
		for _, f := range fields {
			if r.Intn(2) == 0 {
				continue
			}
			if f == "place" {
				c.Fields[f], _ = json.Marshal([]string{"Bagh 1", "Bagh 2"}[r.Intn(2)])
			} else {
				c.Fields[f] = json.RawMessage(fmt.Sprint(r.Intn(4))) // equal values happen
			}
			base, ok := last[key{d, f}]
			if !ok {
				base = ""
				if _, inCreate := create.Fields[f]; inCreate {
					base = createHLC.String()
				}
			}
			c.Base[f] = base
			last[key{d, f}] = c.HLC
			lastWrite[key{d, f}] = write{d, c.HLC}
		}
		if len(c.Fields) == 0 {
			continue
		}
		edits = append(edits, sent{d, c})
	}

	// The model: per field, the greatest (hlc, device) of the devices' last writes wins; every
	// other device's last write is lost. hlcs are unique here, so no tie needs the device id.
	want := map[string]bool{}
	for _, f := range fields {
		var ws []write
		for d := range specs {
			if w, ok := lastWrite[key{d, f}]; ok {
				ws = append(ws, w)
			}
		}
		sort.Slice(ws, func(i, j int) bool { return ws[i].hlc > ws[j].hlc })
		for _, w := range ws[min(1, len(ws)):] {
			want[fmt.Sprintf("%s %s dev%d", f, w.hlc, w.dev)] = true
		}
	}

	var snap0 string
	for round := 0; round < 3; round++ {
		db := open(t, Config{Units: tree})
		ps := Principals(t, db, specs)
		idx := map[string]int{}
		for i, p := range ps {
			idx[p.DeviceID] = i
		}
		if resp, err := Push(context.Background(), db, ps[0], syncproto.PushRequest{Protocol: syncproto.Protocol,
			Changes: []syncproto.Change{create}}); err != nil || len(resp.Accepted) != 1 {
			t.Fatalf("create: %v %+v", err, resp)
		}
		order := deviceOrderShuffle(r, edits, round)
		deliver(t, db, ps, order, r)
		recs, err := db.Records(context.Background(), store.RecordFilter{Entity: "event"})
		if err != nil || len(recs) != 1 {
			t.Fatalf("records: %v %d", err, len(recs))
		}
		b, _ := json.Marshal(recs[0].Values)
		if round == 0 {
			snap0 = string(b)
		} else if string(b) != snap0 {
			t.Fatalf("seed %d round %d: record %s, want %s", seed, round, b, snap0)
		}
		cs, err := db.Conflicts(context.Background(), store.ConflictFilter{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, c := range cs {
			got[fmt.Sprintf("%s %s dev%d", c.Field, c.Lost.HLC, idx[c.Lost.Device])] = true
		}
		var missing, invented []string
		for k := range want {
			if !got[k] {
				missing = append(missing, k)
			}
		}
		for k := range got {
			if !want[k] {
				invented = append(invented, k)
			}
		}
		if len(missing)+len(invented) > 0 {
			sort.Strings(missing)
			sort.Strings(invented)
			t.Fatalf("seed %d round %d: conflicts missing [%s], invented [%s]", seed, round, strings.Join(missing, "; "), strings.Join(invented, "; "))
		}
	}
}

// deviceOrderShuffle interleaves the devices' changes at random, each device's in its own order
// (its outbox), with some changes sent twice (a lost answer); round 0 is generation order.
func deviceOrderShuffle(r *rand.Rand, edits []sent, round int) []sent {
	if round == 0 {
		return append([]sent(nil), edits...)
	}
	queues := map[int][]sent{}
	var devs []int
	for _, s := range edits {
		if queues[s.dev] == nil {
			devs = append(devs, s.dev)
		}
		queues[s.dev] = append(queues[s.dev], s)
	}
	var out []sent
	for len(devs) > 0 {
		i := r.Intn(len(devs))
		d := devs[i]
		out = append(out, queues[d][0])
		if r.Intn(4) == 0 {
			out = append(out, queues[d][0])
		}
		queues[d] = queues[d][1:]
		if len(queues[d]) == 0 {
			devs = append(devs[:i], devs[i+1:]...)
		}
	}
	return out
}
