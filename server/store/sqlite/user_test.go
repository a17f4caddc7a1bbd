package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"talbar/assets"
	"talbar/server/store"
	"talbar/server/store/sqlite"
	"talbar/shared/unit"
)

func openUsersDB(t *testing.T, now *time.Time) *sqlite.DB {
	t.Helper()
	tree, err := unit.Parse(strings.NewReader(string(assets.UnitsCSV())))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "u.db"),
		sqlite.Options{Units: tree, Synchronous: "OFF", Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestUsersAndSessions(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	db := openUsersDB(t, &now)
	u, err := db.CreateUser(ctx, "hq", store.WebAdmin, "MN-073", "$2a$hash")
	if err != nil || u.Unit != "MN" {
		t.Fatalf("admin: %+v %v", u, err)
	}
	for name, tc := range map[string][3]string{
		"ErrTaken":       {"HQ", store.WebViewer, ""},
		"ErrOfficerSoum": {"o", store.WebOfficer, "MN6501"},
		"ErrUnknownRole": {"x", "inspector", ""},
		"ErrEmptyName":   {" ", store.WebViewer, ""},
	} {
		if _, err := db.CreateUser(ctx, tc[0], tc[1], tc[2], "$2a$hash"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	got, hash, err := db.FindUserByName(ctx, "hq")
	if err != nil || got.ID != u.ID || hash != "$2a$hash" {
		t.Fatalf("find: %+v %q %v", got, hash, err)
	}
	if _, _, err := db.FindUserByName(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	tok, s, err := db.CreateSession(ctx, u.ID, time.Hour)
	if err != nil || len(s.CSRF) != 64 {
		t.Fatal(err)
	}
	if s2, u2, err := db.FindSession(ctx, tok); err != nil || u2.ID != u.ID || s2.CSRF != s.CSRF {
		t.Fatalf("find session: %v", err)
	}
	now = now.Add(2 * time.Hour)
	if _, _, err := db.FindSession(ctx, tok); !errors.Is(err, store.ErrUnauthorized) {
		t.Fatalf("expired session: %v", err)
	}
	tok, _, _ = db.CreateSession(ctx, u.ID, time.Hour)
	if err := db.DeleteSession(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.FindSession(ctx, tok); !errors.Is(err, store.ErrUnauthorized) {
		t.Fatalf("deleted session: %v", err)
	}
	us, err := db.ListUsers(ctx)
	if err != nil || len(us) != 1 {
		t.Fatalf("list: %v %v", us, err)
	}
}

func TestTotalsByLeafMonthsEmpty(t *testing.T) {
	now := time.Now()
	db := openUsersDB(t, &now)
	m, err := db.TotalsByLeafMonths(context.Background(), 2026, 1, 6)
	if err != nil || len(m) != 0 {
		t.Fatalf("%v %v", m, err)
	}
}
