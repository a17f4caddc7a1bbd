package store

import (
	"context"
	"time"
)

// Web roles of the dashboard. An officer sees one aimag or the capital; viewers and admins see
// the nation, and only admins change anything.
const (
	WebAdmin   = "admin"
	WebViewer  = "viewer"
	WebOfficer = "officer"
)

// User is a person who signs in to the dashboard. It is separate from Inspector: an inspector
// holds device tokens, a user holds a password and browser sessions.
type User struct {
	ID      string
	Name    string
	Role    string // WebAdmin, WebViewer or WebOfficer
	Unit    string // an aimag or the capital for an officer, "MN" otherwise
	Created time.Time
}

// Session is one signed-in browser. CSRF is the per-session token every form must echo.
type Session struct {
	UserID  string
	CSRF    string
	Expires time.Time
}

// Users keeps dashboard users and their sessions. Passwords arrive already hashed (the store
// never sees a password), and session tokens are stored only as hashes, so a copy of the
// database signs no one in.
type Users interface {
	// CreateUser adds a user with a password hash. Returns ErrInvalid for an empty or taken
	// name, an unknown role, or an officer whose unit is not an aimag or the capital.
	CreateUser(ctx context.Context, name, role, unit, passwordHash string) (User, error)
	// FindUserByName returns a user and its password hash; ErrNotFound when there is none.
	FindUserByName(ctx context.Context, name string) (User, string, error)
	// ListUsers lists every user by name.
	ListUsers(ctx context.Context) ([]User, error)
	// CreateSession starts a session for a user and returns its token, shown once.
	CreateSession(ctx context.Context, userID string, ttl time.Duration) (string, Session, error)
	// FindSession returns the live session of a token and its user; ErrUnauthorized for an
	// unknown or expired one.
	FindSession(ctx context.Context, token string) (Session, User, error)
	// DeleteSession ends a session; ending an unknown one is not an error.
	DeleteSession(ctx context.Context, token string) error
}
