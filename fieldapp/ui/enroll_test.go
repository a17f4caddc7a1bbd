package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"talbar/fieldapp/internal/servertest"
	"talbar/shared/i18n"
)

func TestServerURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8080":       "http://127.0.0.1:8080",
		"192.168.1.5:8080/x":   "http://192.168.1.5:8080/x",
		"10.0.0.7":             "http://10.0.0.7",
		"localhost:8080":       "http://localhost:8080",
		"talbar-srv:8080":      "http://talbar-srv:8080",
		"[::1]:8080":           "http://[::1]:8080",
		"server.local":         "http://server.local",
		"talbar.example.mn":    "https://talbar.example.mn",
		"8.8.8.8":              "https://8.8.8.8",
		"https://talbar.x.mn/": "https://talbar.x.mn/",
		"http://10.0.0.7":      "http://10.0.0.7",
		"  ":                   "",
	} {
		if got := serverURL(in); got != want {
			t.Errorf("serverURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEnrollmentTyping: an address typed without http:// reaches a local server at once; a
// language switch keeps what was typed; "no connection" speaks of the address, not of records.
func TestEnrollmentTyping(t *testing.T) {
	srv := startServer(t)
	e := newEnv(t, i18n.MN, laptop)
	s := e.ui.Enroll
	s.Server.SetText("")
	test.Type(s.Server, servertest.FreeAddr(t))
	test.Type(s.Code, "ABC-123")
	test.Tap(s.Button)
	e.ui.WaitIdle()
	msg := e.ui.Enroll.Message.Text
	if msg != catalog.T(i18n.MN, "ui.enroll.unreachable") || strings.Contains(msg, "бүртгэл хадгалагдсан") {
		t.Fatalf("no connection: %q", msg)
	}
	if !strings.HasPrefix(e.ui.Enroll.Server.Text, "http://127.0.0.1:") {
		t.Fatalf("the address used is not shown: %q", e.ui.Enroll.Server.Text)
	}

	e.ui.Enroll.Server.SetText(srv.Addr)
	code := srv.AddNamedInspector("Номин", "MN6501", "inspector")
	e.ui.Enroll.Code.SetText(code)
	e.ui.Enroll.Lang.SetSelected(catalog.T(i18n.EN, "lang.en"))
	if e.ui.Lang() != i18n.EN {
		t.Fatal("language not switched")
	}
	if got := e.ui.Enroll.Server.Text; got != srv.Addr || e.ui.Enroll.Code.Text != code {
		t.Fatalf("after the language switch: server %q, code %q", got, e.ui.Enroll.Code.Text)
	}
	start := time.Now()
	test.Tap(e.ui.Enroll.Button)
	e.ui.WaitIdle()
	if e.ui.Current() != ScreenHome {
		t.Fatalf("enrolling with %q (no scheme): %q", srv.Addr, e.ui.Enroll.Message.Text)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("enrollment without a scheme took %v", d)
	}
}
