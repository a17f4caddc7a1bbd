package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"talbar/server/store/storetest"
	"talbar/shared/tally"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
	"talbar/syncproto/merge"
)

// A server store written by protocol 1 (reached whole in each merged record) is upgraded when it
// opens: the counts become leaves with the object's hlc and writer, the totals stay, and a later
// edit of one count moves the totals by exactly its difference while the other counts stand.
func TestUpgradeLeaves(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	db := openAt(t, path)
	p := principals(t, db, [][2]string{{"MN6501", "inspector"}})[0]
	clock := &hlc.Clock{}
	id := uuid.Must(uuid.NewV7()).String()
	create := syncproto.Change{ID: uuid.Must(uuid.NewV7()).String(), RecordID: id, Entity: "event", Op: "upsert", HLC: clock.Next().String(),
		Fields: map[string]json.RawMessage{"kind": json.RawMessage(`"herder_meeting"`), "date": json.RawMessage(`"2026-05-12"`),
			"unit": json.RawMessage(`"MN6501"`), "reached": json.RawMessage(`{"herders":20,"self_employed":2}`)}}
	if resp, err := storetest.Push(ctx, db, p, syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: []syncproto.Change{create}}); err != nil || len(resp.Accepted) != 1 {
		t.Fatalf("push: %v %+v", err, resp)
	}
	db.Close()

	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	legacy := merge.Record{ID: id, Entity: "event", Fields: map[string]merge.Field{}}
	for k, v := range create.Fields {
		legacy.Fields[k] = merge.Field{V: v, H: create.HLC, D: p.DeviceID}
	}
	if _, err := raw.Exec(`UPDATE records SET state = ? WHERE id = ?`, string(legacy.Marshal()), id); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DELETE FROM migrations WHERE name = 'migrations/0006_leaves.sql'`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db = openAt(t, path)
	defer db.Close()
	var state []byte
	r, _ := sql.Open("sqlite", path)
	defer r.Close()
	if err := r.QueryRow(`SELECT state FROM records WHERE id = ?`, id).Scan(&state); err != nil {
		t.Fatal(err)
	}
	var up merge.Record
	if err := json.Unmarshal(state, &up); err != nil {
		t.Fatal(err)
	}
	if _, ok := up.Fields["reached"]; ok {
		t.Fatalf("reached still whole: %s", state)
	}
	if f := up.Fields["reached.herders"]; string(f.V) != "20" || f.H != create.HLC || f.D != p.DeviceID {
		t.Fatalf("reached.herders=%+v", f)
	}
	herders, self := tally.Index["reached.herders"], tally.Index["reached.self_employed"]
	v, _ := db.Totals(ctx, "MN6501", 2026, 0)
	if v[herders] != 20 || v[self] != 2 {
		t.Fatalf("totals after the upgrade: herders %d self_employed %d", v[herders], v[self])
	}
	edit := syncproto.Change{ID: uuid.Must(uuid.NewV7()).String(), RecordID: id, Entity: "event", Op: "upsert", HLC: clock.Next().String(),
		Fields: map[string]json.RawMessage{"reached.herders": json.RawMessage(`25`)}}
	if resp, err := storetest.Push(ctx, db, p, syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: []syncproto.Change{edit}}); err != nil || len(resp.Accepted) != 1 {
		t.Fatalf("push edit: %v %+v", err, resp)
	}
	v, _ = db.Totals(ctx, "MN6501", 2026, 0)
	re, _ := db.RecomputeTotals(ctx, "MN6501", 2026)
	if v[herders] != 25 || v[self] != 2 || v.String() != re.String() {
		t.Fatalf("totals after a leaf edit: herders %d self_employed %d; kept %s, recomputed %s", v[herders], v[self], v, re)
	}
}
