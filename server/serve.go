package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"talbar/assets"
	"talbar/server/api"
	"talbar/server/store"
	"talbar/server/store/postgres"
	"talbar/server/store/sqlite"
	"talbar/shared/unit"
	"talbar/syncproto"
)

// Config is the server's configuration, from flags with environment-variable equivalents.
type Config struct {
	Addr        string
	DB          string
	DatabaseURL string
	LogLevel    string
	// PublicURL is the address field apps reach the server by, printed on enrollment slips;
	// without it a slip shows the address the officer's browser used, which may be localhost.
	PublicURL string
	// CPUProfile, when set, is a file the serve command writes a CPU profile (pprof) of its whole
	// run to, for profiling pushes; off by default.
	CPUProfile string
}

// Main is the running server: ParseFlags, Run, Close, so tests run the real thing on 127.0.0.1:0.
type Main struct {
	Config Config
	Logger *slog.Logger
	Units  *unit.Tree
	Store  store.Store
	API    *api.API
	App    *fiber.App
	ln     net.Listener
	done   chan error
}

// ParseFlags reads the serve command's flags.
func (m *Main) ParseFlags(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&m.Config.Addr, "addr", env("TALBAR_ADDR", ":8080"), "listen address HOST:PORT")
	fs.StringVar(&m.Config.DB, "db", env("TALBAR_DB", filepath.Join("data", "talbar.db")), "SQLite database file")
	fs.StringVar(&m.Config.DatabaseURL, "database-url", env("TALBAR_DATABASE_URL", ""), "PostgreSQL URL (postgres://…) instead of --db")
	fs.StringVar(&m.Config.LogLevel, "log-level", env("TALBAR_LOG_LEVEL", "info"), "debug, info, warn or error")
	fs.StringVar(&m.Config.PublicURL, "public-url", env("TALBAR_PUBLIC_URL", ""), "address field apps reach this server by (https://…), printed on enrollment slips")
	fs.StringVar(&m.Config.CPUProfile, "cpuprofile", env("TALBAR_CPUPROFILE", ""), "write a CPU profile (pprof) of the whole run to this file (off by default)")
	return fs.Parse(args)
}

// publicURL checks the configured public address: an http(s) URL with a host and nothing
// after it, returned without a trailing slash so a field app can append /api/v1/….
func publicURL(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("--public-url %q: want an address like https://talbar.example.mn", s)
	}
	return u.Scheme + "://" + u.Host, nil
}

// Units parses the embedded administrative tree.
func Units() (*unit.Tree, error) {
	t, err := unit.Parse(bytesReader(assets.UnitsCSV()))
	if err != nil {
		return nil, fmt.Errorf("load units: %w", err)
	}
	return t, nil
}

// openStore opens the configured store: PostgreSQL when a database URL is given, else the SQLite
// file (creating its folder when needed).
func openStore(ctx context.Context, cfg Config, units *unit.Tree, log *slog.Logger) (store.Store, error) {
	if cfg.DatabaseURL != "" {
		if !strings.HasPrefix(cfg.DatabaseURL, "postgres://") && !strings.HasPrefix(cfg.DatabaseURL, "postgresql://") {
			return nil, errors.New("--database-url: want a PostgreSQL URL, postgres://user@host:port/database")
		}
		db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{Units: units, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("--database-url: %w", err)
		}
		return db, nil
	}
	// sqlite.Open creates the folder 0700 and the file 0600 (shared/dbfile).
	return sqlite.Open(ctx, cfg.DB, sqlite.Options{Units: units, Logger: log})
}

// Run opens the store and starts serving; it returns once the listener is up.
func (m *Main) Run(ctx context.Context) error {
	if m.Logger == nil {
		var lvl slog.Level
		_ = lvl.UnmarshalText([]byte(m.Config.LogLevel))
		m.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	}
	pub, err := publicURL(m.Config.PublicURL)
	if err != nil {
		return err
	}
	m.Config.PublicURL = pub
	if pub == "" {
		m.Logger.Warn("no --public-url (TALBAR_PUBLIC_URL): enrollment slips show the address the officer's browser used")
	}
	units, err := Units()
	if err != nil {
		return err
	}
	m.Units = units
	db, err := openStore(ctx, m.Config, units, m.Logger)
	if err != nil {
		return err
	}
	m.Store = db
	m.App = fiber.New(fiber.Config{
		AppName:               "talbar",
		DisableStartupMessage: true,
		// Bodies are streamed: fasthttp reads only their first few KiB before a handler runs,
		// and each route reads at most its own limit (api.LimitBodies), the unauthenticated ones
		// at most 64 KiB, so a stranger cannot make the server hold megabytes per request.
		// BodyLimit stays above the protocol's limit so even past it the API answers a clear 413.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		BodyLimit:                    4 * syncproto.MaxBodyBytes,
		ReadTimeout:                  2 * time.Minute,
		WriteTimeout:                 2 * time.Minute,
		IdleTimeout:                  2 * time.Minute,
		ErrorHandler:                 api.ErrorHandler(m.Logger),
	})
	// A panic in one handler answers 500 and is logged; it must not take the server down with
	// every push in flight.
	m.App.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		m.Logger.Error("panic in handler", "path", c.Path(), "panic", fmt.Sprint(e))
	}}))
	// Case-insensitive, as fiber's routing is: a body the exemption misses is only bounded tighter.
	m.App.Use(api.LimitBodies(func(c *fiber.Ctx) bool {
		p := strings.ToLower(c.Path())
		return strings.TrimSuffix(p, "/") == "/api/v1/push" || strings.HasPrefix(p, "/dashboard")
	}))
	m.App.Use(compress.New(compress.Config{Level: compress.LevelBestSpeed}))
	m.API = api.New(api.Config{Store: db, Units: units, Logger: m.Logger})
	m.API.Mount(m.App)
	if err := mountDashboard(m); err != nil {
		db.Close()
		return err
	}
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		db.Close()
		return fmt.Errorf("listen %s: %w", m.Config.Addr, err)
	}
	m.ln = ln
	m.done = make(chan error, 1)
	go func() { m.done <- m.App.Listener(ln) }()
	where := m.Config.DB
	if m.Config.DatabaseURL != "" {
		where = "postgresql"
	}
	m.Logger.Info("listening", "addr", ln.Addr().String(), "db", where, "epoch", db.Epoch(), "version", version)
	return nil
}

// Addr is the address the server listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// Close stops taking new pushes, lets those in flight finish, then closes the store.
func (m *Main) Close() error {
	if m.App == nil {
		return nil
	}
	m.API.Drain()
	err := m.App.ShutdownWithTimeout(30 * time.Second)
	if cerr := m.Store.Close(); err == nil {
		err = cerr
	}
	m.Logger.Info("stopped")
	return err
}

func serveCmd(ctx context.Context, args []string, _, stderr io.Writer) error {
	m := &Main{}
	if err := m.ParseFlags(args, stderr); err != nil {
		return err
	}
	if m.Config.CPUProfile != "" {
		f, err := os.Create(m.Config.CPUProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if err := m.Run(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-m.done:
		if err != nil {
			m.Store.Close()
			return fmt.Errorf("serve: %w", err)
		}
	}
	return m.Close()
}
