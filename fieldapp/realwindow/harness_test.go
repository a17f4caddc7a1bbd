package realwindow

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"talbar/fieldapp/internal/automation"
	"talbar/fieldapp/internal/servertest"
)

// appBin is the field app built once for the package by TestMain; picturesDir is where the
// runs put their screenshots, kept until the end so TestScreenshotComparison can read them.
var appBin, picturesDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "talbar-realwindow-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "realwindow:", err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		defer servertest.Cleanup()
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		appBin = filepath.Join(dir, "talbar")
		picturesDir = filepath.Join(dir, "pictures")
		if err := os.Mkdir(picturesDir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "realwindow:", err)
			return 1
		}
		cmd := exec.Command("go", "build", "-o", appBin, "./fieldapp")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "realwindow: build the field app: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// syncBuffer collects a process's output written from its own goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startX starts Xvfb on a free display (it picks the number itself: -displayfd) and stops it
// when the test ends.
func startX(t *testing.T, width, height int) string {
	t.Helper()
	for _, tool := range []string{"Xvfb", "xdotool", "setxkbmap", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (installed by .ci/setup): %v", tool, err)
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", width, height), "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
		r.Close()
	}()
	select {
	case n := <-line:
		if _, err := strconv.Atoi(n); err != nil {
			t.Fatalf("Xvfb gave no display number (%q):\n%s", n, logs.String())
		}
		return ":" + n
	case <-time.After(20 * time.Second):
		t.Fatalf("Xvfb did not start:\n%s", logs.String())
	}
	return ""
}

// app is one run of the field-app binary in the X display.
type app struct {
	t       *testing.T
	display string
	hook    string // the automation hook's URL
	cmd     *exec.Cmd
	logs    syncBuffer
	exited  chan struct{}
	win     string  // X window id
	winX    float32 // the window's position on the screen
	winY    float32
	client  http.Client

	snaps, xdos       int // for the timing line at the end
	snapTime, xdoTime time.Duration
}

// testClock is the app's "now" in these tests (TALBAR_CLOCK): records and pictures do not
// depend on the day the tests run.
const testClock = "2026-06-15T10:00:00+08:00"

