package localstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"talbar/fieldapp/localstore"
	"talbar/shared/record"
	"talbar/shared/unit"
	"talbar/syncproto"
)

func enroll(t *testing.T, db *localstore.DB, dev, unitCode, role string) {
	t.Helper()
	err := db.SaveEnrollment(context.Background(), "http://server", syncproto.EnrollResponse{DeviceID: dev, Token: "tok",
		Inspector: syncproto.Inspector{ID: "i-" + dev, UnitCode: unitCode, Role: role}, ServerEpoch: "e1"})
	if err != nil {
		t.Fatal(err)
	}
}

func TestReferenceDue(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	db := mustOpen(t, "", localstore.Options{Now: func() time.Time { return now }})
	if due, err := db.ReferenceDue(ctx, now); err != nil || !due {
		t.Fatalf("no units stored: due=%v err=%v", due, err)
	}
	ref := &syncproto.Reference{Units: []unit.Unit{{Code: "MN", Level: "nation", NameMN: "Монгол", NameEN: "Mongolia"},
		{Code: "MN6501", Parent: "MN", Level: "soum", NameMN: "Б", NameEN: "B"}}}
	if _, err := db.ApplyPull(ctx, "", syncproto.PullResponse{Cursor: "1", Reference: ref}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{{now, false}, {now.Add(23 * time.Hour), false}, {now.Add(localstore.RefreshEvery), true}, {now.Add(-48 * time.Hour), true}} {
		if due, err := db.ReferenceDue(ctx, tc.at); err != nil || due != tc.want {
			t.Errorf("at %v: due=%v err=%v, want %v", tc.at, due, err, tc.want)
		}
	}
}

func TestProbeIsNewestAcknowledged(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, "", localstore.Options{})
	enroll(t, db, "dev-1", "MN6501", syncproto.RoleInspector)
	if p, err := db.Probe(ctx); err != nil || p != nil {
		t.Fatalf("probe before any push: %v %v", p, err)
	}
	mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	chs, _ := db.PendingChanges(ctx, 10)
	if _, _, err := db.Acknowledge(ctx, syncproto.PushResponse{Accepted: []string{chs[0].ID, chs[1].ID}}); err != nil {
		t.Fatal(err)
	}
	p, err := db.Probe(ctx)
	if err != nil || p == nil || p.ID != chs[1].ID || p.DeviceID != "dev-1" || len(p.Fields) != 1 {
		t.Fatalf("probe=%+v err=%v", p, err)
	}
	if err := db.DropProbe(ctx); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.Probe(ctx); p != nil {
		t.Fatalf("probe after drop: %+v", p)
	}
}

func TestAdoptEpochQueuesNothing(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, "", localstore.Options{})
	enroll(t, db, "dev-1", "MN6501", syncproto.RoleInspector)
	mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	if err := db.AdoptEpoch(ctx, "e2"); err != nil {
		t.Fatal(err)
	}
	cur, ep, _ := db.SyncState(ctx)
	if p, _, _ := db.Counts(ctx); p != 1 || cur != "" || ep != "e2" {
		t.Fatalf("pending=%d cursor=%q epoch=%q", p, cur, ep)
	}
}

