package ui

import (
	"context"
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"

	"talbar/fieldapp/localstore"
	"talbar/shared/i18n"
)

// TestRetiredOccasionKeptNotOffered: "Захын өдөр" is not offered for a new event (review D4,
// 4b #23), but an event that names it shows it and keeps it when edited and saved.
func TestRetiredOccasionKeptNotOffered(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, i18n.MN, laptop)
	enrollOffline(t, e.db, "MN6501")
	f := e.ui.Event
	if slices.Contains(f.Occasion.codes, "market_day") {
		t.Fatalf("a new event offers the retired occasion: %q", f.Occasion.Options)
	}
	id, probs, err := e.db.Save(ctx, localstore.Draft{Entity: "event", Fields: map[string]any{"kind": "open_day",
		"date": "2025-05-12", "unit": "MN6501", "occasion": "market_day", "reached": map[string]int{"herders": 25}}})
	if err != nil || len(probs) > 0 {
		t.Fatal(err, probs)
	}
	r, err := e.db.FindRecordByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	e.ui.Show(ScreenEvent)
	f.Load(r)
	if got := f.Occasion.code(); got != "market_day" {
		t.Fatalf("the old event's occasion shows as %q", got)
	}
	if want := catalog.T(i18n.MN, "occasion.market_day"); f.Occasion.Selected != want {
		t.Errorf("selected %q, want %q", f.Occasion.Selected, want)
	}
	test.Type(f.Place, "Төв зах")
	test.Tap(f.SaveButton)
	e.ui.WaitIdle()
	if r, _ := e.db.FindRecordByID(ctx, id); jsonStr(r.Values["occasion"]) != "market_day" || jsonStr(r.Values["place"]) != "Төв зах" {
		t.Errorf("after saving: occasion %q, place %q", jsonStr(r.Values["occasion"]), jsonStr(r.Values["place"]))
	}
	f.Reset()
	if slices.Contains(f.Occasion.codes, "market_day") {
		t.Errorf("after the old event, a new one offers the retired occasion: %q", f.Occasion.Options)
	}
}
