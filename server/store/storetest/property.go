package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/google/uuid"

	"talbar/server/store"
	"talbar/shared/tally"
	"talbar/shared/unit"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

type sent struct {
	dev int
	c   syncproto.Change
}

// scenario generates creates, edits, deletes and restores of events and surveys by several
// devices. With moves, records change soum inside the aimag (only for officers, whose scope
// covers every soum of it) and date across months and years.
func scenario(r *rand.Rand, ndev, n int, soums []string, movers map[int]bool) []sent {
	var out []sent
	var recs []struct{ id, entity string }
	clocks := make([]int64, ndev)
	for i := range clocks {
		clocks[i] = 1_700_000_000_000 + int64(r.Intn(1000))
	}
	dates := []string{"2025-12-30", "2026-01-15", "2026-05-14", "2026-06-01"}
	for i := 0; i < n; i++ {
		d := r.Intn(ndev)
		clocks[d] += int64(r.Intn(3)) // equal milliseconds across devices happen
		c := syncproto.Change{ID: uuid.Must(uuid.NewV7()).String(), HLC: hlc.New(clocks[d], uint16(i)).String(), Op: syncproto.OpUpsert}
		f := map[string]any{}
		switch op := r.Intn(10); {
		case op < 3 || len(recs) == 0:
			c.RecordID = uuid.Must(uuid.NewV7()).String()
			if r.Intn(3) == 0 {
				c.Entity = "survey"
				f = map[string]any{"date": dates[r.Intn(len(dates))], "unit": soums[0], "target_group": "herders",
					"age_band": "25-34", "insurance_status": "none", "info_access": []string{"yes", "partly", "no"}[r.Intn(3)],
					"satisfaction": 1 + r.Intn(5)}
			} else {
				c.Entity = "event"
				f = map[string]any{"kind": []string{"open_day", "market_day", "herder_meeting"}[r.Intn(3)],
					"date": dates[r.Intn(len(dates))], "unit": soums[0], "reached": map[string]int{"herders": r.Intn(50)},
					"contributions_mnt": r.Intn(100000)}
			}
			recs = append(recs, struct{ id, entity string }{c.RecordID, c.Entity})
		default:
			rec := recs[r.Intn(len(recs))]
			c.RecordID, c.Entity = rec.id, rec.entity
			switch {
			case op == 3:
				c.Op = syncproto.OpDelete
			case op == 4:
				f["_deleted"] = false
			case op == 5:
				f["date"] = dates[r.Intn(len(dates))]
			case op == 6 && movers[d]:
				f["unit"] = soums[r.Intn(len(soums))]
			case rec.entity == "survey":
				f["satisfaction"] = 1 + r.Intn(5)
			default:
				f["reached"] = map[string]int{"herders": r.Intn(50), "students": r.Intn(5)}
				f["consultations"] = r.Intn(10)
			}
		}
		if c.Op == syncproto.OpUpsert {
			c.Fields = map[string]json.RawMessage{}
			for k, v := range f {
				b, _ := json.Marshal(v)
				c.Fields[k] = b
			}
		}
		out = append(out, sent{d, c})
	}
	return out
}

// plannedBeforeMoves drops the edits of devices that cannot move records (inspectors) stamped
// after any move of their record: the server refuses those as moved_away once the move is in
// (an edit planned against the old soum), so only edits concurrent with every move, which it
// takes in any order, may be generated for an order-independence property.
func plannedBeforeMoves(changes []sent, movers map[int]bool) []sent {
	firstMove := map[string]string{}
	created := map[string]bool{}
	for _, s := range changes {
		if !created[s.c.RecordID] {
			created[s.c.RecordID] = true
			continue
		}
		if _, ok := s.c.Fields["unit"]; ok && movers[s.dev] {
			if m, seen := firstMove[s.c.RecordID]; !seen || s.c.HLC < m {
				firstMove[s.c.RecordID] = s.c.HLC
			}
		}
	}
	out := changes[:0:0]
	created = map[string]bool{}
	for _, s := range changes {
		first := !created[s.c.RecordID]
		created[s.c.RecordID] = true
		if m, moved := firstMove[s.c.RecordID]; !first && moved && !movers[s.dev] && s.c.HLC > m {
			continue
		}
		out = append(out, s)
	}
	return out
}

// deliver pushes the changes in batches and returns nothing; rejections are expected only for
// changes that arrive before their record's first upsert, and those arrive again later.
func deliver(tb testing.TB, db store.Store, ps []store.Principal, order []sent, r *rand.Rand) (accepted int) {
	tb.Helper()
	ctx := context.Background()
	for i := 0; i < len(order); {
		d := order[i].dev
		n := 1 + r.Intn(7)
		var batch []syncproto.Change
		for ; i < len(order) && len(batch) < n && order[i].dev == d; i++ {
			batch = append(batch, order[i].c)
		}
		resp, err := Push(ctx, db, ps[d], syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: batch})
		if err != nil {
			tb.Fatal(err)
		}
		accepted += len(resp.Accepted)
	}
	return accepted
}

