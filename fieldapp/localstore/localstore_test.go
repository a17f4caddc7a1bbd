package localstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"talbar/fieldapp/localstore"
	"talbar/fieldapp/syncclient"
	"talbar/shared/record"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
	"talbar/syncproto/merge"
)

// The store is the sync client's outbox.
var _ syncclient.Outbox = (*localstore.DB)(nil)

func mustOpen(tb testing.TB, path string, opt localstore.Options) *localstore.DB {
	tb.Helper()
	if path == "" {
		path = filepath.Join(tb.TempDir(), "field.db")
	}
	db, err := localstore.Open(path, opt)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func event(unit string) map[string]any {
	return map[string]any{"kind": "herder_meeting", "date": "2026-05-14", "unit": unit, "place": "Bagh 3 winter camp",
		"occasion": "wool_cashmere", "reached": map[string]int{"herders": 40, "self_employed": 5},
		"materials": map[string]int{"handbook": 20}, "contracts_signed": 3, "contributions_mnt": 450000}
}

func mustSave(tb testing.TB, db *localstore.DB, d localstore.Draft) string {
	tb.Helper()
	id, probs, err := db.Save(context.Background(), d)
	if err != nil || len(probs) > 0 {
		tb.Fatalf("save: %v %v", err, probs)
	}
	return id
}

func TestSaveEditDeleteRestore(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, "", localstore.Options{})
	id := mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	ch, _ := db.Changes(ctx, "")
	// Ten fields: reached's two counts and materials' one are each a field of their own.
	if len(ch) != 1 || ch[0].Op != syncproto.OpUpsert || len(ch[0].Fields) != 10 || string(ch[0].Fields["reached.herders"]) != "40" {
		t.Fatalf("first change=%+v", ch)
	}
	// An edit sends only what changed; an unchanged save writes nothing.
	mustSave(t, db, localstore.Draft{ID: id, Fields: map[string]any{"contracts_signed": 4, "place": "Bagh 3 winter camp"}})
	mustSave(t, db, localstore.Draft{ID: id, Fields: map[string]any{"contracts_signed": 4}})
	ch, _ = db.Changes(ctx, "")
	if got, want := len(ch), 2; got != want {
		t.Fatalf("changes=%d, want %d", got, want)
	}
	if got := fmt.Sprint(keys(ch[1].Fields)); got != "[contracts_signed]" {
		t.Fatalf("edit fields=%s", got)
	}
	if err := db.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	r, err := db.FindRecordByID(ctx, id)
	if err != nil || !r.Deleted || r.SyncState != localstore.StatePending {
		t.Fatalf("after delete: %+v %v", r, err)
	}
	ch, _ = db.Changes(ctx, "")
	if ch[2].Op != syncproto.OpDelete {
		t.Fatalf("delete op=%s", ch[2].Op)
	}
	if recs, _, _ := db.FindRecords(ctx, localstore.Filter{}); len(recs) != 0 {
		t.Fatalf("deleted record listed")
	}
	if err := db.Restore(ctx, id); err != nil {
		t.Fatal(err)
	}
	if r, _ := db.FindRecordByID(ctx, id); r.Deleted || record.Int(r.Values, "contracts_signed") != 4 {
		t.Fatalf("after restore: %+v", r.Values)
	}
	// Versions strictly increase along the outbox.
	ch, _ = db.Changes(ctx, "")
	for i := 1; i < len(ch); i++ {
		if ch[i].HLC <= ch[i-1].HLC {
			t.Fatalf("hlc %s after %s", ch[i].HLC, ch[i-1].HLC)
		}
	}
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSaveReportsProblemsPerField(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, "", localstore.Options{})
	f := event("MN9999")
	f["reached"] = map[string]int{"herders": -3}
	delete(f, "kind")
	_, probs, err := db.Save(ctx, localstore.Draft{Entity: record.EntityEvent, Fields: f})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range probs {
		got = append(got, p.Field+"="+p.Code)
	}
	if want := "[kind=required reached.herders=negative unit=unknown_unit]"; fmt.Sprint(got) != want {
		t.Fatalf("problems=%v, want %s", got, want)
	}
	if p, r, _ := db.Counts(ctx); p+r != 0 {
		t.Fatal("invalid record reached the outbox")
	}
}

