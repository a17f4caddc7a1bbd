package postgres_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"

	"talbar/server/store"
	"talbar/server/store/pgtest"
	"talbar/server/store/postgres"
	"talbar/server/store/storetest"
)

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	stopBench()
	os.Exit(code)
}

// openPG is the conformance suite's opener: a fresh database on the test binary's cluster.
func openPG(tb testing.TB, cfg storetest.Config) store.Store {
	return openURL(tb, pgtest.DB(tb), cfg)
}

func openURL(tb testing.TB, url string, cfg storetest.Config) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), url, postgres.Options{Units: cfg.Units, Now: cfg.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// TestConformance runs the contract every store passes.
func TestConformance(t *testing.T) { storetest.Run(t, openPG) }
