package pgtest_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"talbar/server/store/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestTwoDatabases: two databases of one test are separate: a table made in one is not in the
// other.
func TestTwoDatabases(t *testing.T) {
	ctx := context.Background()
	a, b := pgtest.DB(t), pgtest.DB(t)
	if a == b {
		t.Fatalf("two databases share one URL %s", a)
	}
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close(ctx)
	if _, err := ca.Exec(ctx, `CREATE TABLE only_in_a (x int); INSERT INTO only_in_a VALUES (7)`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := ca.QueryRow(ctx, `SELECT x FROM only_in_a`).Scan(&n); err != nil || n != 7 {
		t.Fatalf("read back from a: %d, %v", n, err)
	}
	var exists bool
	if err := cb.QueryRow(ctx, `SELECT to_regclass('only_in_a') IS NOT NULL`).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Fatal("a table made in one database is visible in the other")
	}
}

// TestDatabaseDroppedAfterTest: the database of a finished test is gone, even with a
// connection still open to it.
func TestDatabaseDroppedAfterTest(t *testing.T) {
	ctx := context.Background()
	var url string
	var conn *pgx.Conn
	t.Run("inner", func(t *testing.T) {
		url = pgtest.DB(t)
		var err error
		if conn, err = pgx.Connect(ctx, url); err != nil {
			t.Fatal(err)
		}
	})
	defer conn.Close(ctx)
	name := url[strings.LastIndex(url, "/")+1 : strings.Index(url, "?")]
	dbs, err := pgtest.Shared(t).Databases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(dbs, name) {
		t.Fatalf("database %s still exists after its test: %v", name, dbs)
	}
	if _, err := pgx.Connect(ctx, url); err == nil {
		t.Fatalf("connected to the dropped database %s", name)
	}
}

// TestStartFailsWithoutPostgreSQL: a cluster that cannot start is an error, which Shared turns
// into a failed test rather than a skip.
func TestStartFailsWithoutPostgreSQL(t *testing.T) {
	c, err := pgtest.Start(pgtest.Options{BinDir: t.TempDir()})
	if err == nil {
		c.Stop()
		t.Fatal("a cluster started without binaries")
	}
	if !strings.Contains(err.Error(), "initdb") {
		t.Fatalf("error does not name what is missing: %v", err)
	}
}
