package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"talbar/server/store/pgtest"
	"talbar/server/store/storetest"
)

// TestTotalsColumns: each totals column holds the metric tally.Metrics puts at its position.
func TestTotalsColumns(t *testing.T) {
	ctx := context.Background()
	url := pgtest.DB(t)
	openURL(t, url, storetest.Config{Units: storetest.Units(t)})
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT column_name FROM information_schema.columns WHERE table_name = 'totals'`)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	storetest.CheckTotalsColumns(t, "migrations", cols)
}
