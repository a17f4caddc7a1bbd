// Command talbar is the field app: an inspector's records kept on the device and sent to
// headquarters when a connection allows.
//
//	talbar [--server URL --code CODE] [--data DIR] [--lang mn|en] [--screen home|event|survey|records]
//
// With --code and a device not yet enrolled, it enrolls before showing the window (this is how
// `make run` starts it against a local server). --screen, --size and --demo are for screenshots and
// demonstrations.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"talbar/assets"
	"talbar/fieldapp/internal/automation"
	"talbar/fieldapp/localstore"
	"talbar/fieldapp/sim"
	"talbar/fieldapp/syncclient"
	"talbar/fieldapp/ui"
	"talbar/shared/i18n"
	"talbar/shared/record"
	"talbar/shared/unit"
)

// version is set at build time: -ldflags "-X main.version=…".
var version = "dev"

// versionString is the version to show: the one set at build time, else the commit the binary
// was built from (go build records it), so a build without -ldflags does not say "dev".
func versionString(v string, info *debug.BuildInfo) string {
	if v != "dev" || info == nil {
		return v
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 7:
			rev = s.Value[:7]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return v
	}
	return rev + dirty
}

func readBuildInfo() *debug.BuildInfo {
	info, _ := debug.ReadBuildInfo()
	return info
}

// AppID is the app's identity for the OS (preferences, storage).
const AppID = "mn.ndaatgal.talbar"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "talbar:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("talbar", flag.ContinueOnError)
	server := fs.String("server", os.Getenv("TALBAR_SERVER"), "sync server address, e.g. https://talbar.example.mn")
	code := fs.String("code", "", "one-time enrollment code; the device enrolls at start when it is not enrolled yet")
	data := fs.String("data", os.Getenv("TALBAR_DATA"), "directory of the local database (default: the user config dir + /talbar)")
	lang := fs.String("lang", os.Getenv("TALBAR_LANG"), "interface language: mn (default) or en; remembered from settings when empty")
	screen := fs.String("screen", "", "screen to open: home, event, survey, records, rejected, settings")
	size := fs.String("size", "", "window size WIDTHxHEIGHT, e.g. 1280x800 or 360x720")
	demo := fs.Int("demo", 0, "add this many made-up events (with surveys) to an empty store, for demonstrations")
	checkEvery := fs.Duration("check-every", 30*time.Second, "how often to check the server and sync when a connection comes back")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // the flags were printed; asking for them is no failure
		}
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(logger)

	if *data == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return fmt.Errorf("find config dir: %w (use --data)", err)
		}
		*data = filepath.Join(dir, "talbar")
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	db, err := localstore.Open(filepath.Join(*data, "talbar.db"), localstore.Options{Logger: logger})
	if err != nil {
		return err
	}
	defer db.Close()
	cat, err := i18n.New(assets.Translations())
	if err != nil {
		return fmt.Errorf("load translations: %w", err)
	}
	client := &syncclient.Client{Store: db, Logger: logger}
	host, _ := os.Hostname()
	platform := runtime.GOOS + "/" + runtime.GOARCH

	// ctx is shared with the screens' background work (sync, enrollment): cancelled at shutdown,
	// which then waits for that work before the store is closed.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := db.Enrollment(ctx); errors.Is(err, localstore.ErrNotEnrolled) && *code != "" && *server != "" {
		ectx, cancel := context.WithTimeout(ctx, time.Minute)
		_, err := client.Enroll(ectx, *server, *code, host, platform)
		cancel()
		if err != nil {
			// The enrollment screen is shown with the server filled in; the inspector can try again.
			logger.Error("enroll at start", "err", err)
		}
	}
	if *demo > 0 {
		if err := seedDemo(ctx, db, *demo); err != nil {
			logger.Error("demo records", "err", err)
		}
	}

	a := app.NewWithID(AppID)
	w := a.NewWindow("") // ui.New titles it in the interface language
	width, height := float32(1024), float32(720)
	if *size != "" {
		ws, hs, ok := strings.Cut(*size, "x")
		wv, err1 := strconv.Atoi(ws)
		hv, err2 := strconv.Atoi(hs)
		if !ok || err1 != nil || err2 != nil {
			return fmt.Errorf("--size %q: want WIDTHxHEIGHT", *size)
		}
		width, height = float32(wv), float32(hv)
	}
	now, err := testClock(os.Getenv(automation.Env), os.Getenv(ClockEnv))
	if err != nil {
		return err
	}
	if now == nil {
		now = db.Now // "today" by the server-corrected clock: a tablet whose date is years off still dates today
	}
	u := ui.New(w, ui.Config{
		Store: db, Client: client, Catalog: cat, Lang: *lang, Version: versionString(version, readBuildInfo()),
		Platform: platform, DeviceName: host, DefaultServer: *server, Prefs: a.Preferences(), PrefScope: *data,
		Logger: logger, CheckEvery: *checkEvery, Context: ctx, Width: width,
		Now: now,
	})
	if addr := os.Getenv(automation.Env); addr != "" {
		stop, err := automation.Serve(addr, w, u.Current, logger)
		if err != nil {
			return err
		}
		defer stop()
	}
	if *screen != "" && u.Current() != ui.ScreenEnroll {
		u.Show(*screen)
	}
	w.Resize(fyne.NewSize(width, height))
	// The background loop's first check syncs a device that has never synced (one enrolled just
	// above), so home shows its units and its soum's records without a tap.
	u.Start()
	w.ShowAndRun()
	// The window is closed: end the sync or enrollment under way and wait for it, then the
	// deferred db.Close runs.
	cancel()
	u.Stop()
	return nil
}

