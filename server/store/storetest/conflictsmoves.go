package storetest

import "testing"

// ConflictsWithDeletesAndMoves is the conflicts property with deletes, restores and moves among
// the random operations: three officers of an aimag, who all pulled two records, edit their
// counts, place and soum (a move) concurrently, pull each other's changes now and then, and
// delete and restore the second; clocks right, 10 years behind, a minute or 10 years ahead.
// In every delivery order the records, the totals and the open conflicts — on the fields and on
// the tombstone — are the same and exactly the model's (see conflictProperty).
func ConflictsWithDeletesAndMoves(t *testing.T, open Opener, seed int64) {
	t.Helper()
	conflictProperty(t, open, seed, conflictOptions{
		specs:   [][2]string{{"MN-073", "officer"}, {"MN-073", "officer"}, {"MN-073", "officer"}},
		records: 2, deletes: true, ops: 20,
		fields: []string{"reached.herders", "reached.self_employed", "consultations", "place", "unit"},
	})
}
