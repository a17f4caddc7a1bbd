package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"talbar/assets"
	"talbar/fieldapp/localstore"
	"talbar/fieldapp/syncclient"
	"talbar/shared/i18n"
	"talbar/shared/tally"
	"talbar/syncproto"
)

// serverBin is the real server, built once per test binary the first time a test needs it (the
// way fieldapp/integration does it, so nothing here imports server/).
var (
	serverOnce sync.Once
	serverBin  string
	serverErr  error
	binDir     string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func buildServer(tb testing.TB) string {
	tb.Helper()
	serverOnce.Do(func() {
		dir, err := os.MkdirTemp("", "talbar-ui-test-")
		if err != nil {
			serverErr = err
			return
		}
		binDir = dir
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		serverBin = filepath.Join(dir, "talbar-server")
		cmd := exec.Command("go", "build", "-o", serverBin, "talbar/server")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			serverErr = fmt.Errorf("build server: %v\n%s", err, out)
		}
	})
	if serverErr != nil {
		tb.Fatal(serverErr)
	}
	return serverBin
}

// testServer is the real server binary on a free loopback port with its own database.
type testServer struct {
	bin, db, URL string
	cmd          *exec.Cmd
	logs         bytes.Buffer
	mu           sync.Mutex
}

func (s *testServer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.Write(p)
}

func startServer(tb testing.TB) *testServer {
	tb.Helper()
	s := &testServer{bin: buildServer(tb), db: filepath.Join(tb.TempDir(), "server.db")}
	addr := freeAddr(tb)
	s.URL = "http://" + addr
	s.cmd = exec.Command(s.bin, "serve", "--addr", addr, "--db", s.db)
	s.cmd.Stdout, s.cmd.Stderr = s, s
	if err := s.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
		if tb.Failed() {
			s.mu.Lock()
			tb.Logf("server log:\n%s", s.logs.String())
			s.mu.Unlock()
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.URL + "/api/v1/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("server did not become healthy")
	return nil
}

func freeAddr(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Code adds an inspector and returns their one-time enrollment code.
func (s *testServer) Code(tb testing.TB, name, unitCode string) string {
	tb.Helper()
	out, err := exec.Command(s.bin, "inspector", "add", "--db", s.db, "--name", name, "--unit", unitCode, "--role", "inspector").Output()
	if err != nil {
		tb.Fatalf("inspector add: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// Totals asks GET /totals with a device token.
func (s *testServer) Totals(tb testing.TB, token string, year int, unitCode string) tally.Totals {
	tb.Helper()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/totals?year=%d&unit=%s", s.URL, year, unitCode), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		tb.Fatalf("totals: HTTP %d", resp.StatusCode)
	}
	var t tally.Totals
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil {
		tb.Fatal(err)
	}
	return t
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
		Platform: "test", DeviceName: "test", CheckEvery: -1})
	win.Resize(size)
	tb.Cleanup(u.WaitIdle)
	return &env{tb: tb, db: db, ui: u, win: win}
}

// enrollOffline stores an enrollment without a server, for tests that only need the forms.
func enrollOffline(tb testing.TB, db *localstore.DB, unitCode string) {
	tb.Helper()
	err := db.SaveEnrollment(context.Background(), "http://127.0.0.1:9", syncproto.EnrollResponse{
		DeviceID: "dev-test", Token: "tok", Inspector: syncproto.Inspector{ID: "i1", Name: "Бат", UnitCode: unitCode, Role: "inspector"}})
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
