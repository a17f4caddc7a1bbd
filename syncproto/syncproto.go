// Package syncproto is the wire contract of PROTOCOL.md between the field app and the server:
// the request and response types, the closed list of rejection and error codes, the limits, and a
// gzip-aware JSON codec that refuses oversized bodies before it inflates them. Plain Go, no I/O of
// its own, imported by both sides.
package syncproto

import (
	"encoding/json"
	"talbar/shared/survey"
	"time"

	"talbar/shared/indicator"
	"talbar/shared/unit"
)

// Protocol is the version this package speaks. 2: each count of reached and materials is a field
// of its own ("reached.herders"), merged on its own; a server answers 426 to any other version.
const Protocol = 2

// Limits a server announces and enforces.
const (
	MaxChanges       = 5000
	MaxBodyBytes     = 8 << 20 // decompressed
	MaxPullLimit     = 5000
	DefaultPullLimit = 1000
	// MaxPullBytes is where the server ends a pull page early (more: true) whatever its limit:
	// about 1 MiB of changes, however large their records.
	MaxPullBytes = 1 << 20
	// SkewWarning is how far a device clock may be off before the app warns the inspector.
	SkewWarning = 5 * time.Minute
	// FutureFlag is how far ahead of the server a change's hlc may be before it is flagged.
	FutureFlag = 24 * time.Hour
	// MaxAhead is how far ahead of the server's clock a change's hlc may be: a change further
	// ahead is refused (RejectClockAhead), so no device clock can win every later edit for years.
	MaxAhead = 5 * time.Minute
)

// HeaderServerTime is the response header carrying the server's wall clock (RFC 3339, ms), on
// every API answer: the device estimates its clock's offset from it and stamps with the corrected time.
const HeaderServerTime = "X-Server-Time"

// Ops.
const (
	OpUpsert = "upsert"
	OpDelete = "delete"
)

// Change is one entry of a device's change log.
type Change struct {
	ID       string                     `json:"id"`
	Entity   string                     `json:"entity"`
	RecordID string                     `json:"record_id"`
	Op       string                     `json:"op"`
	HLC      string                     `json:"hlc"`
	Fields   map[string]json.RawMessage `json:"fields,omitempty"`
	// DeviceID is the device that wrote the change: set by the server on pull, and by a device
	// re-sending state after an epoch change for fields another device wrote.
	DeviceID string `json:"device_id,omitempty"`
	// Base is, for each field the change sets, the hlc of the value it replaced on the writer's
	// device ("" for a field that was empty there; for a delete, "_deleted" and "*", the record's
	// version). A stored value with another hlc, written by another device, was not seen by the
	// writer: whichever loses the merge is kept as a conflict for review. Absent: nothing is known
	// (re-sent state), nothing is flagged.
	Base map[string]string `json:"base,omitempty"`
	// WriterName is the name of the person whose device wrote the change, on pull: the device
	// says whose value replaced its own.
	WriterName string `json:"writer_name,omitempty"`
}

// BaseRecord is the Base key of a record's version (its greatest hlc) as the writer saw it.
const BaseRecord = "*"

// OutboxHealth is what a device says of its own queue, so headquarters sees stuck devices.
type OutboxHealth struct {
	Pending int    `json:"pending"`
	Oldest  string `json:"oldest,omitempty"` // RFC 3339 time of the oldest pending change
}

// PushRequest is the body of POST /push.
type PushRequest struct {
	Protocol   int          `json:"protocol"`
	DeviceID   string       `json:"device_id"`
	DeviceTime string       `json:"device_time"`
	Outbox     OutboxHealth `json:"outbox"`
	Changes    []Change     `json:"changes"`
}

// Rejection says why one change was refused. Problems lists every field problem when Code is
// RejectInvalid.
type Rejection struct {
	ID       string    `json:"id"`
	Code     string    `json:"code"`
	Message  string    `json:"message"`
	Problems []Problem `json:"problems,omitempty"`
}