func TestRejectedChangeFixedBySaveOrDiscarded(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, "", localstore.Options{})
	id := mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	first, _ := db.PendingChanges(ctx, 10)
	// The server says the soum is outside the inspector's area.
	if _, n, err := db.Acknowledge(ctx, syncproto.PushResponse{Rejected: []syncproto.Rejection{{ID: first[0].ID,
		Code: syncproto.RejectOutOfScope, Message: "outside"}}}); err != nil || n != 1 {
		t.Fatalf("ack: %d %v", n, err)
	}
	if p, r, _ := db.Counts(ctx); p != 0 || r != 1 {
		t.Fatalf("counts=%d,%d", p, r)
	}
	if recs, _, _ := db.FindRecords(ctx, localstore.Filter{Rejected: true}); len(recs) != 1 {
		t.Fatalf("rejected-only=%d", len(recs))
	}
	// Fixing the unit supersedes the rejected change with one carrying the whole record again.
	mustSave(t, db, localstore.Draft{ID: id, Fields: map[string]any{"unit": "MN6504"}})
	ch, _ := db.Changes(ctx, "")
	if len(ch) != 1 || ch[0].State != localstore.StatePending || len(ch[0].Fields) != 10 || string(ch[0].Fields["unit"]) != `"MN6504"` {
		t.Fatalf("after fix: %+v", ch)
	}
	// A rejected edit that is discarded puts the old value back.
	db.Acknowledge(ctx, syncproto.PushResponse{Accepted: []string{ch[0].ID}})
	mustSave(t, db, localstore.Draft{ID: id, Fields: map[string]any{"consultations": 7}})
	ch, _ = db.Changes(ctx, "")
	db.Acknowledge(ctx, syncproto.PushResponse{Rejected: []syncproto.Rejection{{ID: ch[0].ID, Code: syncproto.RejectInvalid,
		Problems: []syncproto.Problem{{Field: "consultations", Code: "out_of_range", Message: "too many"}}}}})
	rej, _ := db.Changes(ctx, localstore.StateRejected)
	if len(rej) != 1 || len(rej[0].Problems) != 1 || rej[0].Problems[0].Field != "consultations" {
		t.Fatalf("rejected=%+v", rej)
	}
	if err := db.Discard(ctx, ch[0].ID); err != nil {
		t.Fatal(err)
	}
	r, _ := db.FindRecordByID(ctx, id)
	if _, has := r.Values["consultations"]; has || r.SyncState != localstore.StateSynced {
		t.Fatalf("after discard: %s %v", r.SyncState, r.Values)
	}
	if err := db.Discard(ctx, "nope"); !errors.Is(err, localstore.ErrNotFound) {
		t.Fatalf("discard unknown: %v", err)
	}
}

// A clock set back never makes the persisted clock run backwards, across a restart too.
func TestClockNeverRunsBackwards(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f.db")
	wall := time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC) // a year ahead
	now := func() time.Time { return wall }
	db := mustOpen(t, path, localstore.Options{Now: now})
	mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	high := db.Clock().Last()
	db.Close()
	wall = wall.AddDate(-2, 0, 0) // set back two years
	db = mustOpen(t, path, localstore.Options{Now: now})
	id := mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	r, _ := db.FindRecordByID(ctx, id)
	if got, _ := hlc.Parse(r.Version); got <= high {
		t.Fatalf("hlc %s not after %s", got, high)
	}
}

func TestReopenKeepsMigrationsAndData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f.db")
	db := mustOpen(t, path, localstore.Options{})
	id := mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	db.Close()
	db = mustOpen(t, path, localstore.Options{})
	if m, _ := db.Migrations(ctx); len(m) == 0 || m[0] != "0001_init.sql" {
		t.Fatalf("migrations=%v", m)
	}
	if _, err := db.FindRecordByID(ctx, id); err != nil {
		t.Fatal(err)
	}
}