// causal holds back every change of a record until the record's first upsert has been
// delivered, as in the field: a device pushes its outbox in order, and edits another device's
// record only after pulling it. Everything else about the order stays random.
func causal(order, generated []sent) []sent {
	first := map[string]string{}
	for _, s := range generated {
		if _, ok := first[s.c.RecordID]; !ok {
			first[s.c.RecordID] = s.c.ID
		}
	}
	created := map[string]bool{}
	held := map[string][]sent{}
	out := make([]sent, 0, len(order))
	for _, s := range order {
		rec := s.c.RecordID
		switch {
		case created[rec]:
			out = append(out, s)
		case s.c.ID == first[rec]:
			created[rec] = true
			out = append(out, s)
			out = append(out, held[rec]...)
			delete(held, rec)
		default:
			held[rec] = append(held[rec], s)
		}
	}
	return out
}

// snapshot is everything that must not depend on delivery: merged records and totals.
func snapshot(tb testing.TB, db store.Store, tree *unit.Tree) string {
	tb.Helper()
	ctx := context.Background()
	var buf bytes.Buffer
	for _, e := range []string{"event", "survey"} {
		recs, err := db.Records(ctx, store.RecordFilter{Entity: e})
		if err != nil {
			tb.Fatal(err)
		}
		for _, rec := range recs {
			b, _ := json.Marshal(rec)
			buf.Write(b)
			buf.WriteByte('\n')
		}
	}
	for _, y := range []int{2025, 2026} {
		byLeaf, err := db.TotalsByLeaf(ctx, y)
		if err != nil {
			tb.Fatal(err)
		}
		for _, leaf := range tree.Leaves("MN-073") {
			v := byLeaf[string(leaf)]
			if v == nil {
				v = tally.New()
			}
			re, err := db.RecomputeTotals(ctx, string(leaf), y)
			if err != nil {
				tb.Fatal(err)
			}
			if v.String() != re.String() {
				tb.Fatalf("%s %d: incremental totals %v != recomputed %v", leaf, y, v, re)
			}
			fmt.Fprintf(&buf, "%s %d %v\n", leaf, y, v)
		}
		for _, code := range []string{"MN", "MN-073"} {
			kept, _ := db.Totals(ctx, code, y, 0)
			re, _ := db.RecomputeTotals(ctx, code, y)
			if kept.String() != re.String() {
				tb.Fatalf("%s %d: rolled-up totals %v != recomputed %v", code, y, kept, re)
			}
		}
		for m := 1; m <= 12; m++ {
			v, _ := db.Totals(ctx, "MN", y, m)
			fmt.Fprintf(&buf, "MN %d-%02d %v\n", y, m, v)
		}
	}
	return buf.String()
}

// MergeAnyDelivery: for random creates, edits, deletes and restores from several devices,
// delivered in random order, duplicated and split into random batches, the merged records and
// totals are identical, and the incrementally kept totals equal a full recomputation. Backends
// run it from Run and from a fuzz target of their own.
func MergeAnyDelivery(t *testing.T, open Opener, seed int64, moves bool) {
	t.Helper()
	tree := Units(t)
	r := rand.New(rand.NewSource(seed))
	// Inspectors of one soum and an officer of its aimag; with moves the officer also moves
	// records between soums, racing the inspectors' offline edits.
	specs := [][2]string{{"MN6501", "inspector"}, {"MN6501", "inspector"}, {"MN-073", "officer"}}
	movers := map[int]bool{}
	if moves {
		movers[2] = true
	}
	soums := []string{"MN6501", "MN6504", "MN6507"}
	changes := plannedBeforeMoves(scenario(r, len(specs), 150, soums, movers), movers)

	inOrder := open(t, Config{Units: tree})
	if n := deliver(t, inOrder, Principals(t, inOrder, specs), changes, rand.New(rand.NewSource(1))); n != len(changes) {
		t.Fatalf("in-order delivery accepted %d of %d changes", n, len(changes))
	}
	want := snapshot(t, inOrder, tree)

	for round := 0; round < 2; round++ {
		db := open(t, Config{Units: tree})
		ps := Principals(t, db, specs)
		order := append([]sent(nil), changes...)
		for _, i := range r.Perm(len(changes))[:len(changes)/3] { // duplicates
			order = append(order, changes[i])
		}
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		deliver(t, db, ps, causal(order, changes), r)
		if got := snapshot(t, db, tree); got != want {
			gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Fatalf("seed %d round %d: state differs from in-order delivery at line %d\n got: %s\nwant: %s", seed, round, i, gl[i], wl[i])
				}
			}
			t.Fatalf("seed %d round %d: %d lines, want %d", seed, round, len(gl), len(wl))
		}
	}
}
