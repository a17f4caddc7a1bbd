package ui

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"talbar/fieldapp/internal/slowlink"
	"talbar/fieldapp/localstore"
	"talbar/fieldapp/sim"
	"talbar/shared/i18n"
	"talbar/shared/record"
)

// TestSlowLinkShowsBytesAndTimeLeft: over a real 16 KB/s link to the real server, home shows
// under the progress bar what the sync moved, the link's rate and the time the rest takes, in
// the interface language, and hides the line once the sync is done.
func TestSlowLinkShowsBytesAndTimeLeft(t *testing.T) {
	srv := startServer(t)
	px := slowlink.Start(t, srv.Addr, slowlink.Options{Rate: 16 << 10, Delay: 20 * time.Millisecond})
	e := newEnv(t, i18n.MN, laptop)
	c := e.ui.cfg.Client
	c.RequestTime, c.StallTimeout, c.MaxAttempts = 2*time.Second, 3*time.Second, 5
	ctx := context.Background()
	if _, err := c.Enroll(ctx, px.URL(), srv.AddNamedInspector("Нараа", "MN6501", "inspector"), "test", "test"); err != nil {
		t.Fatal(err)
	}
	// Events with long notes that compress badly, about 110 KB on the wire: a few requests.
	rng := rand.New(rand.NewPCG(7, 7))
	letters := []rune("абвгдеёжзийклмноөпрстуүфхцчшщъыьэюя ")
	now := time.Now().UTC()
	for i := 0; i < 150; i++ {
		d := now.AddDate(0, 0, -1-rng.IntN(100))
		f := sim.Event(rng, record.KindHerderMeeting, "MN6501", time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC))
		note := make([]rune, 1000)
		for j := range note {
			note[j] = letters[rng.IntN(len(letters))]
		}
		f["notes"] = string(note)
		if _, ps, err := e.db.Save(ctx, localstore.Draft{Entity: record.EntityEvent, Fields: f}); err != nil || len(ps) > 0 {
			t.Fatal(err, ps)
		}
	}
	e.ui.Show(ScreenHome)
	e.ui.WaitIdle()
	e.ui.do(e.ui.SyncNow)
	var lines []string
	deadline := time.Now().Add(90 * time.Second)
	for {
		var text string
		var shown, syncing bool
		e.ui.do(func() {
			text, shown, syncing = e.ui.Home.LinkInfo.Text, e.ui.Home.LinkInfo.Visible(), e.ui.syncing.Load()
		})
		if shown && (len(lines) == 0 || lines[len(lines)-1] != text) {
			lines = append(lines, text)
		}
		if !syncing {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sync took more than 90 s; lines seen: %q", lines)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.ui.WaitIdle()
	if pending, _, _ := e.db.Counts(ctx); pending != 0 {
		t.Fatalf("%d changes still pending after the sync (status %q)", pending, e.ui.Home.SyncStatus.Text)
	}
	left := ""
	for _, l := range lines {
		if strings.Contains(l, "үлдсэн") {
			left = l
		}
	}
	if left == "" {
		t.Fatalf("no line with the time left among %q", lines)
	}
	for _, want := range []string{"КБ дамжуулсан", "КБ/с", "сек үлдсэн"} {
		if !strings.Contains(left, want) {
			t.Errorf("line %q lacks %q", left, want)
		}
	}
	e.ui.do(func() {
		if e.ui.Home.LinkInfo.Visible() {
			t.Errorf("the link line %q is still shown after the sync", e.ui.Home.LinkInfo.Text)
		}
	})
	t.Logf("lines: %q", lines)
}
