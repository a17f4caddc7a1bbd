package storetest

import (
	"math/rand"
	"testing"
)

// ConflictsKept is the conflicts property on one record: two inspectors of its soum and their
// aimag's officer, who all pulled it, edit its counts and place concurrently and pull each
// other's changes now and then, clocks right, 10 years behind, a minute or 10 years ahead. In
// every delivery order the record and its open conflicts are the same and exactly the model's:
// none missing, none invented, each kept against the current value (see conflictProperty).
func ConflictsKept(t *testing.T, open Opener, seed int64) {
	t.Helper()
	conflictProperty(t, open, seed, conflictOptions{
		specs:   [][2]string{{"MN6501", "inspector"}, {"MN6501", "inspector"}, {"MN-073", "officer"}},
		records: 1, ops: 12,
		fields: []string{"reached.herders", "reached.self_employed", "consultations", "place"},
	})
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