func TestEnrollmentNeverPrintsToken(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	db := mustOpen(t, "", localstore.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	id := mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	const secret = "s3cr3t-token-value"
	if err := db.SaveEnrollment(ctx, "http://x", syncproto.EnrollResponse{DeviceID: "dev-1", Token: secret,
		Inspector: syncproto.Inspector{ID: "i1", UnitCode: "MN6501", Role: "inspector"}, ServerEpoch: "e1"}); err != nil {
		t.Fatal(err)
	}
	e, err := db.Enrollment(ctx)
	if err != nil || e.Token != secret {
		t.Fatalf("enrollment: %v", err)
	}
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "e", e)
	out := logs.String() + fmt.Sprint(e) + fmt.Sprintf("%v %+v %#v %s", e, e, e, e)
	if strings.Contains(out, secret) {
		t.Fatalf("token leaked: %s", out)
	}
	// Fields saved before enrollment take the device id.
	r, _ := db.FindRecordByID(ctx, id)
	for k, f := range r.Merged.Fields {
		if f.D != "dev-1" {
			t.Fatalf("field %s writer %q", k, f.D)
		}
	}
}

func TestFindAndSummary(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, "", localstore.Options{})
	e1 := event("MN6501")
	e2 := event("MN6504")
	e2["date"], e2["kind"], e2["place"] = "2026-06-02", "market_day", "Хархорин зах"
	e3 := event("MN6501")
	e3["date"] = "2025-12-20"
	for _, f := range []map[string]any{e1, e2, e3} {
		mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: f})
	}
	for _, s := range []int{5, 2} {
		mustSave(t, db, localstore.Draft{Entity: record.EntitySurvey, Fields: map[string]any{"date": "2026-05-14", "unit": "MN6501",
			"target_group": "herders", "age_band": "35-44", "insurance_status": "voluntary", "info_access": "no", "satisfaction": s}})
	}
	for _, c := range []struct {
		f    localstore.Filter
		want int
	}{
		{localstore.Filter{}, 5},
		{localstore.Filter{Entity: "event"}, 3},
		{localstore.Filter{Kind: "market_day"}, 1},
		{localstore.Filter{Unit: "MN6501", From: "2026-01-01", To: "2026-12-31"}, 3},
		{localstore.Filter{Text: "ХАРХОРИН"}, 1},
		{localstore.Filter{Text: "winter"}, 2},
		{localstore.Filter{Pending: true}, 5},
		{localstore.Filter{Rejected: true}, 0},
	} {
		if _, n, err := db.FindRecords(ctx, c.f); err != nil || n != c.want {
			t.Errorf("%+v: n=%d err=%v, want %d", c.f, n, err, c.want)
		}
	}
	s, err := db.Summary(ctx, 2026, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Totals.Events["total"] != 2 || s.Totals.Reached["herders"] != 80 || s.Totals.Surveys.Responses != 2 ||
		*s.CannotGetInfoPct != 100 || *s.SatisfiedPct != 50 {
		t.Fatalf("summary=%+v", s.Totals)
	}
	if m, _ := db.Summary(ctx, 2026, 6, ""); m.Totals.Events["market_day"] != 1 || m.Totals.Events["total"] != 1 {
		t.Fatalf("june=%+v", m.Totals.Events)
	}
}

// Re-sent state carries each field with its original hlc and writer.
func TestResendStateKeepsOriginalHLCs(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, "", localstore.Options{})
	db.SaveEnrollment(ctx, "http://x", syncproto.EnrollResponse{DeviceID: "dev-1", Token: "t", ServerEpoch: "e1"})
	id := mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	mustSave(t, db, localstore.Draft{ID: id, Fields: map[string]any{"unit": "MN6504"}})
	// Another device's edit, pulled.
	if _, err := db.ApplyPull(ctx, "", syncproto.PullResponse{Cursor: "7", Changes: []syncproto.Change{{ID: "c", Entity: "event",
		RecordID: id, Op: "upsert", HLC: "0fffffffffff0000", DeviceID: "dev-2", Fields: map[string]json.RawMessage{"notes": json.RawMessage(`"x"`)}}}}); err != nil {
		t.Fatal(err)
	}
	pend, _ := db.PendingChanges(ctx, 10)
	db.Acknowledge(ctx, syncproto.PushResponse{Accepted: []string{pend[0].ID, pend[1].ID}})
	n, err := db.ResendState(ctx, "e2")
	if err != nil || n != 3 {
		t.Fatalf("resend n=%d err=%v", n, err)
	}
	pend, _ = db.PendingChanges(ctx, 10)
	if pend[0].Fields["unit"] == nil || pend[2].DeviceID != "dev-2" || pend[2].HLC != "0fffffffffff0000" {
		t.Fatalf("resent=%+v", pend)
	}
	if c, e, _ := db.SyncState(ctx); c != "" || e != "e2" {
		t.Fatalf("cursor=%q epoch=%q", c, e)
	}
}

