// Package servertest runs the real Talbar server for the field app's tests: it builds talbar/server
// once per test binary with `go build` and starts it as a subprocess on 127.0.0.1 with its own
// database, so the tests talk to it over HTTP exactly as a device does. Nothing here imports
// server/: the binary is the boundary.
//
// A test package calls Cleanup from its TestMain after m.Run to remove the built binary.
package servertest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"talbar/shared/tally"
)

var (
	buildOnce sync.Once
	binDir    string
	bin       string
	buildErr  error
	names     atomic.Int64
)

// Build builds the server binary the first time it is called and returns its path.
func Build() (string, error) {
	buildOnce.Do(func() {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			buildErr = errors.New("servertest: cannot locate the module")
			return
		}
		root := filepath.Join(filepath.Dir(file), "..", "..", "..")
		if _, err := os.Stat(filepath.Join(root, "server", "main.go")); err != nil {
			buildErr = fmt.Errorf("servertest: server/main.go not found: the tests need the server package: %w", err)
			return
		}
		dir, err := os.MkdirTemp("", "talbar-servertest-")
		if err != nil {
			buildErr = fmt.Errorf("servertest: temp dir: %w", err)
			return
		}
		binDir = dir
		path := filepath.Join(dir, "talbar-server")
		cmd := exec.Command("go", "build", "-o", path, "talbar/server")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("servertest: build server: %w\n%s", err, out)
			return
		}
		bin = path
	})
	return bin, buildErr
}

// Cleanup removes the built binary; call it from TestMain after m.Run.
func Cleanup() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}

// FreeAddr returns a loopback address with a port free at the time of the call.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Server is the real server binary serving on a loopback address with its own database file.
type Server struct {
	Bin  string // the server binary
	DB   string // its database file
	Addr string // host:port it listens on
	URL  string // http://Addr

	tb   testing.TB
	cmd  *exec.Cmd
	logs logBuffer
}

// logBuffer collects the server's output; the process writes it from its own goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Start builds the server if needed and runs it on a free loopback port with a database in a
// temp dir; it is stopped when the test ends, and its log is shown when the test failed.
func Start(tb testing.TB) *Server {
	tb.Helper()
	path, err := Build()
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{Bin: path, DB: filepath.Join(tb.TempDir(), "server.db"), Addr: FreeAddr(tb), tb: tb}
	s.URL = "http://" + s.Addr
	tb.Cleanup(func() {
		s.Stop()
		if tb.Failed() {
			tb.Logf("server log:\n%s", s.LogTail(4000))
		}
	})
	s.Start()
	return s
}

// Start starts the server (again, after Stop) on its address and waits for /api/v1/healthz.
func (s *Server) Start() {
	s.tb.Helper()
	s.cmd = exec.Command(s.Bin, "serve", "--addr", s.Addr, "--db", s.DB)
	s.cmd.Stdout, s.cmd.Stderr = &s.logs, &s.logs
	if err := s.cmd.Start(); err != nil {
		s.tb.Fatalf("start server: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.URL + "/api/v1/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.tb.Fatalf("server did not become healthy:\n%s", s.LogTail(4000))
}

// Stop ends the server gracefully (SIGTERM, then a kill after 15 s), so its database file is
// complete. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

// Logs is everything the server wrote so far.
func (s *Server) Logs() string { return s.logs.String() }

// LogTail is the last n bytes of the server's log.
func (s *Server) LogTail(n int) string {
	l := s.logs.String()
	if len(l) > n {
		return l[len(l)-n:]
	}
	return l
}

// Admin runs an admin command of the server binary against its database and returns the last
// line of its output.
func (s *Server) Admin(args ...string) string {
	s.tb.Helper()
	args = append(args, "--db", s.DB)
	out, err := exec.Command(s.Bin, args...).Output()
	if err != nil {
		var msg string
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			msg = string(ee.Stderr)
		}
		s.tb.Fatalf("server %v: %v %s", args, err, msg)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// AdminOutput runs an admin command like Admin and returns its whole output.
func (s *Server) AdminOutput(args ...string) string {
	s.tb.Helper()
	out, err := exec.Command(s.Bin, append(args, "--db", s.DB)...).Output()
	if err != nil {
		s.tb.Fatalf("server %v: %v", args, err)
	}
	return string(out)
}

// AddInspector adds an inspector (role "inspector") or an officer ("officer") of unit with
// `inspector add` and returns the one-time enrollment code.
func (s *Server) AddInspector(unit, role string) string {
	s.tb.Helper()
	return s.AddNamedInspector(fmt.Sprintf("%s-%d", role, names.Add(1)), unit, role)
}

// AddNamedInspector is AddInspector with the person's name given.
func (s *Server) AddNamedInspector(name, unit, role string) string {
	s.tb.Helper()
	return s.Admin("inspector", "add", "--name", name, "--unit", unit, "--role", role)
}

// Totals asks GET /api/v1/totals for year and unit with a device's token.
func (s *Server) Totals(tb testing.TB, token string, year int, unit string) tally.Totals {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/totals?year=%d&unit=%s", s.URL, year, unit), nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("totals: HTTP %d %s", resp.StatusCode, b)
	}
	var t tally.Totals
	if err := json.Unmarshal(b, &t); err != nil {
		tb.Fatal(err)
	}
	return t
}
