package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"talbar/fieldapp/localstore"
	"talbar/shared/i18n"
	"talbar/shared/record"
)

// tapDiscard taps "Discard" in the unsaved-changes dialog, failing when none is shown or its
// button is not styled as destructive.
func tapDiscard(t *testing.T, e *env) {
	t.Helper()
	b := dialogButton(e.win, catalog.T(e.ui.lang, "ui.discard.confirm"))
	if b == nil {
		t.Fatalf("no unsaved-changes dialog; screen %s", e.ui.Current())
	}
	if b.Importance != widget.DangerImportance {
		t.Errorf("discard button importance %v, want danger", b.Importance)
	}
	test.Tap(b)
}

// absY is an object's distance from the top of the window.
func absY(o fyne.CanvasObject) float32 {
	return fyne.CurrentApp().Driver().AbsolutePositionForObject(o).Y
}

// TestSaveBannerAndFirstProblem: a refused save says in a banner above the form how many fields
// need attention and scrolls to the first; a message appearing while typing does not move the
// fields below; a good save confirms at the top and says what happens next.
func TestSaveBannerAndFirstProblem(t *testing.T) {
	e := newEnv(t, i18n.MN, laptop)
	enrollOffline(t, e.db, "MN6501")
	e.ui.loadUnits()
	e.ui.Event.ensureUnits()
	e.ui.Show(ScreenEvent)
	f := e.ui.Event
	f.Kind.setCode(record.KindOpenDay)

	// Placeholders are hints, never values.
	for _, n := range f.nums {
		if n.entry.PlaceHolder != "" {
			t.Fatalf("%s shows placeholder %q", n.path, n.entry.PlaceHolder)
		}
	}
	if got, want := f.Lat.PlaceHolder, "жишээ нь 47.92"; got != want {
		t.Fatalf("latitude placeholder %q, want %q", got, want)
	}

	below := f.Materials["brochure"].row
	before := absY(below)
	test.Type(f.Reached["students"].entry, "abc")
	if got, want := f.Reached["students"].err.Text, "бүхэл тоо оруулна уу"; got != want || f.Reached["students"].err.Hidden {
		t.Fatalf("message %q, want %q", got, want)
	}
	if after := absY(below); after != before {
		t.Fatalf("the message moved the next field from %v to %v", before, after)
	}
	test.Type(f.Reached["herders"].entry, "1000001")
	if got, want := f.Reached["herders"].err.Text, "хамгийн ихдээ 1\u00a0000\u00a0000 байх ёстой; тоогоо шалгана уу"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	test.Type(f.Reached["employers"].entry, "24")
	if got, want := f.ReachedTotal.Text, catalog.T(i18n.MN, "ui.event.reached_total", "24"); got != want {
		t.Fatalf("total %q, want %q: invalid entries must not count", got, want)
	}
	test.Type(f.Lat, "95")
	if got := f.LatErr.Text; !strings.Contains(got, "41.5–52.2") {
		t.Fatalf("latitude message %q names no range", got)
	}
	if strings.Contains(f.LatErr.Text, "/") {
		t.Fatalf("message repeats the section: %q", f.LatErr.Text)
	}

	test.Tap(f.SaveButton)
	if got, want := f.Status.Text, catalog.N(i18n.MN, "ui.form.fix_count", 3, 3); got != want {
		t.Fatalf("banner %q, want %q", got, want)
	}
	if !f.banner.box.Visible() || absY(f.banner.box) >= absY(f.scroll) {
		t.Fatal("the banner is not shown above the form")
	}
	// The first marked field (herders) is scrolled into view.
	row := f.rows["reached.herders"]
	y := absY(row) - absY(f.scroll)
	if f.scroll.Offset.Y <= 0 || y < 0 || y+row.Size().Height > f.scroll.Size().Height {
		t.Fatalf("herders row at %v of a %v-high view (offset %v)", y, f.scroll.Size().Height, f.scroll.Offset.Y)
	}
	// Save stays reachable without scrolling: it is in the bar below the form.
	if sy := absY(f.SaveButton); sy < absY(f.scroll)+f.scroll.Size().Height || sy > e.win.Canvas().Size().Height {
		t.Fatalf("Save at y=%v, not in the bar below the form", sy)
	}

	for _, n := range []*numField{f.Reached["students"], f.Reached["herders"]} {
		n.entry.SetText("")
	}
	f.Lat.SetText("")
	test.Type(f.Reached["herders"].entry, "12")
	test.Tap(f.SaveButton)
	if got := f.Status.Text; got != catalog.T(i18n.MN, "ui.form.saved") || f.Status.Importance != widget.SuccessImportance {
		t.Fatalf("after save: banner %q (%v)", got, f.Status.Importance)
	}
	if f.scroll.Offset.Y != 0 || !f.banner.box.Visible() {
		t.Fatalf("after save: offset %v, banner shown %v", f.scroll.Offset.Y, f.banner.box.Visible())
	}
	if _, n, _ := e.db.FindRecords(context.Background(), localstore.Filter{}); n != 1 {
		t.Fatalf("%d records, want 1", n)
	}
}

