package localstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"

	"talbar/fieldapp/localstore"
	"talbar/shared/record"
	"talbar/syncproto"
	"talbar/syncproto/merge"
)

// An edit of one count sends that count alone (protocol 2): a form that saves its whole reached
// object with herders raised sends reached.herders, and a count emptied in the form is cleared
// with a null of its own; the screens still read reached as one object.
func TestSaveSendsOnlyChangedLeaves(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, "", localstore.Options{})
	id := mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	db.Acknowledge(ctx, syncproto.PushResponse{Accepted: pendingIDs(t, db)})
	loaded, _ := db.FindRecordByID(ctx, id)
	form := map[string]any{}
	for k, v := range loaded.Values {
		form[k] = v
	}
	form["reached"] = map[string]int{"herders": 45, "self_employed": 5}
	mustSave(t, db, localstore.Draft{ID: id, Fields: form, Base: loaded.Values})
	pend, _ := db.PendingChanges(ctx, 10)
	if len(pend) != 1 || len(pend[0].Fields) != 1 || string(pend[0].Fields["reached.herders"]) != "45" {
		t.Fatalf("edit of one count sent %+v", pend)
	}
	loaded, _ = db.FindRecordByID(ctx, id)
	form["reached"] = map[string]int{"herders": 45}
	mustSave(t, db, localstore.Draft{ID: id, Fields: form, Base: loaded.Values})
	pend, _ = db.PendingChanges(ctx, 10)
	if len(pend) != 2 || len(pend[1].Fields) != 1 || string(pend[1].Fields["reached.self_employed"]) != "null" {
		t.Fatalf("a count emptied in the form sent %+v", pend[len(pend)-1].Fields)
	}
	r, _ := db.FindRecordByID(ctx, id)
	if got := string(r.Values["reached"]); got != `{"herders":45}` {
		t.Fatalf("reached=%s", got)
	}
	if _, ok := r.Merged.Fields["reached"]; ok {
		t.Fatal("the merged record still holds reached as one field")
	}
}

func pendingIDs(t *testing.T, db *localstore.DB) []string {
	t.Helper()
	pend, err := db.PendingChanges(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range pend {
		ids = append(ids, c.ID)
	}
	return ids
}

// A store written by protocol 1 (reached and materials whole in the records and the outbox)
// is upgraded when it opens: each count becomes a field with the object's hlc and writer, an
// outbox entry sends every count the object stood for, and the values the screens show are the same.
func TestUpgradeLeaves(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	db := mustOpen(t, path, localstore.Options{})
	id := mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	before, _ := db.FindRecordByID(ctx, id)
	db.Close()

	// Make it the store protocol 1 wrote.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var data, fields string
	if err := raw.QueryRow(`SELECT data FROM records WHERE id = ?`, id).Scan(&data); err != nil {
		t.Fatal(err)
	}
	var r merge.Record
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		t.Fatal(err)
	}
	h, d := r.Fields["kind"].H, r.Fields["kind"].D
	for _, name := range record.CountsFields {
		for k := range r.Fields {
			if p, _, ok := record.LeafOf(k); ok && p == name {
				delete(r.Fields, k)
			}
		}
	}
	r.Fields["reached"] = merge.Field{V: json.RawMessage(`{"herders":40,"self_employed":5}`), H: h, D: d}
	r.Fields["materials"] = merge.Field{V: json.RawMessage(`{"handbook":20}`), H: h, D: d}
	if err := raw.QueryRow(`SELECT fields FROM outbox WHERE record_id = ?`, id).Scan(&fields); err != nil {
		t.Fatal(err)
	}
	var f map[string]json.RawMessage
	json.Unmarshal([]byte(fields), &f)
	for k := range f {
		if _, _, ok := record.LeafOf(k); ok {
			delete(f, k)
		}
	}
	f["reached"] = json.RawMessage(`{"herders":40,"self_employed":5}`)
	f["materials"] = json.RawMessage(`{"handbook":20}`)
	fb, _ := json.Marshal(f)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE records SET data = ? WHERE id = ?`, []any{string(r.Marshal()), id}},
		{`UPDATE outbox SET fields = ? WHERE record_id = ?`, []any{string(fb), id}},
		{`DELETE FROM schema_migrations WHERE version = 3`, nil},
	} {
		if _, err := raw.Exec(q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()

	db = mustOpen(t, path, localstore.Options{})
	after, err := db.FindRecordByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range record.CountsFields {
		if _, ok := after.Merged.Fields[name]; ok {
			t.Errorf("%s still one field after the upgrade", name)
		}
	}
	herders := after.Merged.Fields["reached.herders"]
	if string(herders.V) != "40" || herders.H != h || herders.D != d {
		t.Errorf("reached.herders=%+v, want 40 with the object's writer %s/%s", herders, h, d)
	}
	if string(after.Values["reached"]) != string(before.Values["reached"]) || string(after.Values["materials"]) != string(before.Values["materials"]) {
		t.Errorf("values changed: %s %s, were %s %s", after.Values["reached"], after.Values["materials"], before.Values["reached"], before.Values["materials"])
	}
	pend, _ := db.PendingChanges(ctx, 10)
	if len(pend) != 1 || string(pend[0].Fields["reached.herders"]) != "40" || string(pend[0].Fields["reached.unemployed"]) != "null" {
		t.Fatalf("outbox after the upgrade: %v", pend)
	}
	if _, ok := pend[0].Fields["reached"]; ok {
		t.Fatal("the outbox still sends reached whole")
	}
}
