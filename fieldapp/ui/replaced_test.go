package ui

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"talbar/fieldapp/localstore"
	"talbar/shared/i18n"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// A pulled edit that replaced the inspector's count without having seen it: home points to it,
// the rejected-changes screen says whose value replaced which of theirs, and Restore writes the
// inspector's value again as a change to send.
func TestReplacedValueToldAndRestored(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, i18n.EN, laptop)
	enrollOffline(t, e.db, "MN6501")
	id, probs, err := e.db.Save(ctx, localstore.Draft{Entity: "event", Fields: map[string]any{"kind": "open_day",
		"date": "2025-05-12", "unit": "MN6501", "reached": map[string]int{"herders": 25}}})
	if err != nil || len(probs) > 0 {
		t.Fatal(err, probs)
	}
	r, _ := e.db.FindRecordByID(ctx, id)
	mine := r.Merged.Fields["reached.herders"]
	cursor, _, _ := e.db.SyncState(ctx)
	page := syncproto.PullResponse{Cursor: cursor + "1", Changes: []syncproto.Change{{ID: "0193a4b2-0000-7000-8000-0000000000ab",
		Entity: "event", RecordID: id, Op: syncproto.OpUpsert, DeviceID: "officer-device", WriterName: "Сараа",
		HLC: hlc.New(time.Now().Add(time.Minute).UnixMilli(), 0).String(), Fields: map[string]json.RawMessage{"reached.herders": json.RawMessage("20")},
		Base: map[string]string{"reached.herders": "0193a4b200000000"}}}}
	if _, err := e.db.ApplyPull(ctx, cursor, page); err != nil {
		t.Fatal(err)
	}
	if mine.H == "" {
		t.Fatal("no hlc on the inspector's count")
	}
	e.ui.Show(ScreenHome)
	e.ui.Home.Refresh()
	if !e.ui.Home.Rejected.Visible() || !strings.Contains(e.ui.Home.Rejected.Text, "1 of your values was replaced") {
		t.Fatalf("home: %q visible=%v", e.ui.Home.Rejected.Text, e.ui.Home.Rejected.Visible())
	}
	test.Tap(e.ui.Home.Rejected)
	s := e.ui.Rejected
	if len(s.Replaced) != 1 {
		t.Fatalf("%d notices", len(s.Replaced))
	}
	text := s.Replaced[0].Text.Text
	for _, want := range []string{"Your 25", "Herders", "replaced by 20 from Сараа"} {
		if !strings.Contains(text, want) {
			t.Errorf("notice %q lacks %q", text, want)
		}
	}
	test.Tap(s.Replaced[0].Restore)
	r, _ = e.db.FindRecordByID(ctx, id)
	if got := string(r.Values["reached"]); got != `{"herders":25}` {
		t.Fatalf("after restore: reached=%s", got)
	}
	pend, _ := e.db.PendingChanges(ctx, 10)
	if last := pend[len(pend)-1]; string(last.Fields["reached.herders"]) != "25" {
		t.Fatalf("the restore is not queued to send: %+v", last)
	}
	if len(s.Replaced) != 0 {
		t.Fatal("the notice is still shown after the restore")
	}
}