// A record stored in merge.Record's first JSON form still reads after an upgrade.
func TestLegacyRecordJSONReads(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f.db")
	db := mustOpen(t, path, localstore.Options{})
	id := mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	legacy := `{"id":"` + id + `","entity":"event","fields":{"kind":{"v":"open_day","h":"0190000000000000","d":"dev"},` +
		`"date":{"v":"2026-01-02","h":"0190000000000000","d":"dev"},"unit":{"v":"MN6501","h":"0190000000000000","d":"dev"}}}`
	if _, err := raw.Exec(`UPDATE records SET data = ? WHERE id = ?`, legacy, id); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db = mustOpen(t, path, localstore.Options{})
	r, err := db.FindRecordByID(ctx, id)
	if err != nil || r.Kind != "open_day" || len(r.Merged.Fields) != 3 {
		t.Fatalf("legacy record: %+v %v", r, err)
	}
}

// A form saves against what it loaded: a field pulled from another device while the form was open,
// and not edited in it, keeps the pulled value.
func TestSaveWithBaseKeepsPulledField(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, "", localstore.Options{})
	db.SaveEnrollment(ctx, "http://x", syncproto.EnrollResponse{DeviceID: "dev-1", Token: "t", ServerEpoch: "e1"})
	id := mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	pend, _ := db.PendingChanges(ctx, 10)
	db.Acknowledge(ctx, syncproto.PushResponse{Accepted: []string{pend[0].ID}})
	// The form opens the record.
	loaded, err := db.FindRecordByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	form := map[string]any{}
	for k, v := range loaded.Values {
		form[k] = v
	}
	// Meanwhile a pull brings another device's newer place.
	next := db.Clock().Next().String()
	if _, err := db.ApplyPull(ctx, "", syncproto.PullResponse{Cursor: "1", Changes: []syncproto.Change{{ID: "c2", Entity: "event",
		RecordID: id, Op: "upsert", HLC: next, DeviceID: "dev-2", Fields: map[string]json.RawMessage{"place": json.RawMessage(`"Officer's place"`)}}}}); err != nil {
		t.Fatal(err)
	}
	form["consultations"] = 5
	mustSave(t, db, localstore.Draft{ID: id, Fields: form, Base: loaded.Values})
	pend, _ = db.PendingChanges(ctx, 10)
	if len(pend) != 1 || fmt.Sprint(keys(pend[0].Fields)) != "[consultations]" {
		t.Fatalf("change=%+v", pend)
	}
	r, _ := db.FindRecordByID(ctx, id)
	if got := record.Str(r.Values, "place"); got != "Officer's place" {
		t.Fatalf("place=%q", got)
	}
	// An edit of a field back to what is stored sends nothing; an edit away from Base does.
	form["place"] = "Officer's place"
	form["notes"] = "met at the school"
	mustSave(t, db, localstore.Draft{ID: id, Fields: form, Base: loaded.Values})
	pend, _ = db.PendingChanges(ctx, 10)
	if len(pend) != 2 || fmt.Sprint(keys(pend[1].Fields)) != "[notes]" {
		t.Fatalf("second change=%+v", pend)
	}
}

