package ui

import (
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"talbar/fieldapp/localstore"
	"talbar/fieldapp/syncclient"
	"talbar/shared/i18n"
	"talbar/syncproto"
)

// TestHomeWarnsWhileClockWrong: a device whose clock is a year off learns the offset from the
// real server's X-Server-Time at enrollment, and home warns at once — before any push has drawn
// the server's clock_skew warning — and keeps warning after a sync with nothing to send; a device
// whose clock is right shows no warning.
func TestHomeWarnsWhileClockWrong(t *testing.T) {
	srv := startServer(t)
	for _, c := range []struct {
		name string
		off  time.Duration
		warn bool
	}{
		{"year_ahead", 365 * 24 * time.Hour, true},
		{"year_behind", -365 * 24 * time.Hour, true},
		{"right", 0, false},
	} {
		for _, lang := range i18n.Langs {
			t.Run(c.name+"/"+lang, func(t *testing.T) {
				test.NewTempApp(t)
				clock := func() time.Time { return time.Now().Add(c.off) }
				db, err := localstore.Open(filepath.Join(t.TempDir(), "field.db"), localstore.Options{Now: clock})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				e := newEnvWithStore(t, db, lang, laptop)
				e.ui.cfg.Client = &syncclient.Client{Store: db, MaxAttempts: 1, Now: clock}
				enrollThroughScreen(t, e, srv, srv.AddNamedInspector("Туяа", "MN6501", "inspector"))
				if off := db.ClockOffset(); c.warn && (off > -syncproto.SkewWarning && off < syncproto.SkewWarning) {
					t.Fatalf("clock offset %v after enrollment, want about %v", off, -c.off)
				}
				want := catalog.T(lang, "fieldapp.sync.clock_skew")
				check := func(when string) {
					t.Helper()
					e.ui.Show(ScreenHome)
					e.ui.WaitIdle()
					h := e.ui.Home
					shown := h.Skew.Visible() && h.Skew.Text == want
					if shown != c.warn {
						t.Fatalf("%s: clock warning shown %v (visible %v, text %q), want %v",
							when, shown, h.Skew.Visible(), h.Skew.Text, c.warn)
					}
				}
				check("after enrollment")
				e.ui.SyncNow()
				waitLong(t, "the sync to end", func() bool { return !e.ui.syncing.Load() })
				e.ui.WaitIdle()
				check("after a sync with nothing to send")
			})
		}
	}
}
