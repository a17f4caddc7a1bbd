package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"talbar/shared/i18n"
	"talbar/shared/numfmt"
	"talbar/shared/record"
)

// detailText is the value shown under a field's label on the detail screen.
func detailText(e *env, field string) string {
	objs := e.ui.Detail.Body.Objects
	for i := 0; i+1 < len(objs); i += 2 {
		if l, ok := objs[i].(*widget.Label); ok && l.Text == catalog.T(e.ui.lang, "field."+field) {
			return objs[i+1].(*widget.Label).Text
		}
	}
	return ""
}

// TestNumbersOneStyle: home, the records list and the detail write numbers one way per language
// (thousands grouped, a decimal point in both languages), and the detail shows a coordinate as typed.
func TestNumbersOneStyle(t *testing.T) {
	for _, tc := range []struct {
		lang, lat, reached, money, coord, total string
	}{
		{i18n.MN, "47.9", "Малчин: 1\u00a0200", "450\u00a0000 ₮", "47.9", "1\u00a0200 хүн"},
		{i18n.EN, "47.9", "Herders: 1,200", "450,000 ₮", "47.9", "1,200 people"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t, tc.lang, laptop)
			enrollOffline(t, e.db, "MN6501")
			e.ui.loadUnits()
			e.ui.Event.ensureUnits()
			e.ui.Show(ScreenEvent)
			f := e.ui.Event
			f.Kind.setCode(record.KindMarketDay)
			test.Type(f.Reached["herders"].entry, "1200")
			test.Type(f.Contributions.entry, "450000")
			test.Type(f.Lat, tc.lat)
			test.Type(f.Lon, "106")
			test.Tap(f.SaveButton)
			if got := f.Status.Text; got != catalog.T(tc.lang, "ui.form.saved") {
				t.Fatalf("save: %q", got)
			}
			e.ui.Show(ScreenHome)
			e.ui.WaitIdle()
			if got := e.ui.Home.MonthCard.Contributions.Text; got != tc.money {
				t.Errorf("home contributions %q, want %q", got, tc.money)
			}
			if got := e.ui.Home.MonthCard.Reached.Text; got != "1\u00a0200" && tc.lang == i18n.MN || got != "1,200" && tc.lang == i18n.EN {
				t.Errorf("home reached %q", got)
			}
			e.ui.Show(ScreenRecords)
			if got, want := e.ui.Records.Count.Text, catalog.N(tc.lang, "ui.records.count", 1, "1"); got != want {
				t.Errorf("records count %q, want %q", got, want)
			}
			if tc.lang == i18n.EN && e.ui.Records.Count.Text != "1 record" {
				t.Errorf("English singular: %q", e.ui.Records.Count.Text)
			}
			if sub := e.ui.Records.subtitle(e.ui.Records.Items[0]); !strings.Contains(sub, tc.total) {
				t.Errorf("list line %q lacks %q", sub, tc.total)
			}
			// Dates as each language writes them, in the list and the detail (shared/numfmt).
			day := numfmt.Date(tc.lang, time.Now())
			if got := e.ui.Records.title(e.ui.Records.Items[0]); !strings.HasPrefix(got, day+" · ") {
				t.Errorf("list title %q, want it to start with %q", got, day)
			}
			e.ui.Records.Open(e.ui.Records.Items[0].ID)
			if got := detailText(e, "date"); got != day {
				t.Errorf("detail date %q, want %q", got, day)
			}
			if got := detailText(e, "reached"); got != tc.reached {
				t.Errorf("detail reached %q, want %q", got, tc.reached)
			}
			if got := detailText(e, "contributions_mnt"); got != tc.money {
				t.Errorf("detail contributions %q, want %q", got, tc.money)
			}
			if got := detailText(e, "lat"); got != tc.coord {
				t.Errorf("detail latitude %q, want %q as typed", got, tc.coord)
			}
			test.Tap(e.ui.Detail.EditButton)
			if got := f.Lat.Text; got != tc.coord {
				t.Errorf("edit form latitude %q, want %q", got, tc.coord)
			}
			// Delete asks with a red button.
			e.ui.Records.Open(e.ui.Records.Items[0].ID)
			test.Tap(e.ui.Detail.DeleteButton)
			if b := dialogButton(e.win, catalog.T(tc.lang, "ui.action.delete")); b == nil || b.Importance != widget.DangerImportance {
				t.Errorf("delete confirmation button %v is not destructive", b)
			}
		})
	}
}

// TestReversedDateRange: a From date after the To date says so instead of showing no records.
func TestReversedDateRange(t *testing.T) {
	e := newEnv(t, i18n.EN, laptop)
	enrollOffline(t, e.db, "MN6501")
	saveRecord(t, e.db, record.EntityEvent, map[string]any{"kind": record.KindOpenDay,
		"date": time.Now().Format("2006-01-02"), "unit": "MN6501"})
	e.ui.Show(ScreenRecords)
	r := e.ui.Records
	test.Type(r.From, "2026-11-25")
	test.Type(r.To, "2026-11-01")
	if got, want := r.Count.Text, catalog.T(i18n.EN, "ui.records.reversed"); got != want {
		t.Fatalf("count line %q, want %q", got, want)
	}
	r.To.SetText("")
	r.From.SetText("")
	if got := r.Count.Text; got != "1 record" {
		t.Fatalf("after clearing: %q", got)
	}
}
