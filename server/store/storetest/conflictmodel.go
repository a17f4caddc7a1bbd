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
	"talbar/shared/record"
	"talbar/shared/tally"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// conflictOptions shapes one run of the conflicts property.
type conflictOptions struct {
	specs   [][2]string // the devices' units and roles
	records int
	fields  []string // the fields edited ("unit" moves the record between soums)
	deletes bool     // the last record may be deleted and restored
	ops     int      // at least this many operations, up to twice as many
}

// mchange is a change the model knows the server accepted.
type mchange struct {
	rid, hlc, op string
	dev          int
	fields       map[string]string // compact JSON values; "_deleted" for a restore
	base         map[string]string // nil for a record's first upsert
}

// conflictProperty runs the conflicts property: devices that all pulled the records edit,
// move, delete and restore them concurrently; now and then a device pulls what the others'
// accepted changes made so far, so later edits are made from other devices' values. Clocks are
// right, 10 years behind, a minute ahead or 10 years ahead (that device's changes are all
// refused as clock_ahead and never pulled). Delivered in any interleaving of the devices'
// outboxes, duplicated and batched anyhow, every store ends with the same records, totals equal
// to the store's recomputation and to a count of the final records, and the open conflicts are
// exactly the model's — none missing, none invented — each kept against the field's current
// value. The model states the rules of syncproto/README.md ("Conflicts kept for review")
// directly over the set of accepted changes, as push.ConflictSet's doc comment defines them.
func conflictProperty(t *testing.T, open Opener, seed int64, o conflictOptions) {
	t.Helper()
	ctx := context.Background()
	tree := Units(t)
	r := rand.New(rand.NewSource(seed))
	soums := []string{"MN6501", "MN6504", "MN6507"}
	now := time.Now()
	createHLC := hlc.New(now.Add(-time.Hour).UnixMilli(), 0)
	var rids []string
	var creates []syncproto.Change
	var log []mchange // the accepted changes, creates first
	createFields := map[string]string{"kind": `"herder_meeting"`, "date": `"2025-05-14"`, "unit": `"MN6501"`,
		"reached.herders": `20`, "consultations": `5`}
	for i := 0; i < o.records; i++ {
		rid := uuid.Must(uuid.NewV7()).String()
		rids = append(rids, rid)
		c := syncproto.Change{ID: uuid.Must(uuid.NewV7()).String(), RecordID: rid, Entity: "event", Op: syncproto.OpUpsert,
			HLC: createHLC.String(), Fields: map[string]json.RawMessage{}}
		for k, v := range createFields {
			c.Fields[k] = json.RawMessage(v)
		}
		creates = append(creates, c)
		log = append(log, mchange{rid: rid, hlc: c.HLC, op: c.Op, dev: 0, fields: createFields})
	}
	type fv struct {
		h, v string
		d    int
	}
	type view struct {
		fields map[string]fv
		seen   string
	}
	offsets := []time.Duration{0, -10 * 365 * 24 * time.Hour, time.Minute, 10 * 365 * 24 * time.Hour}
	clocks := make([]*hlc.Clock, len(o.specs))
	refusedDev := make([]bool, len(o.specs))
	views := make([]map[string]*view, len(o.specs))
	applyTo := func(v *view, m mchange) {
		set := func(k, val string) {
			if cur, ok := v.fields[k]; !ok || m.hlc > cur.h {
				v.fields[k] = fv{m.hlc, val, m.dev}
			}
		}
		if m.op == syncproto.OpDelete {
			set(record.FieldDeleted, "true")
		}
		for k, val := range m.fields {
			set(k, val)
		}
		if m.hlc > v.seen {
			v.seen = m.hlc
		}
	}
	for d := range clocks {
		off := offsets[r.Intn(len(offsets))]
		refusedDev[d] = off > syncproto.MaxAhead
		clocks[d] = &hlc.Clock{Now: func() time.Time { return now.Add(off) }}
		clocks[d].Observe(createHLC) // every device pulled the records before editing them
		views[d] = map[string]*view{}
		for _, m := range log {
			v := &view{fields: map[string]fv{}}
			applyTo(v, m)
			views[d][m.rid] = v
		}
	}
	var edits []sent
	refused := map[string]bool{}
	pulls, deletes, restores := 0, 0, 0
	n := o.ops + r.Intn(o.ops+1)
	for i := 0; i < n; i++ {
		d, rid := r.Intn(len(o.specs)), rids[r.Intn(len(rids))]
		if r.Intn(6) == 0 { // a pull: every change accepted so far (a 10-years-ahead one never is)
			for _, m := range log {
				applyTo(views[d][m.rid], m)
				ts, _ := hlc.Parse(m.hlc)
				clocks[d].Observe(ts)
			}
			pulls++
			continue
		}
		clocks[d].Now = func(base func() time.Time, step time.Duration) func() time.Time {
			return func() time.Time { return base().Add(step) }
		}(clocks[d].Now, time.Duration(1+r.Intn(3))*time.Millisecond)
		v := views[d][rid]
		// The counter is the operation's number, so no two devices' stamps are equal, and the
		// stamp is after everything the device has seen (as the device's clock makes it).
		ts := clocks[d].Next()
		ts = hlc.New(ts.Millis()+1, uint16(i+1))
		clocks[d].Observe(ts)
		c := syncproto.Change{ID: uuid.Must(uuid.NewV7()).String(), RecordID: rid, Entity: "event", Op: syncproto.OpUpsert,
			HLC: ts.String(), Fields: map[string]json.RawMessage{}, Base: map[string]string{syncproto.BaseRecord: v.seen}}
		m := mchange{rid: rid, hlc: c.HLC, op: c.Op, dev: d, fields: map[string]string{}, base: c.Base}
		baseOf := func(k string) string { return v.fields[k].h } // "" for a field the device has not got
		switch {
		case v.fields[record.FieldDeleted].v == "true":
			if r.Intn(2) == 0 {
				continue // a deleted record is not edited; sometimes it is restored
			}
			c.Fields[record.FieldDeleted] = json.RawMessage("false")
			m.fields[record.FieldDeleted] = "false"
			c.Base[record.FieldDeleted] = baseOf(record.FieldDeleted)
			restores++
		case o.deletes && rid == rids[len(rids)-1] && r.Intn(4) == 0:
			c.Op, c.Fields, m.op = syncproto.OpDelete, nil, syncproto.OpDelete
			c.Base[record.FieldDeleted] = baseOf(record.FieldDeleted)
			deletes++
		default:
			for _, f := range o.fields {
				if r.Intn(2) == 0 || f == "unit" && r.Intn(2) == 0 {
					continue
				}
				var val []byte
				switch f {
				case "place":
					val, _ = json.Marshal([]string{"Bagh 1", "Bagh 2"}[r.Intn(2)])
				case "unit":
					val, _ = json.Marshal(soums[r.Intn(len(soums))])
				default:
					val = []byte(fmt.Sprint(r.Intn(4))) // equal values happen
				}
				c.Fields[f] = val
				m.fields[f] = string(val)
				c.Base[f] = baseOf(f)
			}
			if len(c.Fields) == 0 {
				continue
			}
		}
		edits = append(edits, sent{d, c})
		applyTo(v, m) // the device's own view holds its change, sent or not
		if refusedDev[d] {
			refused[c.ID] = true
			continue
		}
		log = append(log, m)
	}
	want := conflictModel(log, rids)

	var snap0 string
	for round := 0; round < 3; round++ {
		db := open(t, Config{Units: tree})
		ps := Principals(t, db, o.specs)
		idx := map[string]int{}
		for i, p := range ps {
			idx[p.DeviceID] = i
		}
		if resp, err := Push(ctx, db, ps[0], syncproto.PushRequest{Protocol: syncproto.Protocol,
			Changes: creates}); err != nil || len(resp.Accepted) != len(creates) {
			t.Fatalf("create: %v %+v", err, resp)
		}
		order := deviceOrderShuffle(r, edits, round)
		for i := 0; i < len(order); {
			dev := order[i].dev
			var batch []syncproto.Change
			for k := 1 + r.Intn(7); i < len(order) && len(batch) < k && order[i].dev == dev; i++ {
				batch = append(batch, order[i].c)
			}
			resp, err := Push(ctx, db, ps[dev], syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: batch})
			if err != nil {
				t.Fatal(err)
			}
			for _, rj := range resp.Rejected {
				if !refused[rj.ID] || rj.Code != syncproto.RejectClockAhead {
					t.Fatalf("seed %d round %d: change %s refused (%s %s), the model accepts it", seed, round, rj.ID, rj.Code, rj.Message)
				}
			}
			for _, id := range resp.Accepted {
				if refused[id] {
					t.Fatalf("seed %d round %d: change %s 10 years ahead accepted", seed, round, id)
				}
			}
		}

		// Same records and totals in every round; snapshot also checks the kept totals against
		// the store's own recomputation.
		snap := snapshot(t, db, tree)
		if round == 0 {
			snap0 = snap
		} else if snap != snap0 {
			t.Fatalf("seed %d round %d: records or totals differ from round 0:\n%s\nwant\n%s", seed, round, snap, snap0)
		}
		recs, err := db.Records(ctx, store.RecordFilter{Entity: "event"})
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]tally.Vector{}
		for _, s := range soums {
			count[s] = tally.New()
		}
		moved := 0
		for _, rec := range recs {
			if rec.Unit != "MN6501" {
				moved++
			}
			if rec.Deleted {
				continue
			}
			b, _ := json.Marshal(rec.Values)
			var vals map[string]json.RawMessage
			json.Unmarshal(b, &vals)
			k, v, ok := tally.Of(rec.Entity, vals)
			if !ok || count[k.Unit] == nil {
				t.Fatalf("seed %d: record %s does not count (%+v)", seed, b, k)
			}
			count[k.Unit].Add(v)
		}
		aimag := tally.New()
		for _, s := range soums {
			kept, err := db.Totals(ctx, s, 2025, 0)
			if err != nil {
				t.Fatal(err)
			}
			if kept.String() != count[s].String() {
				t.Fatalf("seed %d round %d: %s totals %v, the final records count %v", seed, round, s, kept, count[s])
			}
			aimag.Add(count[s])
		}
		if kept, _ := db.Totals(ctx, "MN-073", 2025, 0); kept.String() != aimag.String() {
			t.Fatalf("seed %d round %d: aimag totals %v, the final records count %v", seed, round, kept, aimag)
		}

		cs, err := db.Conflicts(ctx, store.ConflictFilter{Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, c := range cs {
			k := fmt.Sprintf("%s %s %s dev%d", c.RecordID[len(c.RecordID)-4:], c.Field, c.Lost.HLC, idx[c.Lost.Device])
			if _, twice := got[k]; twice {
				t.Fatalf("seed %d round %d: conflict %s listed twice", seed, round, k)
			}
			got[k] = fmt.Sprintf("%s dev%d", c.Kept.HLC, idx[c.Kept.Device])
		}
		var missing, invented, stale []string
		for k, kept := range want {
			if g, ok := got[k]; !ok {
				missing = append(missing, k)
			} else if g != kept {
				stale = append(stale, k+" kept "+g+", current "+kept)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				invented = append(invented, k)
			}
		}
		if len(missing)+len(invented)+len(stale) > 0 {
			sort.Strings(missing)
			sort.Strings(invented)
			sort.Strings(stale)
			t.Fatalf("seed %d round %d: conflicts missing [%s], invented [%s], kept value not the current one [%s]", seed, round,
				strings.Join(missing, "; "), strings.Join(invented, "; "), strings.Join(stale, "; "))
		}
		if round == 0 {
			tombs := 0
			for k := range want {
				if strings.Contains(k, record.FieldDeleted) {
					tombs++
				}
			}
			t.Logf("seed %d: %d changes (%d refused), %d pulls, %d deletes, %d restores, %d of %d records moved, %d conflicts, %d on the tombstone",
				seed, len(edits), len(refused), pulls, deletes, restores, moved, len(recs), len(want), tombs)
		}
	}
}

