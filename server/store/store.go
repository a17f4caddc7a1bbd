// Package store defines what the server keeps and the one interface its implementations satisfy
// (SQLite now, PostgreSQL later). It imports no driver; server/store/sqlite implements it.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"talbar/shared/indicator"
	"talbar/shared/tally"
	"talbar/syncproto"
)

// Errors a Store returns; the API maps them to status codes.
var (
	ErrNotFound     = errors.New("not found")
	ErrUnauthorized = errors.New("unauthorized")
	ErrCodeUnknown  = errors.New("enrollment code unknown")
	ErrCodeExpired  = errors.New("enrollment code expired")
	ErrCodeUsed     = errors.New("enrollment code already used")
	ErrUnavailable  = errors.New("store unavailable")
	ErrInvalid      = errors.New("invalid input")
	// ErrDeviceUnknown is an unauthorized token the store has no device for at all (not a revoked
	// one): the store was restored from a copy older than the device's enrollment.
	ErrDeviceUnknown = fmt.Errorf("%w: no device has this token", ErrUnauthorized)
	// ErrCorrupt is a store file that fails its integrity check.
	ErrCorrupt = errors.New("store is malformed")
	// ErrCursorAhead means a pull's cursor is beyond the store's change log: the store was
	// restored from an older copy, and the device must re-send what it holds.
	ErrCursorAhead = errors.New("cursor beyond the change log")

	// ErrConflict means a concurrent push on another connection touched the same change or
	// record first; nothing was written, and the push engine tries the push again.
	ErrConflict = errors.New("concurrent push conflict")

	// ErrStale means a decision was made against a value that is no longer the current one.
	ErrStale = errors.New("decided against a value that changed since")
)

// AheadEvidence is how many inspectors' devices must pull from beyond the change log before a
// store takes it for a restore and rotates its epoch: one device's number proves nothing.
const AheadEvidence = 2

// Inspector is a person who may enroll devices: an inspector of a soum or district, or a
// division officer of an aimag or the capital.
type Inspector struct {
	ID      string
	Name    string
	Unit    string
	Role    string // syncproto.RoleInspector or RoleOfficer
	Created time.Time
}

// Principal is an authenticated device and the inspector it belongs to.
type Principal struct {
	DeviceID  string
	Inspector Inspector
}

// Device is one enrolled device with its sync health, for headquarters.
type Device struct {
	ID            string
	InspectorID   string
	InspectorName string
	Unit          string
	Role          string
	Name          string
	Platform      string
	EnrolledAt    time.Time
	RevokedAt     *time.Time
	LastSeen      *time.Time // last contact: a push or a pull
	LastPush      *time.Time
	SkewMillis    int64 // device_time minus server time at the last push
	// OutboxPending is what the device still holds after its last push: the outbox it reported
	// at the start of the push less the changes that push delivered (accepted or duplicates).
	OutboxPending int
	OutboxOldest  string
	Accepted      int64
	Duplicates    int64
	Rejected      int64
}

// Rejection is a change the server refused, kept so headquarters sees what devices struggle with.
type Rejection struct {
	ChangeID string
	DeviceID string
	Code     string
	Message  string
	// Problems are the field problems of an invalid change, kept by code so the dashboard
	// translates them instead of showing the server's English Message.
	Problems []syncproto.Problem
	At       time.Time
}

// Conflict is a value overwritten by a concurrent edit: the writer of the value kept had not seen
// it. The merge decided (every replica agrees on the kept value); the lost one waits here for
// review by those who may edit the unit.
type Conflict struct {
	ID       int64
	RecordID string
	Entity   string
	Unit     string
	Division string
	Field    string // a leaf ("reached.herders"), a field, or "_deleted" for a delete against an edit
	Lost     Version
	Kept     Version
	// Current is the record's value of the field as stored now (Conflicts and OpenConflict fill
	// it from the record): what a reviewer's decision is made against.
	Current  Version
	Detected time.Time
	State    string // ConflictOpen, or how it was settled
	By       string // who settled it
	Settled  *time.Time
}

// Version is one value of a field with who wrote it when.
type Version struct {
	Value  json.RawMessage
	HLC    string
	Device string
	Name   string // the writer's name, when the store knows it
}

// Conflict states.
const (
	ConflictOpen       = "open"
	ConflictKept       = "kept"       // the kept value stays
	ConflictRestored   = "restored"   // the lost value was written again
	ConflictReplaced   = "replaced"   // a third value was written
	ConflictSuperseded = "superseded" // a later change took the lost value into account (its own writer edited the field again, or an edit was made from it)
)

// ConflictFilter narrows a conflict listing.
type ConflictFilter struct {
	Unit  string // any unit; its leaves are included; "" or "MN" for all
	State string // "" for open ones
	Limit int
}

// ConflictKey names one lost value.
type ConflictKey struct{ RecordID, Field, HLC, Device string }

// Target is one indicator's official figures for one year.
type Target = syncproto.Target

// Baseline is the value an indicator's progress is measured from, and the year it was measured.
type Baseline = indicator.Baseline

// RecordFilter narrows a records listing (exports, dashboard).
type RecordFilter struct {
	Entity string // event or survey; required
	Unit   string // any unit; its leaves are included; "" or "MN" for all
	Year   int    // 0 for all years
	Limit  int    // 0 for no limit
	After  string // record id to continue after, for paging
}

// Record is a merged record's current values.
type Record struct {
	ID      string
	Entity  string
	Unit    string
	Date    string
	Deleted bool
	Values  map[string]any
	Version string // greatest hlc of its fields
}

