package ui

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"talbar/fieldapp/localstore"
	"talbar/shared/i18n"
	"talbar/shared/record"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// overlayObjects is every object of the dialogs shown over the window.
func overlayObjects(win fyne.Window) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	for _, o := range win.Canvas().Overlays().List() {
		out = append(out, test.LaidOutObjects(o)...)
	}
	return out
}

// dialogButton is the button labelled text in a dialog over the window, nil when none is shown.
func dialogButton(win fyne.Window, text string) *widget.Button {
	for _, o := range overlayObjects(win) {
		if b, ok := o.(*widget.Button); ok && b.Visible() && b.Text == text {
			return b
		}
	}
	return nil
}

// dialogSays reports whether a dialog over the window shows the message text.
func dialogSays(win fyne.Window, text string) bool {
	for _, o := range overlayObjects(win) {
		if l, ok := o.(*widget.Label); ok && l.Visible() && l.Text == text {
			return true
		}
	}
	return false
}

// TestReenrollWithPendingChanges: re-enrolling with another server while a change waits for the
// current one asks first, with our own labels; cancel keeps the device where it was, confirm
// enrolls anyway and the next sync sends every record, the unsent one too, to the new server.
func TestReenrollWithPendingChanges(t *testing.T) {
	old, nu := startServer(t), startServer(t)
	e := newEnv(t, i18n.MN, laptop)
	enrollThroughScreen(t, e, old, old.AddNamedInspector("Ганаа", "MN6501", "inspector"))
	ctx := context.Background()

	// One event reaches the old server, a second one waits.
	e.ui.Show(ScreenEvent)
	fillEvent(t, e.ui.Event, "10", "2")
	test.Tap(e.ui.Event.SaveButton)
	e.ui.Show(ScreenHome)
	e.ui.WaitIdle()
	test.Tap(e.ui.Home.SyncButton)
	e.ui.WaitIdle()
	if pending, rejected, _ := e.db.Counts(ctx); pending+rejected != 0 {
		t.Fatalf("first sync left %d pending, %d rejected (%q)", pending, rejected, e.ui.Home.SyncStatus.Text)
	}
	e.ui.Show(ScreenEvent)
	fillEvent(t, e.ui.Event, "20", "3")
	test.Tap(e.ui.Event.SaveButton)
	if pending, _, _ := e.db.Counts(ctx); pending != 1 {
		t.Fatalf("%d pending, want 1 (%q)", pending, e.ui.Event.Status.Text)
	}

	e.ui.Show(ScreenSettings)
	s := e.ui.Settings
	code := nu.AddNamedInspector("Ганаа", "MN6501", "inspector")
	s.Server.SetText(nu.URL)
	s.Code.SetText(code)
	test.Tap(s.EnrollButton)
	e.ui.WaitIdle()
	if got, want := s.EnrollMessage.Text, catalog.T(i18n.MN, "fieldapp.sync.pending_changes"); got != want {
		t.Fatalf("message = %q, want %q", got, want)
	}
	yes, no := catalog.T(i18n.MN, "ui.settings.move_confirm"), catalog.T(i18n.MN, "ui.action.cancel")
	if !hasText(e.win, catalog.T(i18n.MN, "ui.settings.move_title")) || dialogButton(e.win, yes) == nil || dialogButton(e.win, no) == nil {
		t.Fatalf("no confirmation with our labels: %q", texts(e.win))
	}
	if want := catalog.T(i18n.MN, "ui.settings.move_question", 1, nu.URL); !dialogSays(e.win, want) {
		t.Fatalf("the confirmation does not say %q", want)
	}
	checkNoKeys(t, e, "re-enrollment confirmation")
	if enr, _ := e.db.Enrollment(ctx); enr.ServerURL != old.URL {
		t.Fatalf("enrolled with %s before confirming", enr.ServerURL)
	}

	// Cancel: still the old server, the change still waits.
	test.Tap(dialogButton(e.win, no))
	e.ui.WaitIdle()
	if enr, _ := e.db.Enrollment(ctx); enr.ServerURL != old.URL {
		t.Fatalf("enrolled with %s after cancel", enr.ServerURL)
	}
	if pending, _, _ := e.db.Counts(ctx); pending != 1 {
		t.Fatalf("%d pending after cancel", pending)
	}

	// Again, and confirm: the code the refusal did not spend enrolls with the new server.
	test.Tap(s.EnrollButton)
	e.ui.WaitIdle()
	b := dialogButton(e.win, yes)
	if b == nil {
		t.Fatalf("no confirmation the second time: %q", texts(e.win))
	}
	test.Tap(b)
	e.ui.WaitIdle()
	enr, err := e.db.Enrollment(ctx)
	if err != nil || enr.ServerURL != nu.URL {
		t.Fatalf("enrollment after confirming: %s, %v (message %q)", enr.ServerURL, err, s.EnrollMessage.Text)
	}
	if got, want := s.EnrollMessage.Text, catalog.T(i18n.MN, "ui.settings.reenrolled"); got != want {
		t.Fatalf("message = %q, want %q", got, want)
	}
	if pending, rejected, _ := e.db.Counts(ctx); pending+rejected != 0 {
		t.Fatalf("after the sync with the new server: %d pending, %d rejected (%q)", pending, rejected, e.ui.Home.SyncStatus.Text)
	}
	// Both events are on the new server: the one the old server had, and the one that waited.
	got := nu.Totals(t, enr.Token, time.Now().Year(), "MN")
	if got.Events["herder_meeting"] != 2 || got.Reached["herders"] != 30 || got.Reached["total"] != 35 {
		t.Fatalf("new server's totals: events %v, reached %v", got.Events, got.Reached)
	}
}

