package syncclient

import (
	"errors"
	"fmt"
)

// Error is a sync failure the screens can explain: Code is stable, Key is the translation key of
// its message in assets/i18n/fieldapp.*.json, Status the HTTP status when there was one, Message
// the server's own words and Err the low-level cause, for logs.
type Error struct {
	Code       string
	Status     int
	ServerCode string // error.code of the server's answer (syncproto.Err*), if any
	Message    string
	Err        error
}

func (e *Error) Error() string {
	s := "sync: " + e.Code
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Key is the translation key of the error's message.
func (e *Error) Key() string { return "fieldapp.sync." + e.Code }

// Is matches any *Error with the same code, so errors.Is(err, ErrRevoked) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Codes of sync errors, append only: each is a translation key "fieldapp.sync.<code>".
const (
	CodeInProgress     = "in_progress"     // another sync is running
	CodeNotEnrolled    = "not_enrolled"    // enroll first
	CodeRevoked        = "revoked"         // 401: the device was revoked; enroll again
	CodeDeviceUnknown  = "device_unknown"  // 401: the server lost this device's enrollment (restored); enroll again, nothing is lost
	CodeUpdateRequired = "update_required" // 426: the server needs a newer app
	CodeUnreachable    = "unreachable"     // no connection after every retry
	CodeBusy           = "busy"            // 429 after every retry
	CodeUnavailable    = "unavailable"     // 5xx after every retry
	CodeRefused        = "refused"         // another whole-request failure (400, 403, 415…)
	CodeBadAnswer      = "bad_answer"      // the server answered something this app cannot use
	CodeTooLarge       = "too_large"       // 413 (the client halves its batch; only a single change too large ends here)
	CodeCodeUnknown    = "code_unknown"    // enroll: no such code
	CodeCodeExpired    = "code_expired"    // enroll: the code expired
	CodeCodeUsed       = "code_used"       // enroll: the code was used already
	CodePendingChanges = "pending_changes" // enroll with another server refused: changes wait for the current one
	CodeEnrollUnsure   = "enroll_unsure"   // enroll: the connection failed after the code was sent; it may have been used
)

// Sentinels for errors.Is.
var (
	ErrSyncInProgress = &Error{Code: CodeInProgress}
	ErrNotEnrolled    = &Error{Code: CodeNotEnrolled}
	ErrRevoked        = &Error{Code: CodeRevoked}
	ErrUpdateRequired = &Error{Code: CodeUpdateRequired}
	ErrUnreachable    = &Error{Code: CodeUnreachable}
	ErrUnavailable    = &Error{Code: CodeUnavailable}
	ErrPendingChanges = &Error{Code: CodePendingChanges}
	ErrEnrollUnsure   = &Error{Code: CodeEnrollUnsure}
)

// Codes lists every code, for the translation completeness test.
var Codes = []string{CodeInProgress, CodeNotEnrolled, CodeRevoked, CodeDeviceUnknown, CodeUpdateRequired, CodeUnreachable,
	CodeBusy, CodeUnavailable, CodeRefused, CodeBadAnswer, CodeTooLarge, CodeCodeUnknown, CodeCodeExpired, CodeCodeUsed,
	CodePendingChanges, CodeEnrollUnsure}

// Retryable reports whether a later sync may succeed without the inspector doing anything.
func Retryable(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case CodeUnreachable, CodeBusy, CodeUnavailable, CodeInProgress, CodeBadAnswer:
		return true
	}
	return false
}
