package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"talbar/fieldapp/localstore"
	"talbar/shared/i18n"
	"talbar/shared/record"
)

// TestDatesBoundedAndCalendarInMongolian: a date after tomorrow or before 2019 gets a message
// beside the field and is not saved; the calendar names months and weekdays in Mongolian, starts
// weeks on Monday, offers no day after tomorrow and stays inside a phone-sized window.
func TestDatesBoundedAndCalendarInMongolian(t *testing.T) {
	phone := fyne.NewSize(360, 740)
	e := newEnv(t, i18n.MN, phone)
	enrollOffline(t, e.db, "MN6501")
	e.ui.cfg.Now = func() time.Time { return time.Date(2026, 12, 1, 15, 0, 0, 0, time.Local) }
	e.ui.loadUnits()
	e.ui.Event.ensureUnits()
	e.ui.Show(ScreenEvent)
	f := e.ui.Event
	for date, want := range map[string]string{
		"2026-12-25": "ирээдүйн огноо оруулах боломжгүй; өнөөдрийн буюу өмнөх огноо оруулна уу",
		"2018-12-31": catalog.T(i18n.MN, "err.too_early"),
		"2026-12-02": "",
	} {
		f.Date.entry.SetText(date)
		if got := f.Date.err.Text; got != want || f.Date.err.Hidden != (want == "") {
			t.Errorf("%s: message %q (hidden %v), want %q", date, got, f.Date.err.Hidden, want)
		}
	}
	f.Kind.setCode(record.KindOpenDay)
	f.Date.entry.SetText("2027-12-01")
	test.Tap(f.SaveButton)
	if n := countRecords(t, e); n != 0 {
		t.Fatalf("a date a year ahead was saved (%d records)", n)
	}
	// The survey's date is checked as it is typed too.
	e.ui.Survey.Date.entry.SetText("2030-01-01")
	if e.ui.Survey.Date.err.Hidden {
		t.Error("survey: no message for a date in 2030")
	}

	f.Date.entry.SetText("2026-12-01")
	test.Tap(f.Date.CalButton)
	c := f.Date.Calendar
	if c == nil {
		t.Fatal("no calendar opened")
	}
	if got, want := c.Title.Text, "2026 оны Арван хоёрдугаар сар"; got != want {
		t.Fatalf("calendar title %q, want %q", got, want)
	}
	if !hasText(e.win, "Да") || !hasText(e.win, "Ня") || hasText(e.win, "MON") {
		t.Fatal("weekday names are not Mongolian")
	}
	// 1 December 2026 is a Tuesday: the second cell of a Monday-first week.
	if c.Days[0].Visible() || c.Days[1].Text != "1" {
		t.Fatalf("first week: cell 0 shown %v, cell 1 %q", c.Days[0].Visible(), c.Days[1].Text)
	}
	if c.Days[2].Disabled() || !c.Days[3].Disabled() {
		t.Fatalf("2 December enabled %v, 3 December disabled %v (latest is tomorrow)", !c.Days[2].Disabled(), c.Days[3].Disabled())
	}
	if !c.Next.Disabled() {
		t.Fatal("the next month can be opened although it lies in the future")
	}
	pop := f.Date.pop
	if p, s := pop.Content.Position(), pop.Content.Size(); p.X < 0 || p.X+s.Width > phone.Width+1 || p.Y+s.Height > phone.Height+1 {
		t.Fatalf("calendar at %v size %v leaves the %v window", p, s, phone)
	}
	test.Tap(c.Prev)
	if got, want := c.Title.Text, "2026 оны Арван нэгдүгээр сар"; got != want {
		t.Fatalf("after Prev: %q, want %q", got, want)
	}
	// 1 November 2026 is a Sunday: cell 6; the 15th is cell 20.
	if c.Days[6].Text != "1" || c.Days[20].Text != "15" {
		t.Fatalf("November cells: %q, %q", c.Days[6].Text, c.Days[20].Text)
	}
	test.Tap(c.Days[20])
	if got := f.Date.text(); got != "2026-11-15" || pop.Visible() {
		t.Fatalf("picked: date %q, calendar still open %v", got, pop.Visible())
	}
}

func countRecords(t *testing.T, e *env) int {
	t.Helper()
	_, n, err := e.db.FindRecords(t.Context(), localstore.Filter{IncludeDeleted: true})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
