package ui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"talbar/fieldapp/localstore"
	"talbar/shared/i18n"
	"talbar/shared/record"
)

// waitLong polls cond for up to 60 seconds: a sync against the real server on a loaded machine.
func waitLong(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 60 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSavedRecordSyncsByItself: an event saved while the real server answers reaches its
// national totals without a tap on Sync; a run of saves is sent together.
func TestSavedRecordSyncsByItself(t *testing.T) {
	srv := startServer(t)
	e := newEnv(t, i18n.MN, laptop)
	enrollThroughScreen(t, e, srv, srv.AddNamedInspector("Туяа", "MN6501", "inspector"))
	enr, err := e.db.Enrollment(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	year := time.Now().Year()
	before := srv.Totals(t, enr.Token, year, "MN")
	e.ui.cfg.SyncDelay = 2 * time.Second // longer than typing two events takes on a loaded machine: the tap-driven test goroutine and the sync must not touch widgets at once

	e.ui.Show(ScreenEvent)
	f := e.ui.Event
	for _, herders := range []string{"7", "5"} {
		f.Kind.setCode(record.KindHerderMeeting)
		test.Type(f.Reached["herders"].entry, herders)
		test.Tap(f.SaveButton)
	}
	if pending, _, _ := e.db.Counts(context.Background()); pending != 2 {
		t.Fatalf("%d pending right after the saves, want 2 (the sync waits for the delay)", pending)
	}
	start := time.Now()
	waitLong(t, "the saved events to reach the server", func() bool {
		pending, _, _ := e.db.Counts(context.Background())
		return pending == 0 && !e.ui.syncing.Load()
	})
	e.ui.WaitIdle()
	after := srv.Totals(t, enr.Token, year, "MN")
	if got := after.Reached["herders"] - before.Reached["herders"]; got != 12 {
		t.Fatalf("herders reached moved by %d, want 12", got)
	}
	t.Logf("sent %v after the last save", time.Since(start).Round(time.Millisecond))
}

// TestSyncStatusNeverContradicts: after a sync with a refusal, home never says "every change
// sent" or "synced" beside "1 change refused".
func TestSyncStatusNeverContradicts(t *testing.T) {
	srv := startServer(t)
	for _, lang := range i18n.Langs {
		t.Run(lang, func(t *testing.T) {
			e := newEnv(t, lang, laptop)
			enrollThroughScreen(t, e, srv, srv.AddNamedInspector("Сараа", "MN6501", "inspector"))
			_, ps, err := e.db.Save(context.Background(), localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{
				"kind": record.KindOpenDay, "date": time.Now().Format("2006-01-02"), "unit": otherAimagSoum(t, e)}})
			if err != nil || len(ps) > 0 {
				t.Fatal(err, ps)
			}
			e.ui.Show(ScreenHome)
			e.ui.WaitIdle()
			test.Tap(e.ui.Home.SyncButton)
			e.ui.WaitIdle()
			h := e.ui.Home
			if h.Rejected.Hidden || h.Rejected.Text != catalog.N(lang, "ui.home.rejected", 1, 1) {
				t.Fatalf("rejected line %q (hidden %v)", h.Rejected.Text, h.Rejected.Hidden)
			}
			for _, bad := range []string{catalog.T(lang, "ui.home.all_sent"), catalog.T(lang, "fieldapp.sync.phase.done")} {
				if hasText(e.win, bad) {
					t.Errorf("home says %q beside %q", bad, h.Rejected.Text)
				}
			}
			if h.SyncStatus.Text != catalog.T(lang, "ui.sync.finished") {
				t.Errorf("sync line %q, want %q", h.SyncStatus.Text, catalog.T(lang, "ui.sync.finished"))
			}
			if lang == i18n.EN && h.Rejected.Text != "1 change refused by the server: please fix it" {
				t.Errorf("English singular: %q", h.Rejected.Text)
			}
		})
	}
}

// holdProxy forwards to target, or holds each request while hold is set (a link that hangs).
func holdProxy(t *testing.T, target string) (string, *atomic.Bool) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	var hold atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for hold.Load() {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &hold
}

// TestStaleOfflineClearsAndStop: a "no connection" left by a failed sync goes once the server
// answers again; a sync that hangs on a bad link can be stopped, and the next one sends all.
func TestStaleOfflineClearsAndStop(t *testing.T) {
	srv := startServer(t)
	e := newEnv(t, i18n.MN, laptop)
	enrollThroughScreen(t, e, srv, srv.AddNamedInspector("Болд", "MN6501", "inspector"))
	h := e.ui.Home
	unreachable := catalog.T(i18n.MN, "fieldapp.sync.unreachable")

	srv.Stop()
	test.Tap(h.SyncButton)
	e.ui.WaitIdle()
	if h.SyncStatus.Text != unreachable {
		t.Fatalf("offline sync said %q, want %q", h.SyncStatus.Text, unreachable)
	}
	srv.Start()
	e.ui.checkConnection(context.Background())
	e.ui.WaitIdle()
	if hasText(e.win, unreachable) || !strings.HasPrefix(h.Reachable.Text, "Сервер хариу өгч байна") {
		t.Fatalf("after the server came back: sync line %q, reachable %q", h.SyncStatus.Text, h.Reachable.Text)
	}

	// Through a link that hangs: Stop ends the sync.
	proxyURL, hold := holdProxy(t, srv.URL)
	e2 := newEnv(t, i18n.MN, laptop)
	e2.ui.Show(ScreenEnroll)
	e2.ui.Enroll.Server.SetText(proxyURL)
	e2.ui.Enroll.Code.SetText(srv.AddNamedInspector("Дулмаа", "MN6501", "inspector"))
	test.Tap(e2.ui.Enroll.Button)
	e2.ui.WaitIdle()
	if e2.ui.Current() != ScreenHome {
		t.Fatalf("enrollment through the proxy: %q", e2.ui.Enroll.Message.Text)
	}
	saveRecord(t, e2.db, record.EntityEvent, map[string]any{"kind": record.KindOpenDay,
		"date": time.Now().Format("2006-01-02"), "unit": "MN6501"})
	hold.Store(true)
	h2 := e2.ui.Home
	test.Tap(h2.SyncButton)
	if !e2.ui.syncing.Load() || h2.StopButton.Hidden {
		t.Fatal("no Stop button while the sync runs")
	}
	test.Tap(h2.StopButton)
	e2.ui.WaitIdle()
	if got, want := h2.SyncStatus.Text, catalog.T(i18n.MN, "ui.sync.stopped"); got != want || e2.ui.syncing.Load() || h2.SyncButton.Disabled() || !h2.StopButton.Hidden {
		t.Fatalf("after Stop: %q (want %q), syncing %v, button disabled %v", got, want, e2.ui.syncing.Load(), h2.SyncButton.Disabled())
	}
	hold.Store(false)
	test.Tap(h2.SyncButton)
	e2.ui.WaitIdle()
	if pending, _, _ := e2.db.Counts(context.Background()); pending != 0 {
		t.Fatalf("%d pending after the next sync (%q)", pending, h2.SyncStatus.Text)
	}
}

// TestRejectedReasonTranslated: a refusal is worded on the device from its code and problems; the
// server's English text reaches an English reader only for a code this version does not know.
func TestRejectedReasonTranslated(t *testing.T) {
	e := newEnv(t, i18n.MN, laptop)
	english := "reached.herders -5 is negative; counts must be 0 or more"
	c := localstore.Change{Code: "invalid", Message: english,
		Problems: []record.Problem{{Field: "reached.herders", Code: record.ErrNegative, Message: "-5 is negative"}}}
	got := e.ui.Rejected.Reason(c)
	for _, want := range []string{catalog.T(i18n.MN, "reject.invalid"), "Малчин", "0 буюу түүнээс их тоо оруулна уу"} {
		if !strings.Contains(got, want) {
			t.Errorf("reason %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "negative") {
		t.Errorf("reason shows the server's English: %q", got)
	}
	unknown := localstore.Change{Code: "new_rule", Message: "a rule of a newer server"}
	if got := e.ui.Rejected.Reason(unknown); strings.Contains(got, unknown.Message) || !strings.Contains(got, "new_rule") {
		t.Errorf("mn, unknown code: %q", got)
	}
	e.ui.SetLang(i18n.EN)
	if got := e.ui.Rejected.Reason(unknown); !strings.Contains(got, unknown.Message) {
		t.Errorf("en, unknown code: %q lacks the server's words", got)
	}
}