// Store is everything the server keeps. Implementations must be safe for concurrent use.
type Store interface {
	// Epoch is the random id created with the store; it never changes for the store's life
	// unless an operator rotates it after restoring a backup.
	Epoch() string
	// ServerHLC issues a timestamp of the server's clock, which has observed every accepted
	// change not far in the future; devices advance their clocks past it.
	ServerHLC() string
	// RotateEpoch gives the store a new epoch; run after restoring a backup, so that devices
	// re-send the state of every record they hold.
	RotateEpoch(ctx context.Context) (string, error)

	// CreateInspector adds an inspector or officer. unit must be a leaf for an inspector and an
	// aimag or the capital for an officer; ErrInvalid otherwise.
	CreateInspector(ctx context.Context, name, unit, role string) (Inspector, error)
	// IssueCode creates a one-time enrollment code for an inspector, valid for ttl.
	IssueCode(ctx context.Context, inspectorID string, ttl time.Duration) (string, error)
	// Enroll exchanges a code for a new device and its token (shown once, stored only as a hash).
	// Returns ErrCodeUnknown, ErrCodeExpired or ErrCodeUsed.
	Enroll(ctx context.Context, code, deviceName, platform string) (Principal, string, error)
	// CancelCodes makes every unused code of the inspector stop working and returns how many
	// did; ErrNotFound for an unknown inspector. IssueCode does the same before a new code.
	CancelCodes(ctx context.Context, inspectorID string) (int, error)
	// Authenticate finds the device of a token; ErrUnauthorized for an unknown or revoked one.
	Authenticate(ctx context.Context, token string) (Principal, error)
	// RevokeDevice makes a device's token useless at once.
	RevokeDevice(ctx context.Context, deviceID string) error
	// Devices lists every device with its sync health.
	Devices(ctx context.Context) ([]Device, error)
	// Inspectors lists every inspector and officer.
	Inspectors(ctx context.Context) ([]Inspector, error)
	// RecentRejections lists the latest refused changes, newest first.
	RecentRejections(ctx context.Context, limit int) ([]Rejection, error)

	// BeginPush starts one push's transaction; server/push drives it. ErrUnavailable when the
	// store is closed or unreachable.
	BeginPush(ctx context.Context) (PushTx, error)
	// Pull returns up to limit changes after cursor in p's scope written by other devices, in
	// cursor order, the cursor to continue from and whether more follow. Whatever the number of
	// writers, a change that commits after a pull answered cursor c gets a cursor above c, so a
	// device that continues from c never misses one (docs/postgresql.md).
	Pull(ctx context.Context, p Principal, since int64, limit int) ([]syncproto.Change, int64, bool, error)

	// Totals returns the merged totals of a unit (any level, "MN" for the nation) for a year, or
	// for one month of it when month is 1-12.
	Totals(ctx context.Context, unit string, year, month int) (tally.Vector, error)
	// TotalsByLeaf returns a year's totals of every soum or district that has any, by leaf code.
	TotalsByLeaf(ctx context.Context, year int) (map[string]tally.Vector, error)
	// TotalsByLeafMonths returns, by soum or district code, the totals of months from..to
	// (1-12, inclusive) of year: the dashboard's unit table for a quarter or half-year.
	TotalsByLeafMonths(ctx context.Context, year, from, to int) (map[string]tally.Vector, error)
	// TotalsByMonth returns a unit's totals for each month 1-12 of a year (index 0 is January).
	TotalsByMonth(ctx context.Context, unit string, year int) ([12]tally.Vector, error)
	// RecomputeTotals recomputes a year's totals for a unit from the merged records, bypassing
	// the incrementally kept ones; tests and audits compare the two.
	RecomputeTotals(ctx context.Context, unit string, year int) (tally.Vector, error)

	// Targets lists every indicator's official figures by year.
	Targets(ctx context.Context) ([]Target, error)
	// SetTarget creates or replaces one indicator's figures for one year. ErrInvalid for a year
	// out of range or a figure that is negative or not finite.
	SetTarget(ctx context.Context, t Target) error
	// Baselines lists every indicator's baseline.
	Baselines(ctx context.Context) ([]Baseline, error)
	// SetBaseline replaces an indicator's baseline (a new programme); ErrInvalid as SetTarget.
	SetBaseline(ctx context.Context, b Baseline) error

	// Records lists merged records, ordered by id.
	Records(ctx context.Context, f RecordFilter) ([]Record, error)

	// Conflicts lists kept conflicts, newest first.
	Conflicts(ctx context.Context, f ConflictFilter) ([]Conflict, error)
	// OpenConflicts counts the open conflicts of each soum or district.
	OpenConflicts(ctx context.Context) (map[string]int, error)
	// OpenConflict returns one open conflict with the record's current value of its field (read
	// only, no push transaction); ErrNotFound for an unknown or settled one.
	OpenConflict(ctx context.Context, id int64) (Conflict, error)
	// SettleConflict marks an open conflict settled by writer with choice (ConflictKept,
	// ConflictRestored or ConflictReplaced; the push engine's Resolve writes the chosen value
	// first). ErrNotFound for an unknown or settled conflict.
	SettleConflict(ctx context.Context, id int64, choice, writer string) error

	// Users keeps the dashboard's users and sessions.
	Users
	// AnnualPlans keeps the divisions' annual plans.
	AnnualPlans
	// ReportNotes keeps the half-year reports' texts.
	ReportNotes

	// Ping checks the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store; pushes in flight finish first.
	Close() error
}

// WriterNameSQL is the SQL, the same on every backend, for the name of the person behind a
// writer column: the inspector of a device, or a dashboard user ("dashboard:NAME").
func WriterNameSQL(col string) string {
	return `coalesce((SELECT i.name FROM devices d JOIN inspectors i ON i.id = d.inspector_id WHERE d.id = ` + col + `),
		CASE WHEN ` + col + ` LIKE 'dashboard:%' THEN substr(` + col + `, 11) ELSE '' END)`
}