// ClockEnv, with the automation hook on, sets the app's "today" (RFC 3339, e.g.
// 2026-06-15T10:00:00+08:00), from which its clock then runs: the real-window tests' screenshots
// and saved dates do not depend on the day they run.
const ClockEnv = "TALBAR_CLOCK"

// testClock is the clock ClockEnv asks for, nil (the wall clock) when it is unset; it is refused
// without the automation hook, so a stray variable cannot shift an inspector's dates.
func testClock(automationAddr, start string) (func() time.Time, error) {
	if start == "" {
		return nil, nil
	}
	if automationAddr == "" {
		return nil, fmt.Errorf("%s is for the automation tests only (set with %s)", ClockEnv, automation.Env)
	}
	t0, err := time.Parse(time.RFC3339, start)
	if err != nil {
		return nil, fmt.Errorf("%s %q: want RFC 3339, e.g. 2026-06-15T10:00:00+08:00: %w", ClockEnv, start, err)
	}
	began := time.Now()
	return func() time.Time { return t0.Add(time.Since(began)) }, nil
}

// seedDemo adds made-up events with a few survey responses each in the inspector's units, when the
// store holds no records yet, so a fresh demonstration has something to show.
func seedDemo(ctx context.Context, db *localstore.DB, n int) error {
	if _, total, err := db.FindRecords(ctx, localstore.Filter{Limit: 1}); err != nil || total > 0 {
		return err
	}
	e, err := db.Enrollment(ctx)
	if err != nil {
		return fmt.Errorf("demo needs an enrolled device: %w", err)
	}
	units, err := db.Units(ctx)
	if err != nil {
		return err
	}
	tree, err := unit.New(units)
	if err != nil {
		return fmt.Errorf("unit tree: %w", err)
	}
	leaves := tree.Leaves(unit.Code(e.Inspector.UnitCode))
	if len(leaves) == 0 {
		return fmt.Errorf("no soum under %s", e.Inspector.UnitCode)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	now := time.Now()
	for i := range n {
		kind := record.EventKinds[i%len(record.EventKinds)].Code
		u := string(leaves[i%len(leaves)])
		date := now.AddDate(0, 0, -3*i)
		id, problems, err := db.Save(ctx, localstore.Draft{Entity: record.EntityEvent, Fields: sim.Event(rng, kind, u, date)})
		if err != nil || len(problems) > 0 {
			return fmt.Errorf("demo event: %v %v", err, problems)
		}
		for range 3 {
			if _, _, err := db.Save(ctx, localstore.Draft{Entity: record.EntitySurvey, Fields: sim.Survey(rng, kind, u, date, id)}); err != nil {
				return fmt.Errorf("demo survey: %w", err)
			}
		}
	}
	return nil
}
