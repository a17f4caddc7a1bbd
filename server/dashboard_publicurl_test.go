package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"talbar/server/store"
)

// issueCardWithHost creates an inspector through the dashboard's form, the request carrying
// host as its Host header, and returns the devices page the POST redirects to.
func issueCardWithHost(t *testing.T, m *Main, host string) string {
	t.Helper()
	dashUser(t, m, "hq", store.WebAdmin, "")
	w := dashSignIn(t, m, "hq")
	req, _ := http.NewRequest("POST", w.base+"/dashboard/devices/inspectors", strings.NewReader(url.Values{"csrf": {w.csrf},
		"name": {"Бат"}, "role": {"inspector"}, "unit": {"MN1101"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// The cookie jar keys cookies by the Host header; send the session's by hand.
	req.Host = host
	for _, ck := range w.c.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	if resp, _ := w.do(req); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create inspector: %d", resp.StatusCode)
	}
	_, body := w.get("/dashboard/devices")
	if !strings.Contains(body, `id="new-code"`) {
		t.Fatalf("no code card after the create: %.800s", body)
	}
	return body
}

var codeServerRe = regexp.MustCompile(`id="code-server">([^<]*)<`)

// TestDashboardSlipPublicURL: with --public-url the enrollment slip and its QR code carry the
// configured address, whatever Host header the officer's browser (or a proxy) sent; no guess
// warning is shown.
func TestDashboardSlipPublicURL(t *testing.T) {
	m := &Main{Config: Config{Addr: "127.0.0.1:0", DB: tempDB(t), PublicURL: "https://talbar.example.mn/"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	body := issueCardWithHost(t, m, "127.0.0.1:9999")
	got := codeServerRe.FindStringSubmatch(body)
	if got == nil || got[1] != "https://talbar.example.mn" {
		t.Fatalf("slip's server address %q, want https://talbar.example.mn", got)
	}
	if strings.Contains(body, `id="code-server-guess"`) {
		t.Error("the slip warns of a guessed address although one is configured")
	}
}

// TestDashboardSlipHostFallback: without --public-url the slip falls back to the Host the page
// was reached by, says on the card that the address was taken from the browser, and the server
// logs a warning.
func TestDashboardSlipHostFallback(t *testing.T) {
	m, logs := runMainLogged(t)
	if !strings.Contains(logs.String(), "public-url") {
		t.Errorf("no start-up warning about the missing --public-url: %s", logs.String())
	}
	body := issueCardWithHost(t, m, "talbar.local:8080")
	got := codeServerRe.FindStringSubmatch(body)
	if got == nil || got[1] != "http://talbar.local:8080" {
		t.Fatalf("slip's server address %q, want http://talbar.local:8080", got)
	}
	if !strings.Contains(body, `id="code-server-guess"`) || !strings.Contains(body, "--public-url") {
		t.Errorf("the slip does not say its address is the browser's: %.1500s", body[strings.Index(body, `id="code-card"`):])
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "talbar.local:8080") {
		t.Errorf("no warning logged for the guessed address: %s", logs.String())
	}
}

// TestPublicURLFlag: --public-url and TALBAR_PUBLIC_URL are read, and an address that is not an
// http(s) URL with a host is refused naming the flag.
func TestPublicURLFlag(t *testing.T) {
	m := &Main{}
	if err := m.ParseFlags([]string{"--public-url", "https://talbar.example.mn"}, io.Discard); err != nil || m.Config.PublicURL != "https://talbar.example.mn" {
		t.Fatalf("--public-url: %q, %v", m.Config.PublicURL, err)
	}
	t.Setenv("TALBAR_PUBLIC_URL", "http://10.0.0.5:8080")
	m = &Main{}
	if err := m.ParseFlags(nil, io.Discard); err != nil || m.Config.PublicURL != "http://10.0.0.5:8080" {
		t.Fatalf("TALBAR_PUBLIC_URL: %q, %v", m.Config.PublicURL, err)
	}
	for _, bad := range []string{"talbar.example.mn", "ftp://talbar.example.mn", "https://", "https://h/x?y=1"} {
		m := &Main{Config: Config{Addr: "127.0.0.1:0", DB: tempDB(t), PublicURL: bad},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		err := m.Run(context.Background())
		if err == nil {
			m.Close()
			t.Errorf("public url %q accepted", bad)
			continue
		}
		if !strings.Contains(err.Error(), "--public-url") {
			t.Errorf("public url %q: error %q does not name the flag", bad, err)
		}
	}
}