// TestLeavingEditedFormAsks: the nav says an edit is open; leaving it with changes asks; Cancel
// keeps the edit, Discard drops it and leaves the record as stored; an untouched form leaves
// without a question.
func TestLeavingEditedFormAsks(t *testing.T) {
	for _, lang := range i18n.Langs {
		t.Run(lang, func(t *testing.T) {
			e := newEnv(t, lang, laptop)
			enrollOffline(t, e.db, "MN6501")
			e.ui.loadUnits()
			e.ui.Event.ensureUnits()
			id := saveRecord(t, e.db, record.EntityEvent, map[string]any{"kind": record.KindOpenDay,
				"date": "2026-01-05", "unit": "MN6501", "place": "Төв талбай"})
			e.ui.Show(ScreenEvent)
			test.Tap(e.ui.navBtns[ScreenHome]) // untouched new form: no question
			e.ui.WaitIdle()                    // home adds up its figures in the background
			if e.ui.Current() != ScreenHome || len(e.win.Canvas().Overlays().List()) != 0 {
				t.Fatalf("leaving an untouched form: screen %s, %d dialogs", e.ui.Current(), len(e.win.Canvas().Overlays().List()))
			}

			e.ui.Records.Open(id)
			test.Tap(e.ui.Detail.EditButton)
			if got, want := e.ui.navBtns[ScreenEvent].Text, catalog.T(lang, "ui.nav.editing"); got != want {
				t.Fatalf("nav while editing says %q, want %q", got, want)
			}
			if got := e.ui.navTabs[ScreenEvent].text; got != catalog.T(lang, "ui.nav.editing") {
				t.Fatalf("phone nav while editing says %q", got)
			}
			f := e.ui.Event
			test.Type(f.Place, " 2")
			test.Tap(e.ui.navBtns[ScreenRecords])
			if !dialogSays(e.win, catalog.T(lang, "ui.discard.question")) {
				t.Fatal("no question when leaving an edited form")
			}
			test.Tap(dialogButton(e.win, catalog.T(lang, "ui.action.cancel")))
			if e.ui.Current() != ScreenEvent || f.Place.Text != " 2Төв талбай" || f.id != id {
				t.Fatalf("cancel: screen %s, place %q", e.ui.Current(), f.Place.Text)
			}
			test.Tap(e.ui.navBtns[ScreenEvent]) // "New event" while editing asks too
			tapDiscard(t, e)
			if e.ui.Current() != ScreenEvent || f.id != "" || f.Place.Text != "" {
				t.Fatalf("discard: screen %s, id %q, place %q", e.ui.Current(), f.id, f.Place.Text)
			}
			if got, want := e.ui.navBtns[ScreenEvent].Text, catalog.T(lang, "ui.nav.event"); got != want {
				t.Fatalf("nav after the edit says %q, want %q", got, want)
			}
			if r, _ := e.db.FindRecordByID(context.Background(), id); jsonStr(r.Values["place"]) != "Төв талбай" {
				t.Fatalf("discarded edit reached the store: %s", r.Values["place"])
			}
			// A new survey with answers typed asks too.
			e.ui.Show(ScreenSurvey)
			answerSurvey(e.ui.Survey)
			test.Tap(e.ui.navBtns[ScreenHome])
			tapDiscard(t, e)
			e.ui.WaitIdle()
			if e.ui.Current() != ScreenHome || e.ui.Survey.Dirty() {
				t.Fatalf("after discarding the survey: screen %s, dirty %v", e.ui.Current(), e.ui.Survey.Dirty())
			}
		})
	}
}

// TestPhoneLayout: at 360 px the nav names its buttons under the icons, Save is in view without
// scrolling the long event form, and a label that wraps does not stretch its number box.
func TestPhoneLayout(t *testing.T) {
	phone := fyne.NewSize(360, 740)
	e := newEnv(t, i18n.MN, phone)
	enrollOffline(t, e.db, "MN6501")
	e.ui.loadUnits()
	e.ui.Event.ensureUnits()
	e.ui.Show(ScreenEvent)
	for s, tab := range e.ui.navTabs {
		if !tab.Visible() || tab.text != catalog.T(i18n.MN, navKeys[s]) {
			t.Errorf("phone nav %s: shown %v, text %q", s, tab.Visible(), tab.text)
		}
		if absY(tab)+tab.Size().Height > phone.Height || tab.Size().Width*5 > phone.Width+1 {
			t.Errorf("tab %s at %v, size %v: outside the window", s, absY(tab), tab.Size())
		}
	}
	if e.ui.nav.Objects[0].Visible() {
		t.Error("the wide nav is shown at 360 px")
	}
	f := e.ui.Event
	if h := f.scroll.Content.MinSize().Height; h < 2*phone.Height {
		t.Fatalf("the form is %v px high; the test wants one longer than the screen", h)
	}
	for _, b := range []*widget.Button{f.SaveButton, f.NewButton} {
		if y := absY(b); y < 0 || y+b.Size().Height > phone.Height || !b.Visible() {
			t.Errorf("%q at y=%v (height %v) is not within the %v-px window", b.Text, y, b.Size().Height, phone.Height)
		}
	}
	// Tapping "+" (the phone's event tab) works as the wide button does.
	test.Tap(e.ui.navTabs[ScreenHome])
	e.ui.WaitIdle()
	if e.ui.Current() != ScreenHome {
		t.Fatalf("the home tab opened %s", e.ui.Current())
	}
	e.ui.Show(ScreenEvent)
	n := f.Reached["near_pension"]
	if got, want := n.entry.Size().Height, n.entry.MinSize().Height; got != want {
		t.Errorf("number box beside a wrapped label is %v px high, want its own %v", got, want)
	}
	if n.row.Size().Height <= n.entry.MinSize().Height+1 {
		t.Errorf("the label did not wrap (row %v px): the test checks nothing", n.row.Size().Height)
	}
}
