// Package sqlite implements server/store.Store on SQLite through modernc.org/sqlite (pure Go).
// Writes go through one connection so that concurrent pushes queue instead of failing with
// SQLITE_BUSY, and so that change-log cursors are assigned in commit order; reads use a pool of
// their own that WAL lets run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"talbar/server/store"
	"talbar/shared/dbfile"
	"talbar/shared/indicator"
	"talbar/shared/unit"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options configure a store.
type Options struct {
	Units  *unit.Tree
	Logger *slog.Logger
	// Now is the clock; tests set it.
	Now func() time.Time
	// Synchronous is SQLite's synchronous pragma; FULL (the default) makes every commit survive a
	// power cut, which is what "accepted means durable" promises a device.
	Synchronous string
}

// DB is the SQLite store.
type DB struct {
	path  string
	write *sql.DB
	read  *sql.DB
	units *unit.Tree
	log   *slog.Logger
	now   func() time.Time
	epoch string
	clock *hlc.Clock
	// corrupt is set when SQLite reports the file malformed after it opened: /healthz then fails.
	corrupt atomic.Bool

	mu     sync.RWMutex // held for reading by each push, for writing by Close
	closed bool

	epochMu           sync.RWMutex
	rotatedForRestore atomic.Bool
	// aheadMu guards aheadBy: the inspectors whose devices pulled beyond the log since start.
	aheadMu         sync.Mutex
	aheadBy         map[string]bool
	highWaterFailed atomic.Bool
	highWaterMu     sync.Mutex
	highWaterLast   int64

	surveys store.SurveyCache // the survey catalogue between reads
	// pushStmts are a push's fixed statements, prepared once on the writer connection: every
	// push reuses them (Tx.StmtContext) rather than parsing them again.
	pushStmts map[string]*sql.Stmt
}

var _ store.Store = (*DB)(nil)

// Open opens (creating if needed) the store at path, applies pending migrations and seeds the
// epoch and the programme's default targets on first use.
func Open(ctx context.Context, path string, opt Options) (*DB, error) {
	if opt.Units == nil {
		return nil, errors.New("open store: no unit tree")
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Synchronous == "" {
		opt.Synchronous = "FULL"
	}
	// Only the owner may read the file: it holds tokens, hashes and personal answers.
	if err := dbfile.Prepare(path); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// busy_timeout first so the other pragmas wait rather than fail; WAL lets readers run beside
	// the writer; foreign keys are off by default in SQLite; a 64 MiB page cache keeps the upper
	// levels of the change-log and record indexes in memory at millions of rows.
	dsn := "file:" + url.PathEscape(path) + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(" + opt.Synchronous + ")&_pragma=cache_size(-65536)&_pragma=wal_autocheckpoint(16384)&_txlock=immediate"
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	db := &DB{path: path, write: w, units: opt.Units, log: opt.Logger, now: opt.Now}
	db.clock = &hlc.Clock{Now: opt.Now, MaxAhead: syncproto.MaxAhead}
	if err := db.check(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if err := db.preparePush(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", strings.Replace(dsn, "_txlock=immediate", "_txlock=deferred", 1)+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open reader %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	db.read = r
	if err := db.seed(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.checkRestored(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// check refuses a malformed store before anything is served from it: a backup copied over the
// file of a crashed server beside its old -wal replays that WAL onto the older copy (faults
// review D6). quick_check reads every page but skips the slower index cross-checks.
func (db *DB) check(ctx context.Context) error {
	rows, err := db.write.QueryContext(ctx, `PRAGMA quick_check(5)`)
	if err != nil {
		return fmt.Errorf("%w: %s: %v (if it was restored from a backup, remove %s-wal and %s-shm beside it and copy the backup again)",
			store.ErrCorrupt, db.path, err, db.path, db.path)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("%w: %s: %v", store.ErrCorrupt, db.path, err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s fails its integrity check: %s (if it was restored from a backup, remove %s-wal and %s-shm beside it and copy the backup again)",
			store.ErrCorrupt, db.path, strings.Join(problems, "; "), db.path, db.path)
	}
	return nil
}

// migrate applies each numbered migration not yet recorded, one transaction each.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, name string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM migrations WHERE name = ?`, name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if fn := goMigrations[name]; fn != nil {
		if err := fn(ctx, tx); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO migrations (name, applied_at) VALUES (?, ?)`, name, db.stamp()); err != nil {
		return err
	}
	db.log.Info("applied migration", "name", name)
	return tx.Commit()
}

// seed creates the epoch and the programme's default survey targets the first time the store opens.
func (db *DB) seed(ctx context.Context) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'epoch'`).Scan(&db.epoch)
	if errors.Is(err, sql.ErrNoRows) {
		db.epoch = store.RandomHex(16)
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('epoch', ?)`, db.epoch); err != nil {
			return fmt.Errorf("seed epoch: %w", err)
		}
		// Only the survey targets: coverage targets are derived from the baseline and the
		// official actuals (indicator.Resolve), so that a new actual recomputes them.
		for _, in := range indicator.All {
			if !in.Percent {
				continue
			}
			for _, y := range indicator.ProgrammeYears {
				t, _ := indicator.DefaultTarget(in.ID, y)
				if _, err := tx.ExecContext(ctx, `INSERT INTO targets (indicator, year, target) VALUES (?, ?, ?)`, in.ID, y, t); err != nil {
					return fmt.Errorf("seed targets: %w", err)
				}
			}
		}
		db.log.Info("created store", "epoch", db.epoch)
	} else if err != nil {
		return fmt.Errorf("read epoch: %w", err)
	}
	return tx.Commit()
}

// RotateEpoch gives the store a new epoch. Run it after restoring a backup: devices that see the
// new epoch re-send the state of every record they hold, restoring what the backup missed.
func (db *DB) RotateEpoch(ctx context.Context) (string, error) {
	e := store.RandomHex(16)
	if _, err := db.write.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = 'epoch'`, e); err != nil {
		return "", fmt.Errorf("rotate epoch: %w", err)
	}
	db.epochMu.Lock()
	db.epoch = e
	db.epochMu.Unlock()
	return e, nil
}

// Epoch implements store.Store.
func (db *DB) Epoch() string {
	db.epochMu.RLock()
	defer db.epochMu.RUnlock()
	return db.epoch
}

// ServerHLC implements store.Store.
func (db *DB) ServerHLC() string { return db.clock.Next().String() }

// Ping implements store.Store.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.read.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	if db.corrupt.Load() {
		return fmt.Errorf("%w: %w: a write found the file malformed", store.ErrUnavailable, store.ErrCorrupt)
	}
	return nil
}

// Close waits for pushes in flight, then closes both pools.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return nil
	}
	db.closed = true
	var errs []error
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	for _, st := range db.pushStmts {
		errs = append(errs, st.Close())
	}
	errs = append(errs, db.write.Close())
	return errors.Join(errs...)
}

// stamp is the current time in the store's text form (RFC 3339 in UTC, sortable).
func (db *DB) stamp() string { return db.now().UTC().Format(time.RFC3339Nano) }

func parseTime(s sql.NullString) *time.Time {
	if !s.Valid || s.String == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s.String)
	if err != nil {
		return nil
	}
	return &t
}