// A field pulled from a device whose clock runs a little ahead (within syncproto.MaxAhead; the
// server refuses more) is still overwritten by a later local edit: the edit follows what the
// inspector saw. A change stamped a year ahead (taken before the bound existed) does not drag the
// clock into that year.
func TestEditAfterFutureChangeWins(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, "", localstore.Options{})
	db.SaveEnrollment(ctx, "http://x", syncproto.EnrollResponse{DeviceID: "dev-1", Token: "t", ServerEpoch: "e1"})
	id := mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	ahead := hlc.New(time.Now().Add(3*time.Minute).UnixMilli(), 0).String()
	farAhead := hlc.New(time.Now().AddDate(1, 0, 0).UnixMilli(), 0).String()
	if _, err := db.ApplyPull(ctx, "", syncproto.PullResponse{Cursor: "1", ServerHLC: hlc.New(time.Now().UnixMilli(), 0).String(),
		Changes: []syncproto.Change{{ID: "c2", Entity: "event", RecordID: id, Op: "upsert", HLC: ahead, DeviceID: "dev-2",
			Fields: map[string]json.RawMessage{"place": json.RawMessage(`"Future place"`)}},
			{ID: "c3", Entity: "event", RecordID: id, Op: "upsert", HLC: farAhead, DeviceID: "dev-3",
				Fields: map[string]json.RawMessage{"notes": json.RawMessage(`"from a year ahead"`)}}}}); err != nil {
		t.Fatal(err)
	}
	if got := db.Clock().Last().String(); got < ahead || got >= farAhead {
		t.Fatalf("clock %s: want past the pulled %s, short of the year-ahead %s", got, ahead, farAhead)
	}
	mustSave(t, db, localstore.Draft{ID: id, Fields: map[string]any{"place": "Inspector's place"}})
	r, _ := db.FindRecordByID(ctx, id)
	if got := record.Str(r.Values, "place"); got != "Inspector's place" {
		t.Fatalf("place=%q", got)
	}
}

// Save observes the hlc of each field it replaces even when the clock never saw it (a record
// pulled by an older version of the app), and refuses with ErrNotApplied a save that could not win.
func TestSaveObservesReplacedFields(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f.db")
	db := mustOpen(t, path, localstore.Options{})
	id := mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	db.Close()
	ahead := hlc.New(time.Now().Add(3*time.Minute).UnixMilli(), 0).String() // within syncproto.MaxAhead
	setHLC(t, path, id, map[string]string{"place": ahead, "notes": "g000000000000000"})
	db = mustOpen(t, path, localstore.Options{})
	mustSave(t, db, localstore.Draft{ID: id, Fields: map[string]any{"place": "Inspector's place"}})
	r, _ := db.FindRecordByID(ctx, id)
	if got := record.Str(r.Values, "place"); got != "Inspector's place" {
		t.Fatalf("place=%q", got)
	}
	// A field stamped with an hlc no clock can pass (not even a valid one) cannot be overwritten:
	// the save says so instead of reporting success.
	_, _, err := db.Save(ctx, localstore.Draft{ID: id, Fields: map[string]any{"notes": "mine"}})
	if !errors.Is(err, localstore.ErrNotApplied) {
		t.Fatalf("save over an unbeatable field: %v", err)
	}
	if pend, _ := db.PendingChanges(ctx, 10); len(pend) != 2 {
		t.Fatalf("pending=%d, want 2 (nothing written by the refused save)", len(pend))
	}
}

// setHLC rewrites the hlc of some fields of a stored record, as an older app version or another
// device's clock left them.
func setHLC(t *testing.T, path, id string, hlcs map[string]string) {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var data string
	if err := raw.QueryRow(`SELECT data FROM records WHERE id = ?`, id).Scan(&data); err != nil {
		t.Fatal(err)
	}
	var r merge.Record
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		t.Fatal(err)
	}
	for name, h := range hlcs {
		f, ok := r.Fields[name]
		if !ok {
			f = merge.Field{V: json.RawMessage(`"x"`), D: "dev-9"}
		}
		f.H = h
		r.Fields[name] = f
	}
	if _, err := raw.Exec(`UPDATE records SET data = ? WHERE id = ?`, string(r.Marshal()), id); err != nil {
		t.Fatal(err)
	}
}

