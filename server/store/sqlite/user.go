package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"talbar/server/store"
)

// CreateUser implements store.Users.
func (db *DB) CreateUser(ctx context.Context, name, role, code, passwordHash string) (store.User, error) {
	name, code, err := store.CheckUser(db.units, name, role, code, passwordHash)
	if err != nil {
		return store.User{}, err
	}
	u := store.User{ID: uuid.Must(uuid.NewV7()).String(), Name: name, Role: role, Unit: code, Created: db.now().UTC()}
	_, err = db.write.ExecContext(ctx, `INSERT INTO users (id, name, role, unit, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		u.ID, u.Name, u.Role, u.Unit, passwordHash, u.Created.Format(time.RFC3339Nano))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return store.User{}, fmt.Errorf("%w: user %q exists", store.ErrInvalid, name)
		}
		return store.User{}, fmt.Errorf("insert user: %w", err)
	}
	return u, nil
}

func scanUser(row interface{ Scan(...any) error }, extra ...any) (store.User, error) {
	var u store.User
	var created string
	if err := row.Scan(append([]any{&u.ID, &u.Name, &u.Role, &u.Unit, &created}, extra...)...); err != nil {
		return u, err
	}
	u.Created, _ = time.Parse(time.RFC3339Nano, created)
	return u, nil
}

// FindUserByName implements store.Users.
func (db *DB) FindUserByName(ctx context.Context, name string) (store.User, string, error) {
	var h string
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT id, name, role, unit, created_at, password_hash FROM users WHERE name = ?`,
		strings.TrimSpace(name)), &h)
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, "", fmt.Errorf("user %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return store.User{}, "", fmt.Errorf("find user: %w", err)
	}
	return u, h, nil
}

// ListUsers implements store.Users.
func (db *DB) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, name, role, unit, created_at FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("scan user: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CreateSession implements store.Users. Expired sessions are swept on the way, so the table
// stays as small as the number of people signed in.
func (db *DB) CreateSession(ctx context.Context, userID string, ttl time.Duration) (string, store.Session, error) {
	token, csrf := store.RandomHex(32), store.RandomHex(32)
	now := db.now().UTC()
	s := store.Session{UserID: userID, CSRF: csrf, Expires: now.Add(ttl)}
	if _, err := db.write.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, now.Format(time.RFC3339Nano)); err != nil {
		return "", s, fmt.Errorf("sweep sessions: %w", err)
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at)
		SELECT ?, id, ?, ?, ? FROM users WHERE id = ?`,
		store.Hash(token), csrf, now.Format(time.RFC3339Nano), s.Expires.Format(time.RFC3339Nano), userID)
	if err != nil {
		return "", s, fmt.Errorf("insert session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", s, fmt.Errorf("create session: user %s: %w", userID, store.ErrNotFound)
	}
	return token, s, nil
}

// FindSession implements store.Users.
func (db *DB) FindSession(ctx context.Context, token string) (store.Session, store.User, error) {
	if token == "" {
		return store.Session{}, store.User{}, store.ErrUnauthorized
	}
	var s store.Session
	var exp string
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT u.id, u.name, u.role, u.unit, u.created_at, s.csrf, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, store.Hash(token)), &s.CSRF, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return s, u, store.ErrUnauthorized
	}
	if err != nil {
		return s, u, fmt.Errorf("%w: find session: %v", store.ErrUnavailable, err)
	}
	s.UserID = u.ID
	s.Expires, _ = time.Parse(time.RFC3339Nano, exp)
	if !db.now().Before(s.Expires) {
		return store.Session{}, store.User{}, store.ErrUnauthorized
	}
	return s, u, nil
}

// DeleteSession implements store.Users.
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	if _, err := db.write.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, store.Hash(token)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