func startApp(t *testing.T, display string, args ...string) *app {
	t.Helper()
	a := &app{t: t, display: display, exited: make(chan struct{}), client: http.Client{Timeout: 10 * time.Second}}
	addr := servertest.FreeAddr(t)
	a.hook = "http://" + addr + "/objects"
	home := t.TempDir()
	a.cmd = exec.Command(appBin, args...)
	a.cmd.Env = append(os.Environ(),
		"DISPLAY="+display,
		automation.Env+"="+addr,
		"TALBAR_CLOCK="+testClock,
		"FYNE_SCALE=1",
		// Fyne reads the locale while its packages initialise, before main could set one, and
		// logs an error for the C locale of a bare test machine.
		"LANG=en_US.UTF-8", "LC_ALL=",
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_DATA_HOME="+filepath.Join(home, ".local"),
	)
	a.cmd.Stdout, a.cmd.Stderr = &a.logs, &a.logs
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("start the field app: %v", err)
	}
	go func() {
		a.cmd.Wait()
		close(a.exited)
	}()
	t.Cleanup(func() {
		a.stop()
		t.Logf("%d snapshots of the window took %v, %d xdotool runs %v", a.snaps, a.snapTime.Round(time.Millisecond), a.xdos, a.xdoTime.Round(time.Millisecond))
		if t.Failed() {
			t.Logf("field-app log (tail):\n%s", tail(a.logs.String(), 6000))
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := a.trySnap(); err == nil {
			break
		}
		select {
		case <-a.exited:
			t.Fatalf("the field app exited at start: %v", a.cmd.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the field app's automation hook did not answer within 60 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	out := a.xdo("search", "--onlyvisible", "--name", ".")
	ids := strings.Fields(out)
	if len(ids) == 0 {
		t.Fatalf("no window of the field app on %s", display)
	}
	a.win = ids[len(ids)-1]
	geo := a.xdo("getwindowgeometry", "--shell", a.win)
	for _, l := range strings.Split(geo, "\n") {
		if v, ok := strings.CutPrefix(l, "X="); ok {
			f, _ := strconv.ParseFloat(v, 32)
			a.winX = float32(f)
		}
		if v, ok := strings.CutPrefix(l, "Y="); ok {
			f, _ := strconv.ParseFloat(v, 32)
			a.winY = float32(f)
		}
	}
	return a
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// stop ends the app (once) and fails the test when its log shows a crash.
func (a *app) stop() {
	select {
	case <-a.exited:
	default:
		a.cmd.Process.Kill()
		<-a.exited
	}
	a.checkLog()
}

// badLog are the log lines that fail a test: a crash, a race, a Fyne error.
var badLog = []string{"panic:", "SIGSEGV", "fatal error:", "Fyne error", "DATA RACE", "level=ERROR"}

func (a *app) checkLog() {
	a.t.Helper()
	l := a.logs.String()
	for _, bad := range badLog {
		if i := strings.Index(l, bad); i >= 0 {
			a.t.Errorf("the field app's log shows %q:\n%s", bad, tail(l[i:], 3000))
			return
		}
	}
}

func (a *app) xdo(args ...string) string {
	a.t.Helper()
	began := time.Now()
	defer func() {
		a.xdos++
		a.xdoTime += time.Since(began)
		if d := time.Since(began); d > 300*time.Millisecond && os.Getenv("REALWINDOW_TRACE") != "" {
			a.t.Logf("slow xdotool %v: %v", args, d)
		}
	}()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+a.display)
	out, err := cmd.CombinedOutput()
	if err != nil {
		a.t.Fatalf("xdotool %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (a *app) trySnap() (automation.Snapshot, error) {
	var s automation.Snapshot
	began := time.Now()
	defer func() { a.snaps++; a.snapTime += time.Since(began) }()
	resp, err := a.client.Get(a.hook)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return s, err
	}
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("hook: HTTP %d %s", resp.StatusCode, b)
	}
	return s, json.Unmarshal(b, &s)
}

// snap is what the window shows now; a crashed app or a window that no longer answers fails the
// test.
func (a *app) snap() automation.Snapshot {
	a.t.Helper()
	s, err := a.trySnap()
	if err != nil {
		select {
		case <-a.exited:
			a.t.Fatalf("the field app is gone (%v); log:\n%s", a.cmd.ProcessState, tail(a.logs.String(), 4000))
		default:
		}
		a.t.Fatalf("the field app's window stopped answering: %v", err)
	}
	return s
}

// waitFor polls the window until ok holds, failing the test after timeout.
func (a *app) waitFor(what string, timeout time.Duration, ok func(automation.Snapshot) bool) automation.Snapshot {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := a.snap()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("waited %v for %s; the window shows screen %q:\n%s", timeout, what, s.Screen, texts(s))
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// poll is waitFor without failing: whether ok held within timeout.
func (a *app) poll(timeout time.Duration, ok func(automation.Snapshot) bool) bool {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if ok(a.snap()) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// texts lists the visible texts of a snapshot, for failure messages.
func texts(s automation.Snapshot) string {
	var b strings.Builder
	for _, o := range s.Objects {
		if o.Text != "" && strings.HasPrefix(o.Type, "*canvas.Text") {
			fmt.Fprintf(&b, "  %q at %.0f,%.0f\n", o.Text, o.X, o.Y)
		}
	}
	return b.String()
}

// finder picks an object out of a snapshot; it is asked again on every snapshot, as objects move.
type finder struct {
	desc string
	find func(automation.Snapshot) (automation.Object, bool)
}

// click scrolls the object into view, clicks its centre with the real pointer and waits for
// effect; a click lost under load is retried a few times.
func (a *app) click(f finder, effect func(automation.Snapshot) bool) {
	a.t.Helper()
	for attempt := 0; attempt < 4; attempt++ {
		o, scale := a.reveal(f)
		// No --sync: xdotool then waits for a motion, forever when the pointer is already there;
		// the X server handles the move before the click anyway.
		x := a.winX + (o.X+o.W/2)*scale
		y := a.winY + (o.Y+o.H/2)*scale
		a.xdo("mousemove", fmt.Sprintf("%.0f", x), fmt.Sprintf("%.0f", y), "click", "1")
		if effect == nil || a.poll(3*time.Second, effect) {
			return
		}
	}
	a.t.Fatalf("clicked %s four times with no effect; the window shows:\n%s", f.desc, texts(a.snap()))
}

// reveal scrolls with the mouse wheel until the object's centre is in view and returns it.
func (a *app) reveal(f finder) (automation.Object, float32) {
	a.t.Helper()
	for i := 0; i < 30; i++ {
		s := a.snap()
		o, ok := f.find(s)
		if !ok {
			// It may be drawn only after a moment (a screen being built, a pop-up opening).
			if i < 25 {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			a.t.Fatalf("no %s in the window (screen %q):\n%s", f.desc, s.Screen, texts(s))
		}
		if o.InView {
			return o, s.Scale
		}
		// Wheel over the right edge of the window, where no widget of its own takes the wheel.
		mid := s.Height / 2
		button, dist := "5", o.Y+o.H/2-mid
		if dist < 0 {
			button, dist = "4", -dist
		}
		ticks := min(40, int(dist/15)+1)
		a.xdo("mousemove", fmt.Sprintf("%.0f", a.winX+(s.Width-6)*s.Scale), fmt.Sprintf("%.0f", a.winY+mid*s.Scale),
			"click", "--repeat", strconv.Itoa(ticks), "--delay", "4", button)
		time.Sleep(50 * time.Millisecond)
	}
	a.t.Fatalf("could not scroll %s into view", f.desc)
	return automation.Object{}, 0
}

// typeInto clicks an entry, types text with the real keyboard and checks that the entry holds it
// (retyping when a key was lost).
func (a *app) typeInto(f finder, text string) {
	a.t.Helper()
	for attempt := 0; attempt < 3; attempt++ {
		a.click(f, func(s automation.Snapshot) bool {
			o, ok := f.find(s)
			return ok && o.Focused
		})
		o, _ := f.find(a.snap())
		if o.Text != "" {
			a.xdo("key", "--clearmodifiers", "ctrl+a", "BackSpace")
		}
		a.typeText(f, text)
		if a.poll(3*time.Second, func(s automation.Snapshot) bool {
			o, ok := f.find(s)
			return ok && o.Text == text
		}) {
			return
		}
	}
	o, _ := f.find(a.snap())
	a.t.Fatalf("typed %q into %s three times; it holds %q", text, f.desc, o.Text)
}

// typeText types into the entry f finds with the real keyboard. Cyrillic goes on the Mongolian
// keyboard map, as an inspector's keyboard has it (xdotool's own trick for letters the map lacks,
// remapping a spare key for each, loses letters: the app reads the map after the key already
// changed again). The map goes back to us only once the entry shows the Cyrillic letters, or the
// app would read the last of them on the us map.
func (a *app) typeText(f finder, text string) {
	a.t.Helper()
	var run []rune
	typed := ""
	cyr := false
	flush := func() {
		if len(run) == 0 {
			return
		}
		if cyr {
			a.setKeyboard("mn")
		}
		a.xdo("type", "--delay", "20", "--", string(run))
		typed += string(run)
		if cyr {
			a.poll(3*time.Second, func(s automation.Snapshot) bool {
				o, ok := f.find(s)
				return ok && o.Text == typed
			})
			a.setKeyboard("us")
		}
		run = run[:0]
	}
	for _, r := range text {
		c := r >= 0x400 && r < 0x530
		if c != cyr && r != ' ' {
			flush()
			cyr = c
		}
		run = append(run, r)
	}
	flush()
}

func (a *app) setKeyboard(layout string) {
	a.t.Helper()
	cmd := exec.Command("setxkbmap", "-layout", layout)
	cmd.Env = append(os.Environ(), "DISPLAY="+a.display)
	if out, err := cmd.CombinedOutput(); err != nil {
		a.t.Fatalf("setxkbmap %s: %v\n%s", layout, err, out)
	}
	time.Sleep(150 * time.Millisecond) // the app reads the new map when X tells it
}

// shot saves the app's window as a PNG.
func (a *app) shot(path string) {
	a.t.Helper()
	// Let the last frame reach the screen: the hook answers from the widget tree, which is
	// ahead of the drawing.
	time.Sleep(400 * time.Millisecond)
	cmd := exec.Command("import", "-window", a.win, path)
	cmd.Env = append(os.Environ(), "DISPLAY="+a.display)
	if out, err := cmd.CombinedOutput(); err != nil {
		a.t.Fatalf("screenshot %s: %v\n%s", path, err, out)
	}
}

// withTimeout is a context for a step of the test.
func withTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
