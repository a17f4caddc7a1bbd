// Package localstore is the field app's offline store: merged records, the outbox of changes
// not yet acknowledged by the server, the persisted hybrid logical clock, the pull cursor, the
// enrollment and the reference data, all in one SQLite file. A save writes the record and its
// change in one transaction, so nothing an inspector saved can be lost between the two.
//
// It knows nothing of screens or HTTP: the screens call Save, FindRecords and Summary; the sync
// client drives it through the methods of syncclient.Outbox.
package localstore

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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"talbar/shared/dbfile"
	"talbar/shared/survey"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options tune Open. The zero value is the production setting.
type Options struct {
	// Now is the wall clock for the hybrid logical clock and the outbox times; time.Now when nil.
	// Tests set it to a clock a year ahead, a year behind or one that jumps back.
	Now func() time.Time
	// Logger receives store events; slog.Default() when nil. Tokens never reach it.
	Logger *slog.Logger
	// Synchronous is SQLite's synchronous pragma: "FULL" (default) survives a power cut, which is
	// how a tablet with a flat battery stops; "NORMAL" survives only a crash of the app.
	Synchronous string
}

// writeCacheSize is the write connection's cache_size pragma (negative: KiB).
const writeCacheSize = "cache_size(-32768)"

// DB is an open local store. It is safe for concurrent use: reads run on a pool, writes go through
// a single connection so they queue instead of failing with SQLITE_BUSY.
type DB struct {
	path   string
	write  *sql.DB
	read   *sql.DB
	now    func() time.Time
	logger *slog.Logger
	clock  *hlc.Clock
	// offset is the server's clock minus this device's, in ms, from the last answer's
	// X-Server-Time: the hlc stamps with the corrected time, so a wrong device clock after the
	// first contact does not matter.
	offset atomic.Int64

	mu        sync.Mutex // guards unitsChk and surveyCat
	unitsChk  unitChecker
	surveyCat *survey.Catalogue

	// Checkpoints run in the background, not inside the save that crosses SQLite's threshold:
	// copying the WAL back into the database is what made one save in a hundred slow.
	ckptDB    *sql.DB
	ckpt      chan struct{}
	ckptDone  chan struct{}
	closeOnce sync.Once
}

// Open opens (creating if needed) the store at path and applies pending migrations, so a database
// written by an older version of the app opens after an upgrade.
func Open(path string, opt Options) (*DB, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Synchronous == "" {
		opt.Synchronous = "FULL"
	}
	// Only the owner may read the file: it holds tokens, hashes and personal answers.
	if err := dbfile.Prepare(path); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// busy_timeout first, so the other pragmas wait rather than fail if another process holds a
	// lock; WAL lets screens read while the sync client writes; foreign keys keep the outbox
	// pointing at real records.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+opt.Synchronous+")")
	dsn := "file:" + path + "?" + q.Encode()

	// The writer's page cache is 32 MiB (SQLite's default is 2 MiB, allocated only as used): a
	// pull page of a few thousand records dirties pages of every records index across the file,
	// and with the default cache SQLite spilled them to the WAL mid-transaction and read them
	// back, ~14 % of a 100,000-record first pull's CPU (issue 13, docs/benchmarks.md).
	write, err := sql.Open("sqlite", dsn+"&_txlock=immediate&"+url.Values{"_pragma": {"wal_autocheckpoint(0)", writeCacheSize}}.Encode())
	if err != nil {
		return nil, fmt.Errorf("open local store: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", dsn+"&"+url.Values{"_pragma": {"query_only(1)"}}.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open local store: %w", err)
	}
	read.SetMaxOpenConns(4)
	ckptDB, err := sql.Open("sqlite", dsn)
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("open local store: %w", err)
	}
	ckptDB.SetMaxOpenConns(1)
	db := &DB{path: path, write: write, read: read, now: opt.Now, logger: opt.Logger.With("store", "local"),
		ckptDB: ckptDB, ckpt: make(chan struct{}, 1), ckptDone: make(chan struct{})}
	go db.checkpointer()
	ctx := context.Background()
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	last, err := db.meta(ctx, db.read, keyHLC)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("read clock: %w", err)
	}
	var ts hlc.Timestamp
	if last != "" {
		if ts, err = hlc.Parse(last); err != nil {
			db.Close()
			return nil, fmt.Errorf("read clock: %w", err)
		}
	}
	off, err := db.meta(ctx, db.read, keyClockOffset)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("read clock offset: %w", err)
	}
	if n, err := strconv.ParseInt(off, 10, 64); err == nil {
		db.offset.Store(n)
	}
	db.clock = hlc.NewClock(ts)
	db.clock.Now = db.Now
	db.clock.MaxAhead = syncproto.MaxAhead
	return db, nil
}

// checkpointer copies the WAL into the database after bursts of writes, off the save path.
func (db *DB) checkpointer() {
	defer close(db.ckptDone)
	for range db.ckpt {
		time.Sleep(50 * time.Millisecond) // let a burst of saves finish first
		if _, err := db.ckptDB.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			db.logger.Warn("checkpoint", "err", err)
		}
	}
}

// written tells the checkpointer a write committed; it never blocks.
func (db *DB) written() {
	select {
	case db.ckpt <- struct{}{}:
	default:
	}
}

// Close releases the database, copying the WAL back into it first.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.ckpt)
		<-db.ckptDone
	})
	var errs []error
	if db.ckptDB != nil {
		_, err := db.ckptDB.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		errs = append(errs, err, db.ckptDB.Close())
	}
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	return errors.Join(errs...)
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Clock is the device's hybrid logical clock; its high-water mark is persisted with every save
// and every observed server timestamp, so a clock set back never makes it run backwards.
func (db *DB) Clock() *hlc.Clock { return db.clock }

type migration struct {
	version int
	name    string
}

// migrate applies each embedded migrations/NNNN_name.sql not yet recorded, one transaction each.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	var ms []migration
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("migration %s: name must be NNNN_name.sql", base)
		}
		ms = append(ms, migration{v, base})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for _, m := range ms {
		if err := db.migrateOne(ctx, m); err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
	}
	return nil
}

func (db *DB) migrateOne(ctx context.Context, m migration) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := migrationFS.ReadFile("migrations/" + m.name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if fn := goMigrations[m.version]; fn != nil {
		if err := fn(ctx, tx); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, db.now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	db.logger.Info("migration applied", "name", m.name)
	return tx.Commit()
}

// Migrations lists the applied migrations by name, oldest first.
func (db *DB) Migrations(ctx context.Context) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT name FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Meta keys.
const (
	keyHLC          = "hlc"
	keyCursor       = "cursor"
	keyEpoch        = "epoch"
	keyServerURL    = "server_url"
	keyDeviceID     = "device_id"
	keyToken        = "token"
	keyInspector    = "inspector"
	keyEnrolledAt   = "enrolled_at"
	keyLastSync     = "last_sync"
	keySkewWarning  = "skew_warning"
	keyClockOffset  = "clock_offset"  // server time minus device time at the last answer, in ms
	keyServerForgot = "server_forgot" // the server answered device_unknown: re-send everything after enrolling again
)

func (db *DB) meta(ctx context.Context, q querier, key string) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

func setMeta(ctx context.Context, q querier, key, value string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("set %s: %w", key, err)
	}
	return nil
}

// persistClock writes the clock's high-water mark inside tx.
func (db *DB) persistClock(ctx context.Context, tx querier) error {
	return setMeta(ctx, tx, keyHLC, db.clock.Last().String())
}

// inTx runs fn in a write transaction.
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	db.written()
	return nil
}