// Problem mirrors record.Problem on the wire.
type Problem struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Warning is advice about one change (or the whole push, with an empty id) that rejected nothing.
type Warning struct {
	ID      string `json:"id,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// PushResponse is the answer to POST /push: every change id is in exactly one of the three lists.
type PushResponse struct {
	Accepted    []string    `json:"accepted"`
	Duplicates  []string    `json:"duplicates"`
	Rejected    []Rejection `json:"rejected"`
	Warnings    []Warning   `json:"warnings"`
	ServerHLC   string      `json:"server_hlc"`
	ServerEpoch string      `json:"server_epoch"`
}

// PullResponse is the answer to GET /pull.
type PullResponse struct {
	Changes     []Change   `json:"changes"`
	Cursor      string     `json:"cursor"`
	More        bool       `json:"more"`
	ServerEpoch string     `json:"server_epoch"`
	ServerHLC   string     `json:"server_hlc"`
	Reference   *Reference `json:"reference,omitempty"`
	// SurveyVersion is the newest version of the server's survey catalogue, on every page: a
	// device holding an older one asks for the catalogue with survey=N on its next pull.
	SurveyVersion int `json:"survey_version,omitempty"`
	// Dense carries the page's changes by columns (DensePush's columns, its push fields empty)
	// instead of Changes, to a client that asked with dense=1. Decoding a PullResponse turns it
	// back into Changes; servers that predate it ignore dense=1 and send Changes.
	Dense *DensePush `json:"dense,omitempty"`
}

// Reference is the data a device needs to fill its forms: sent on the first page of a pull
// (since empty or 0) and whenever the device asks with ref=1.
type Reference struct {
	Units   []unit.Unit `json:"units"`
	Targets []Target    `json:"targets"`
	// Survey is the survey catalogue, every version (shared/survey): with units and targets,
	// and alone (no units nor targets) on a pull with survey=N when the server has a version
	// above N. Clients that predate it ignore it.
	Survey *survey.Catalogue `json:"survey,omitempty"`
}

// Target is one indicator's official figures for one year, as headquarters entered them.
type Target = indicator.Target

// EnrollRequest is the body of POST /enroll.
type EnrollRequest struct {
	Code       string `json:"code"`
	DeviceName string `json:"device_name"`
	Platform   string `json:"platform"`
}

// Inspector is the person a device belongs to.
type Inspector struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	UnitCode string `json:"unit_code"`
	Role     string `json:"role"`
}

// EnrollResponse is the answer to POST /enroll.
type EnrollResponse struct {
	DeviceID    string    `json:"device_id"`
	Token       string    `json:"token"`
	Inspector   Inspector `json:"inspector"`
	ServerHLC   string    `json:"server_hlc"`
	ServerEpoch string    `json:"server_epoch"`
}

// Roles.
const (
	RoleInspector = "inspector"
	RoleOfficer   = "officer"
	RoleViewer    = "viewer"
	RoleAdmin     = "admin"
)

// Per-change rejection codes. Append only: they are on the wire.
const (
	RejectInvalid        = "invalid"          // field problems, listed in Problems
	RejectUnknownEntity  = "unknown_entity"   // an entity this server does not know
	RejectInvalidOp      = "invalid_op"       // op is neither upsert nor delete
	RejectInvalidID      = "invalid_id"       // change or record id missing or malformed
	RejectInvalidHLC     = "invalid_hlc"      // hlc is not 16 lower-case hex digits
	RejectOutOfScope     = "out_of_scope"     // the unit is outside the inspector's soum, district or aimag
	RejectOwnedElsewhere = "owned_elsewhere"  // the record belongs to a unit outside the caller's scope
	RejectEntityMismatch = "entity_mismatch"  // the record id exists as another entity
	RejectNotFound       = "record_not_found" // a delete of a record the server never received (a partial upsert of one is invalid: required)
	RejectForbidden      = "forbidden"        // the caller's role may not push
	RejectClockAhead     = "clock_ahead"      // the hlc is more than MaxAhead ahead of the server's clock: re-stamp and send again
	RejectMovedAway      = "moved_away"       // the record was moved to a unit outside the caller's scope after this edit was planned
)

// Warning codes.
const (
	WarnUnknownField = "unknown_field"
	WarnClockSkew    = "clock_skew"
	WarnFutureHLC    = "future_hlc"
)

// Whole-request error codes, in {"error": {"code", "message"}}.
const (
	ErrMalformed    = "malformed"            // 400
	ErrUnauthorized = "unauthorized"         // 401
	ErrTooLarge     = "too_large"            // 413
	ErrEncoding     = "unsupported_encoding" // 415
	ErrProtocol     = "unsupported_protocol" // 426
	ErrRateLimited  = "rate_limited"         // 429
	ErrUnavailable  = "unavailable"          // 503
	ErrNotFound     = "not_found"            // 404
	ErrForbidden    = "forbidden"            // 403
	ErrCodeUsed     = "code_used"            // 401 on enroll: the code was already used
	ErrCodeExpired  = "code_expired"         // 401 on enroll
	ErrCodeUnknown  = "code_unknown"         // 401 on enroll
	ErrInternal     = "internal"             // 500
	ErrCursorAhead  = "cursor_ahead"         // 409 on pull: the store was restored from an older copy
	// ErrDeviceUnknown is 401 for a token no device of this server has (not a revoked one): the
	// server was restored from a backup older than the enrollment. Enroll again; send everything.
	ErrDeviceUnknown = "device_unknown"
)

// ErrorBody is the JSON of every whole-request failure.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names the failure.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}