// moveAway applies an officer's move of record id to unit as a pull from the server would.
func moveAway(t *testing.T, db *localstore.DB, id, unit string) {
	t.Helper()
	ctx := context.Background()
	chs, err := db.PendingChanges(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range chs {
		ids = append(ids, c.ID)
	}
	if _, _, err := db.Acknowledge(ctx, syncproto.PushResponse{Accepted: ids}); err != nil {
		t.Fatal(err)
	}
	u, _ := json.Marshal(unit)
	cursor, _, err := db.SyncState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	page := syncproto.PullResponse{Cursor: cursor + "9", Changes: []syncproto.Change{{ID: "0193a4b2-0000-7000-8000-000000000001",
		Entity: record.EntityEvent, RecordID: id, Op: syncproto.OpUpsert, DeviceID: "officer-device",
		HLC: hlc.New(time.Now().Add(time.Minute).UnixMilli(), 0).String(), Fields: map[string]json.RawMessage{"unit": u}}}}
	if _, err := db.ApplyPull(ctx, cursor, page); err != nil {
		t.Fatal(err)
	}
}

// TestMovedRecordReadOnly: a record an officer moved to another soum leaves "my records", is
// shown read-only with a note naming the soum, and every way of changing it ends in the
// translated message rather than a raw error.
func TestMovedRecordReadOnly(t *testing.T) {
	for _, lang := range i18n.Langs {
		t.Run(lang, func(t *testing.T) {
			e := newEnv(t, lang, laptop)
			enrollOffline(t, e.db, "MN6501")
			e.ui.loadUnits()
			seed(t, e)
			ctx := context.Background()
			recs, _, err := e.db.FindRecords(ctx, localstore.Filter{Entity: record.EntityEvent})
			if err != nil || len(recs) != 1 {
				t.Fatalf("events: %d, %v", len(recs), err)
			}
			id := recs[0].ID
			const to = "MN6504"
			outsideMsg := catalog.T(lang, "fieldapp.store.outside_scope")

			// The form is open on the event when the move arrives with a sync.
			e.ui.Records.Open(id)
			if e.ui.Detail.EditButton.Hidden || e.ui.Detail.DeleteButton.Hidden || !e.ui.Detail.Moved.Hidden {
				t.Fatal("an own record is shown read-only")
			}
			test.Tap(e.ui.Detail.EditButton)
			if e.ui.Current() != ScreenEvent || e.ui.Event.id != id {
				t.Fatalf("edit opened %s", e.ui.Current())
			}
			moveAway(t, e.db, id, to)
			e.ui.Event.Place.SetText("")
			test.Type(e.ui.Event.Place, "Өөр газар")
			test.Tap(e.ui.Event.SaveButton)
			if got := e.ui.Event.Status.Text; got != outsideMsg {
				t.Fatalf("saving the moved record says %q, want %q", got, outsideMsg)
			}
			if r, _ := e.db.FindRecordByID(ctx, id); jsonStr(r.Values["place"]) != "Сумын төв" || !r.Outside {
				t.Fatalf("moved record changed: place %s, outside %v", r.Values["place"], r.Outside)
			}

			// Not among "my records"; listed with the filter, marked as moved.
			e.ui.Show(ScreenRecords)
			for _, r := range e.ui.Records.Items {
				if r.ID == id {
					t.Fatal("moved record in the list")
				}
			}
			e.ui.Records.Outside.SetChecked(true)
			var moved *localstore.Record
			for i, r := range e.ui.Records.Items {
				if r.ID == id {
					moved = &e.ui.Records.Items[i]
				}
			}
			if moved == nil {
				t.Fatalf("moved record not listed with %q", e.ui.Records.Outside.Text)
			}
			if sub := e.ui.Records.subtitle(*moved); !strings.Contains(sub, catalog.T(lang, "ui.state.outside")) {
				t.Fatalf("list line %q does not say it was moved", sub)
			}

			// Detail: read-only, with the note naming the soum.
			e.ui.Records.Open(id)
			d := e.ui.Detail
			if !d.EditButton.Hidden || !d.DeleteButton.Hidden {
				t.Fatal("edit or delete offered for a moved record")
			}
			name := e.ui.unitName(to)
			if want := catalog.T(lang, "ui.detail.moved", name); d.Moved.Hidden || d.Moved.Text != want || name == to {
				t.Fatalf("note = %q (hidden %v), want %q", d.Moved.Text, d.Moved.Hidden, want)
			}
			checkNoKeys(t, e, "moved record's detail")

			// Edit and delete anyway (a stale button, the rejected view's fix): the message, no form.
			d.Edit()
			if e.ui.Current() != ScreenDetail || !dialogSays(e.win, outsideMsg) {
				t.Fatalf("edit of a moved record: screen %s, dialog %q", e.ui.Current(), texts(e.win))
			}
			test.Tap(dialogButton(e.win, catalog.T(lang, "ui.action.ok")))
			d.Delete()
			if !dialogSays(e.win, outsideMsg) || dialogButton(e.win, catalog.T(lang, "ui.action.delete")) != nil {
				t.Fatalf("delete of a moved record: %q", texts(e.win))
			}
			test.Tap(dialogButton(e.win, catalog.T(lang, "ui.action.ok")))
			d.DeleteNow(id)
			if !dialogSays(e.win, outsideMsg) {
				t.Fatalf("the store's refusal to delete is not explained: %q", texts(e.win))
			}
			test.Tap(dialogButton(e.win, catalog.T(lang, "ui.action.ok")))
			if r, _ := e.db.FindRecordByID(ctx, id); r.Deleted {
				t.Fatal("moved record deleted")
			}
			r, _ := e.db.FindRecordByID(ctx, id)
			openForm(e.ui, r)
			if e.ui.Current() != ScreenDetail {
				t.Fatalf("the form of a moved record opened: %s", e.ui.Current())
			}

			// The other record is still the inspector's own.
			e.ui.Records.Outside.SetChecked(false)
			for _, x := range e.ui.Records.Items {
				if x.ID != id {
					e.ui.Records.Open(x.ID)
				}
			}
			if d.EditButton.Hidden || d.DeleteButton.Hidden || !d.Moved.Hidden {
				t.Fatal("an own record after a moved one is read-only")
			}
		})
	}
}