// A record an officer moved out of the inspector's soum is kept but hidden and read-only; one the
// inspector itself gave a wrong unit stays editable.
func TestMovedAwayHiddenAndReadOnly(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, "", localstore.Options{})
	enroll(t, db, "dev-a", "MN6501", syncproto.RoleInspector)
	moved := mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	chs, _ := db.PendingChanges(ctx, 10)
	ids := []string{chs[0].ID, chs[1].ID}
	if _, _, err := db.Acknowledge(ctx, syncproto.PushResponse{Accepted: ids}); err != nil {
		t.Fatal(err)
	}
	unitB, _ := json.Marshal("MN6504")
	page := syncproto.PullResponse{Cursor: "9", Changes: []syncproto.Change{{ID: "0193a4b2-0000-7000-8000-000000000001",
		Entity: record.EntityEvent, RecordID: moved, Op: syncproto.OpUpsert, HLC: "ffffffffffff0000", DeviceID: "officer",
		Fields: map[string]json.RawMessage{"unit": unitB}}}}
	if _, err := db.ApplyPull(ctx, "", page); err != nil {
		t.Fatal(err)
	}
	r, err := db.FindRecordByID(ctx, moved)
	if err != nil || !r.Outside || r.Unit != "MN6504" {
		t.Fatalf("moved record: %+v %v", r, err)
	}
	if recs, n, _ := db.FindRecords(ctx, localstore.Filter{}); n != 1 || len(recs) != 1 || recs[0].ID == moved {
		t.Fatalf("records list: %d", n)
	}
	if s, _ := db.Summary(ctx, 2026, 0, ""); s.Vector.Get("events") != 1 {
		t.Fatalf("summary counts the moved record: %v", s.Vector)
	}
	if _, _, err := db.Save(ctx, localstore.Draft{ID: moved, Fields: map[string]any{"place": "x"}}); !errors.Is(err, localstore.ErrOutsideScope) {
		t.Fatalf("edit: %v", err)
	}
	// A wrong unit set on this device is the inspector's to fix.
	own := mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6504")})
	if r, _ := db.FindRecordByID(ctx, own); r.Outside {
		t.Fatal("own wrong unit marked as moved away")
	}
	if recs, _, _ := db.FindRecords(ctx, localstore.Filter{}); len(recs) != 2 {
		t.Fatalf("pending record with a wrong unit hidden: %d", len(recs))
	}
	mustSave(t, db, localstore.Draft{ID: own, Fields: map[string]any{"unit": "MN6501"}})
	// An officer sees the whole aimag.
	off := mustOpen(t, "", localstore.Options{})
	enroll(t, off, "dev-o", "MN-073", syncproto.RoleOfficer)
	mustSave(t, off, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6504")})
	if recs, _, _ := off.FindRecords(ctx, localstore.Filter{}); len(recs) != 1 || recs[0].Outside {
		t.Fatalf("officer's records: %+v", recs)
	}
}

// Pending changes give way to the queued state, which carries each of their fields with the same
// hlc (or a newer one), so nothing is sent twice and nothing is lost.
func TestResendStateFoldsPending(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, "", localstore.Options{})
	enroll(t, db, "dev-1", "MN6501", syncproto.RoleInspector)
	a := mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	chs, _ := db.PendingChanges(ctx, 10)
	db.Acknowledge(ctx, syncproto.PushResponse{Accepted: []string{chs[0].ID}})
	mustSave(t, db, localstore.Draft{ID: a, Fields: map[string]any{"consultations": 5}})
	mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	pending, _ := db.PendingChanges(ctx, 10)
	if _, err := db.ResendState(ctx, "e2"); err != nil {
		t.Fatal(err)
	}
	queued, _ := db.PendingChanges(ctx, 100)
	type key struct{ rec, field, hlc string }
	have := map[key]string{}
	for _, c := range queued {
		for f, v := range c.Fields {
			have[key{c.RecordID, f, c.HLC}] = string(v)
		}
	}
	for _, c := range pending {
		for _, q := range queued {
			if q.ID == c.ID {
				t.Errorf("pending change %s still queued beside the state", c.ID)
			}
		}
		for f, v := range c.Fields {
			if got, ok := have[key{c.RecordID, f, c.HLC}]; !ok || got != string(v) {
				t.Errorf("field %s of pending change %s not in the state (%q)", f, c.ID, got)
			}
		}
	}
}

// Enrolling again on the same server as another device, unit or role starts the pull over and
// drops the probe; enrolling again as the same identity keeps them.
func TestReenrollOtherIdentityResetsCursor(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, dev, unit, role string
		reset                 bool
	}{
		{"same identity", "dev-1", "MN6501", syncproto.RoleInspector, false},
		{"other device", "dev-2", "MN6501", syncproto.RoleInspector, true},
		{"other unit", "dev-1", "MN6504", syncproto.RoleInspector, true},
		{"other role", "dev-1", "MN6501", syncproto.RoleOfficer, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := mustOpen(t, "", localstore.Options{})
			enroll(t, db, "dev-1", "MN6501", syncproto.RoleInspector)
			mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
			chs, _ := db.PendingChanges(ctx, 10)
			db.Acknowledge(ctx, syncproto.PushResponse{Accepted: []string{chs[0].ID}})
			if _, err := db.ApplyPull(ctx, "", syncproto.PullResponse{Cursor: "42"}); err != nil {
				t.Fatal(err)
			}
			enroll(t, db, tc.dev, tc.unit, tc.role)
			cur, _, _ := db.SyncState(ctx)
			p, _ := db.Probe(ctx)
			if got := cur == "" && p == nil; got != tc.reset {
				t.Fatalf("cursor=%q probe=%v, want reset=%v", cur, p != nil, tc.reset)
			}
		})
	}
}
