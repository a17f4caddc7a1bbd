package storetest

import (
	"context"
	"fmt"
	"math/rand"
	"testing"

	"talbar/server/store"
	"talbar/shared/unit"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// BenchDevice is an officer's device and the soums and districts it may write, for benchmarks
// that push into every unit of the country.
type BenchDevice struct {
	P     store.Principal
	Soums []string
	Clock *hlc.Clock
}

// Officers enrolls one officer device per aimag and for the capital.
func Officers(tb testing.TB, s store.Store) []BenchDevice {
	tb.Helper()
	tree := Units(tb)
	var out []BenchDevice
	for _, u := range tree.All() {
		if u.Level != unit.LevelAimag && u.Level != unit.LevelCapital {
			continue
		}
		d := BenchDevice{P: Principals(tb, s, [][2]string{{string(u.Code), syncproto.RoleOfficer}})[0], Clock: &hlc.Clock{}}
		for _, l := range tree.Leaves(u.Code) {
			d.Soums = append(d.Soums, string(l))
		}
		out = append(out, d)
	}
	return out
}

// Creates returns n upserts creating typical events in d's units.
func Creates(r *rand.Rand, d BenchDevice, n int) []syncproto.Change {
	kinds := []string{"open_day", "market_day", "herder_meeting"}
	cs := make([]syncproto.Change, n)
	for i := range cs {
		f := encode(map[string]any{
			"kind": kinds[r.Intn(3)], "date": fmt.Sprintf("2026-%02d-%02d", 1+r.Intn(11), 1+r.Intn(28)), "unit": d.Soums[r.Intn(len(d.Soums))],
			"place": "Сумын төв", "occasion": "livestock_census", "partners": []string{"governor", "bank"},
			"reached":       map[string]int{"herders": r.Intn(60), "self_employed": r.Intn(10), "near_pension": r.Intn(5)},
			"materials":     map[string]int{"handbook": r.Intn(40), "brochure": r.Intn(40)},
			"consultations": r.Intn(20), "contracts_signed": r.Intn(5), "contributions_mnt": r.Intn(20) * 50000,
		})
		cs[i] = syncproto.Change{ID: newID(), RecordID: newID(), Entity: "event", Op: syncproto.OpUpsert, HLC: d.Clock.Next().String(), Fields: f}
	}
	return cs
}

// Fill pushes n new events in batches of 5,000 through the push engine, spread over the country.
func Fill(tb testing.TB, s store.Store, n int) {
	tb.Helper()
	devs := Officers(tb, s)
	r := rand.New(rand.NewSource(1))
	for done := 0; done < n; done += 5000 {
		d := devs[r.Intn(len(devs))]
		resp, err := Push(context.Background(), s, d.P, syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: Creates(r, d, min(5000, n-done))})
		if err != nil || len(resp.Rejected) > 0 {
			tb.Fatalf("fill: %v %+v", err, resp.Rejected)
		}
	}
}