// State re-sent for a server that lost data cannot be discarded when the server refuses it: the
// server never received those values, and discarding would show the record as synced. A save
// fixes it instead, and a fix of it is re-sent state too. Databases written before the resent
// column learn it from the change's before.
func TestDiscardRefusesResentState(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(map[bool]string{false: "new", true: "migrated"}[legacy], func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "f.db")
			db := mustOpen(t, path, localstore.Options{})
			db.SaveEnrollment(ctx, "http://x", syncproto.EnrollResponse{DeviceID: "dev-1", Token: "t", ServerEpoch: "e1"})
			id := mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
			pend, _ := db.PendingChanges(ctx, 10)
			db.Acknowledge(ctx, syncproto.PushResponse{Accepted: []string{pend[0].ID}})
			// A plain edit, rejected: this one can be discarded.
			mustSave(t, db, localstore.Draft{ID: id, Fields: map[string]any{"consultations": 3}})
			pend, _ = db.PendingChanges(ctx, 10)
			edit := pend[0].ID
			db.Acknowledge(ctx, syncproto.PushResponse{Rejected: []syncproto.Rejection{{ID: edit, Code: syncproto.RejectInvalid}}})
			if n, err := db.ResendState(ctx, "e2"); err != nil || n != 1 {
				t.Fatalf("resend: %d %v", n, err)
			}
			pend, _ = db.PendingChanges(ctx, 10)
			db.Acknowledge(ctx, syncproto.PushResponse{Rejected: []syncproto.Rejection{{ID: pend[0].ID, Code: syncproto.RejectOutOfScope}}})
			if legacy {
				db.Close()
				raw, err := sql.Open("sqlite", path)
				if err != nil {
					t.Fatal(err)
				}
				for _, q := range []string{`ALTER TABLE outbox DROP COLUMN resent`, `DELETE FROM schema_migrations WHERE version = 2`} {
					if _, err := raw.Exec(q); err != nil {
						t.Fatal(err)
					}
				}
				raw.Close()
				db = mustOpen(t, path, localstore.Options{})
			}
			rej, _ := db.Changes(ctx, localstore.StateRejected)
			if len(rej) != 2 || rej[0].Resent || !rej[1].Resent {
				t.Fatalf("rejected=%+v", rej)
			}
			if err := db.Discard(ctx, pend[0].ID); !errors.Is(err, localstore.ErrResentState) {
				t.Fatalf("discard of re-sent state: %v", err)
			}
			if r, _ := db.FindRecordByID(ctx, id); r.SyncState != localstore.StateRejected {
				t.Fatalf("state after refused discard: %s", r.SyncState)
			}
			// The fix supersedes both rejected changes and is itself re-sent state.
			mustSave(t, db, localstore.Draft{ID: id, Fields: map[string]any{"unit": "MN6504"}})
			pend, _ = db.PendingChanges(ctx, 10)
			db.Acknowledge(ctx, syncproto.PushResponse{Rejected: []syncproto.Rejection{{ID: pend[0].ID, Code: syncproto.RejectOutOfScope}}})
			if err := db.Discard(ctx, pend[0].ID); !errors.Is(err, localstore.ErrResentState) {
				t.Fatalf("discard of a fix of re-sent state: %v", err)
			}
		})
	}
}

// A push answer the sync client made up (no server_hlc: a change too large to ever send) keeps
// the server's clock-skew warning; the server's next answer without one clears it.
func TestMadeUpAnswerKeepsSkewWarning(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, "", localstore.Options{})
	mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	mustSave(t, db, localstore.Draft{Entity: record.EntityEvent, Fields: event("MN6501")})
	pend, _ := db.PendingChanges(ctx, 10)
	server := hlc.New(time.Now().UnixMilli(), 0).String()
	db.Acknowledge(ctx, syncproto.PushResponse{Accepted: []string{pend[0].ID}, ServerHLC: server,
		Warnings: []syncproto.Warning{{Code: syncproto.WarnClockSkew, Message: "a year ahead"}}})
	if w, _ := db.SkewWarning(ctx); w == nil {
		t.Fatal("no skew warning kept")
	}
	if _, n, err := db.Acknowledge(ctx, syncproto.PushResponse{Rejected: []syncproto.Rejection{{ID: pend[1].ID,
		Code: syncclient.CodeTooLarge, Message: "too large"}}}); err != nil || n != 1 {
		t.Fatalf("made-up answer: %d %v", n, err)
	}
	if w, _ := db.SkewWarning(ctx); w == nil {
		t.Fatal("the made-up answer cleared the skew warning")
	}
	db.Acknowledge(ctx, syncproto.PushResponse{ServerHLC: server})
	if w, _ := db.SkewWarning(ctx); w != nil {
		t.Fatal("a server answer without a warning kept it")
	}
}
