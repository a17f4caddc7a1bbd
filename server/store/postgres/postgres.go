// Package postgres implements server/store.Store on PostgreSQL through pgx. Several server
// processes may share one database: everything a server would otherwise keep in memory (the
// epoch, the server's clock, the change log's high-water mark) lives in the head row, and pull
// cursors are handed out in commit order (docs/postgresql.md).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"talbar/server/store"
	"talbar/shared/indicator"
	"talbar/shared/unit"
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
	// MaxConns bounds the pool (default pgxpool's: the larger of 4 and the number of CPUs).
	MaxConns int32
}

// DB is the PostgreSQL store.
type DB struct {
	pool  *pgxpool.Pool
	units *unit.Tree
	log   *slog.Logger
	now   func() time.Time

	mu        sync.Mutex
	lastEpoch string // the epoch last read, answered when the database cannot be reached

	surveys store.SurveyCache // the survey catalogue between reads
}

var _ store.Store = (*DB)(nil)

// migrationLock is the advisory lock under which a server applies migrations, so that servers
// starting together do not apply one twice.
const migrationLock = 0x7a1ba5

// Open connects to the database at url, applies pending migrations and seeds the epoch and the
// programme's default targets on first use.
func Open(ctx context.Context, url string, opt Options) (*DB, error) {
	if opt.Units == nil {
		return nil, errors.New("open store: no unit tree")
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	if opt.MaxConns > 0 {
		cfg.MaxConns = opt.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	db := &DB{pool: pool, units: opt.Units, log: opt.Logger, now: opt.Now}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := db.seed(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// migrate applies each numbered migration not yet recorded, one transaction each, under an
// advisory lock.
func (db *DB) migrate(ctx context.Context) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("lock for migrations: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, conn.Conn(), name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, conn *pgx.Conn, name string) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM migrations WHERE name = $1`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, string(body)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO migrations (name, applied_at) VALUES ($1, $2)`, name, db.now().UTC()); err != nil {
			return err
		}
		db.log.Info("applied migration", "name", name)
		return nil
	})
}

// seed creates the head row (with a new epoch) and the programme's default survey targets the first time.
func (db *DB) seed(ctx context.Context) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		epoch := store.RandomHex(16)
		tag, err := tx.Exec(ctx, `INSERT INTO head (epoch) VALUES ($1) ON CONFLICT DO NOTHING`, epoch)
		if err != nil {
			return fmt.Errorf("seed epoch: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		// Only the survey targets: coverage targets are derived from the baseline and the
		// official actuals (indicator.Resolve), so that a new actual recomputes them.
		for _, in := range indicator.All {
			if !in.Percent {
				continue
			}
			for _, y := range indicator.ProgrammeYears {
				t, _ := indicator.DefaultTarget(in.ID, y)
				if _, err := tx.Exec(ctx, `INSERT INTO targets (indicator, year, target) VALUES ($1, $2, $3)`, in.ID, y, t); err != nil {
					return fmt.Errorf("seed targets: %w", err)
				}
			}
		}
		db.log.Info("created store", "epoch", epoch)
		return nil
	})
}

// RotateEpoch implements store.Store.
func (db *DB) RotateEpoch(ctx context.Context) (string, error) {
	e := store.RandomHex(16)
	if _, err := db.pool.Exec(ctx, `UPDATE head SET epoch = $1`, e); err != nil {
		return "", fmt.Errorf("rotate epoch: %w", err)
	}
	db.noteEpoch(e)
	return e, nil
}

func (db *DB) noteEpoch(e string) {
	db.mu.Lock()
	db.lastEpoch = e
	db.mu.Unlock()
}

// Epoch implements store.Store. It is read from the database each time, so every server sharing
// it answers the same epoch at once after a rotation; when the database cannot be reached the
// epoch last read stands in (the request fails on its next step anyway).
func (db *DB) Epoch() string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var e string
	if err := db.pool.QueryRow(ctx, `SELECT epoch FROM head`).Scan(&e); err != nil {
		db.log.Warn("read epoch", "err", err)
		db.mu.Lock()
		defer db.mu.Unlock()
		return db.lastEpoch
	}
	db.noteEpoch(e)
	return e
}

// ServerHLC implements store.Store: the clock is the head row's, shared by every server.
func (db *DB) ServerHLC() string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var h int64
	wall := int64(hlc.New(db.now().UnixMilli(), 0))
	if err := db.pool.QueryRow(ctx, `UPDATE head SET hlc = greatest(hlc + 1, $1) RETURNING hlc`, wall).Scan(&h); err != nil {
		db.log.Warn("advance server clock", "err", err)
		return hlc.Timestamp(wall).String()
	}
	return hlc.Timestamp(h).String()
}

// Ping implements store.Store.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	return nil
}

// Close implements store.Store: it waits for connections in use (pushes in flight) to be
// released.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// conflict turns the errors a concurrent push can cause (a change or record inserted by another
// push first, a deadlock, a serialisation failure) into store.ErrConflict, which the push engine
// retries.
func conflict(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "40P01" || pe.Code == "40001") {
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	}
	return err
}

// unavailable marks connection failures.
func unavailable(what string, err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%w: %s: %v", store.ErrUnavailable, what, err)
}

// scope is the column and value that restrict a table with unit and division columns to code;
// an empty column means the nation.
func (db *DB) scope(code string) (string, string, error) {
	if code == "" || code == string(unit.Nation) {
		return "", "", nil
	}
	u, ok := db.units.Get(unit.Code(code))
	if !ok {
		return "", "", fmt.Errorf("%w: unit %q is not known", store.ErrInvalid, code)
	}
	switch {
	case u.Leaf():
		return "unit", code, nil
	case u.Level == unit.LevelAimag || u.Level == unit.LevelCapital:
		return "division", code, nil
	}
	return "", "", fmt.Errorf("%w: unit %q has no totals", store.ErrInvalid, code)
}

func placeholders(from, n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(p, ", ")
}

func trimSpace(s string) string { return strings.TrimSpace(s) }
