package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"talbar/assets"
	"talbar/fieldapp/internal/servertest"
	"talbar/fieldapp/localstore"
	"talbar/fieldapp/syncclient"
	"talbar/shared/i18n"
	"talbar/syncproto"
)

func TestMain(m *testing.M) {
	code := m.Run()
	servertest.Cleanup()
	os.Exit(code)
}

// startServer runs the real server binary on a free loopback port with its own database
// (fieldapp/internal/servertest: built once per test binary, nothing here imports server/).
func startServer(tb testing.TB) *servertest.Server {
	tb.Helper()
	return servertest.Start(tb)
}

var catalog = i18n.MustNew(assets.Translations())

// env is one app on a fresh local store inside a test window.
type env struct {
	tb  testing.TB
	db  *localstore.DB
	ui  *UI
	win fyne.Window
}

// newEnv opens a store on a temp SQLite file and builds the UI in a test window of the given size.
func newEnv(tb testing.TB, lang string, size fyne.Size) *env {
	tb.Helper()
	test.NewTempApp(tb)
	db, err := localstore.Open(filepath.Join(tb.TempDir(), "field.db"), localstore.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return newEnvWithStore(tb, db, lang, size)
}

func newEnvWithStore(tb testing.TB, db *localstore.DB, lang string, size fyne.Size) *env {
	tb.Helper()
	win := test.NewTempWindow(tb, nil)
	client := &syncclient.Client{Store: db, MaxAttempts: 1}
	u := New(win, Config{Store: db, Client: client, Catalog: catalog, Lang: lang, Version: "test",
		Platform: "test", DeviceName: "test", CheckEvery: -1, SyncDelay: -1})
	win.Resize(size)
	u.WaitIdle() // home's figures, when the device is enrolled
	tb.Cleanup(u.WaitIdle)
	return &env{tb: tb, db: db, ui: u, win: win}
}

// enrollOffline stores an enrollment without a server, for tests that only need the forms.
func enrollOffline(tb testing.TB, db *localstore.DB, unitCode string) {
	tb.Helper()
	enrollOfflineAs(tb, db, unitCode, syncproto.RoleInspector)
}

// enrollOfflineAs is enrollOffline with a role: a division officer of an aimag or district.
func enrollOfflineAs(tb testing.TB, db *localstore.DB, unitCode, role string) {
	tb.Helper()
	err := db.SaveEnrollment(context.Background(), "http://127.0.0.1:9", syncproto.EnrollResponse{
		DeviceID: "dev-test", Token: "tok", Inspector: syncproto.Inspector{ID: "i1", Name: "Бат", UnitCode: unitCode, Role: role}})
	if err != nil {
		tb.Fatal(err)
	}
}

// texts returns every text drawn in the window, hidden objects included.
func texts(win fyne.Window) []string {
	var out []string
	roots := append([]fyne.CanvasObject{win.Content()}, win.Canvas().Overlays().List()...)
	for _, root := range roots {
		for _, o := range test.LaidOutObjects(root) {
			if t, ok := o.(*canvas.Text); ok && strings.TrimSpace(t.Text) != "" {
				out = append(out, t.Text)
			}
		}
	}
	return out
}

func hasText(win fyne.Window, s string) bool {
	for _, t := range texts(win) {
		if t == s {
			return true
		}
	}
	return false
}