// conflictModel is the conflict set the rules give for the accepted changes: by "rid4 field
// lost-hlc devN", the kept (current) value's "hlc devN". hlcs are unique here, so the greatest
// hlc wins without the device tie-break.
func conflictModel(log []mchange, rids []string) map[string]string {
	want := map[string]string{}
	for _, rid := range rids {
		type w struct {
			h, v, base string
			d          int
			based      bool
		}
		writes := map[string][]w{}
		last := map[int]string{} // each device's last change of the record
		var mine []mchange
		for _, m := range log {
			if m.rid != rid {
				continue
			}
			mine = append(mine, m)
			if m.hlc > last[m.dev] {
				last[m.dev] = m.hlc
			}
			vals := m.fields
			if m.op == syncproto.OpDelete {
				vals = map[string]string{record.FieldDeleted: "true"}
			}
			for k, v := range vals {
				b, ok := m.base[k]
				writes[k] = append(writes[k], w{m.hlc, v, b, m.dev, ok})
			}
		}
		winner := map[string]w{}
		for k, ws := range writes {
			win := ws[0]
			for _, x := range ws {
				if x.h > win.h {
					win = x
				}
			}
			winner[k] = win
			for _, x := range ws {
				if !x.based || x.d == win.d || k == record.FieldDeleted && x.v == win.v {
					continue // no base (the create), the winner's writer, or a delete agreeing with the winner
				}
				replaced, later := false, false
				for _, y := range ws {
					replaced = replaced || y.based && y.base == x.h // an edit made from it
					later = later || y.d == x.d && y.h > x.h        // its writer wrote the field again
				}
				if !replaced && !later {
					want[fmt.Sprintf("%s %s %s dev%d", rid[len(rid)-4:], k, x.h, x.d)] = fmt.Sprintf("%s dev%d", win.h, win.d)
				}
			}
		}
		tomb, ok := winner[record.FieldDeleted]
		if !ok || tomb.v != "true" {
			continue
		}
		var del mchange
		for _, m := range mine {
			if m.hlc == tomb.h && m.dev == tomb.d {
				del = m
			}
		}
		for _, u := range mine {
			_, restores := u.fields[record.FieldDeleted]
			if u.op != syncproto.OpUpsert || restores || u.base == nil || u.dev == tomb.d || last[u.dev] != u.hlc {
				continue
			}
			// Neither saw the other: the edit is after the delete's version, the delete after the edit's.
			if u.hlc > del.base[syncproto.BaseRecord] && tomb.h > u.base[syncproto.BaseRecord] {
				want[fmt.Sprintf("%s %s %s dev%d", rid[len(rid)-4:], record.FieldDeleted, u.hlc, u.dev)] = fmt.Sprintf("%s dev%d", tomb.h, tomb.d)
			}
		}
	}
	return want
}
