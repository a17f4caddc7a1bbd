// Package pgtest runs a private PostgreSQL cluster for tests: Debian's postgresql package,
// initdb into a temporary folder as an unprivileged user, the server on a free loopback port
// with its socket in that folder, and one fresh database per test. A test binary shares one
// cluster (started by Main from TestMain); a test that needs PostgreSQL fails, never skips,
// when it cannot start, so a missing install cannot turn the PostgreSQL suite green.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options configure a cluster.
type Options struct {
	// BinDir holds initdb and postgres; empty finds the newest /usr/lib/postgresql/*/bin.
	BinDir string
	// Durable keeps fsync on, for benchmarks that compare commit costs honestly; tests run
	// without it, since a lost test cluster is simply made again.
	Durable bool
	// Dir keeps the cluster in this folder across runs (made on first use, kept by Stop), for
	// benchmarks whose large database is built once; empty for a temporary folder.
	Dir string
}

// Cluster is one running PostgreSQL server and its data folder.
type Cluster struct {
	dir  string
	keep bool
	port int
	cmd  *exec.Cmd
	done chan error
	seq  atomic.Int64
}

// superuser is the cluster's bootstrap role; it trusts every local connection, and the
// cluster listens only on 127.0.0.1 and its own socket.
const superuser = "talbar"

// Start makes and starts a new cluster. Stop it with Stop.
func Start(opt Options) (*Cluster, error) {
	bin := opt.BinDir
	if bin == "" {
		var err error
		if bin, err = findBinDir(); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			return nil, fmt.Errorf("pgtest: %s not found in %s (run .ci/setup): %w", name, bin, err)
		}
	}
	cred, err := unprivileged()
	if err != nil {
		return nil, err
	}
	dir, keep := opt.Dir, opt.Dir != ""
	if keep {
		err = os.MkdirAll(dir, 0o700)
	} else {
		dir, err = os.MkdirTemp("", "pgtest")
	}
	if err != nil {
		return nil, fmt.Errorf("pgtest: cluster folder: %w", err)
	}
	fail := func(err error) (*Cluster, error) {
		if !keep {
			os.RemoveAll(dir)
		}
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fail(fmt.Errorf("pgtest: chown %s: %w", dir, err))
		}
	}
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		os.RemoveAll(data) // a half-made cluster of an interrupted run
		initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", superuser, "--auth=trust",
			"--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
		initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := initdb.CombinedOutput(); err != nil {
			return fail(fmt.Errorf("pgtest: initdb: %w\n%s", err, out))
		}
	}
	// The free port is only free when asked; another test binary may take it first, so a
	// start that cannot bind tries another one.
	for attempt := 0; ; attempt++ {
		c, log, err := launch(bin, dir, data, cred, opt.Durable, keep)
		if err == nil {
			return c, nil
		}
		if attempt < 3 && (strings.Contains(log, "could not bind") || strings.Contains(log, "already in use")) {
			continue
		}
		return fail(fmt.Errorf("pgtest: %w\n%s", err, log))
	}
}

// launch starts postgres on a free port and waits until it accepts connections; on failure it
// returns the server's log.
func launch(bin, dir, data string, cred *syscall.Credential, durable, keep bool) (*Cluster, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	args := []string{"-D", data, "-p", strconv.Itoa(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "max_wal_size=4GB",
		"-c", "max_connections=200", "-c", "shared_buffers=128MB"}
	if !durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	logPath := filepath.Join(dir, "postgres.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, "", fmt.Errorf("log file: %w", err)
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// SIGQUIT is PostgreSQL's immediate shutdown: a test binary that dies leaves no server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	if keep {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGINT
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, "", fmt.Errorf("start postgres: %w", err)
	}
	c := &Cluster{dir: dir, keep: keep, port: port, cmd: cmd, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait(); logf.Close() }()
	if err := c.waitReady(time.Minute); err != nil {
		c.stopServer()
		log, _ := os.ReadFile(logPath)
		return nil, string(log), err
	}
	return c, "", nil
}

// waitReady polls until the server accepts connections or exits.
func (c *Cluster) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		select {
		case err := <-c.done:
			c.done <- err
			return fmt.Errorf("postgres exited at start-up: %v", err)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after %s: %w", limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// URL is the connection URL of one database of the cluster.
func (c *Cluster) URL(database string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", superuser, c.port, database)
}

// Stop shuts the server down and removes its folder unless it is kept (Options.Dir): a kept
// cluster shuts down cleanly, a temporary one at once.
func (c *Cluster) Stop() {
	c.stopServer()
	if !c.keep {
		os.RemoveAll(c.dir)
	}
}

func (c *Cluster) stopServer() {
	if c.cmd.Process != nil {
		sig := syscall.SIGQUIT
		if c.keep {
			sig = syscall.SIGINT // fast shutdown: a checkpoint, so the next start needs no recovery
		}
		c.cmd.Process.Signal(sig)
		var err error
		select {
		case err = <-c.done:
		case <-time.After(10 * time.Second):
			c.cmd.Process.Kill()
			err = <-c.done
		}
		c.done <- err // for a second stop
	}
}

// Exec runs one statement on the cluster's postgres database (CREATE DATABASE … TEMPLATE …).
// Copying a large template database takes minutes on a busy machine, so no short timeout.
func (c *Cluster) Exec(sql string) error { return c.adminWithin(sql, 30*time.Minute) }

// NewDatabase creates an empty database and drops it (closing its connections) when t ends.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), c.seq.Add(1))
	if err := c.admin(fmt.Sprintf(`CREATE DATABASE %s`, name)); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		if err := c.admin(fmt.Sprintf(`DROP DATABASE %s WITH (FORCE)`, name)); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return c.URL(name)
}

// Databases lists the cluster's databases other than the templates and postgres.
func (c *Cluster) Databases(ctx context.Context) ([]string, error) {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres' ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (c *Cluster) admin(sql string) error { return c.adminWithin(sql, time.Minute) }

func (c *Cluster) adminWithin(sql string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// NewName returns a database name not used before in this cluster's life.
func (c *Cluster) NewName(prefix string) string {
	return fmt.Sprintf("%s%d_%d", prefix, os.Getpid(), c.seq.Add(1))
}

var (
	sharedMu  sync.Mutex
	shared    *Cluster
	sharedErr error
)

// Main runs a test binary's tests with one shared cluster, started lazily by the first DB and
// stopped after the last test. Call it from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil {
		shared.Stop()
		shared = nil
	}
	return code
}

// Shared is the test binary's cluster, started on first use; the test fails when PostgreSQL
// cannot start.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil {
		shared, sharedErr = Start(Options{})
	}
	if sharedErr != nil {
		t.Fatalf("PostgreSQL cannot start: %v", sharedErr)
	}
	return shared
}

// DB creates a database on the shared cluster for t and returns its URL.
func DB(t testing.TB) string {
	t.Helper()
	return Shared(t).NewDatabase(t)
}

// findBinDir picks the newest installed PostgreSQL's binaries.
func findBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("pgtest: PostgreSQL is not installed (run .ci/setup)")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// unprivileged is the user the cluster runs as: PostgreSQL refuses to run as root, so under root
// it is the postgres user the package created; otherwise the current user (nil).
func unprivileged() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root and no postgres user to run the cluster as (run .ci/setup): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
