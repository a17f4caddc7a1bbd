package localstore

// Error is a failure the screens can explain: Code is stable and Key is the translation key of its
// message in assets/i18n/fieldapp.*.json. Low-level causes (SQLite, I/O) are wrapped plain errors.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return "local store: " + e.Message }

// Key is the translation key of the error's message.
func (e *Error) Key() string { return "fieldapp.store." + e.Code }

// Is matches any *Error with the same code, so errors.Is(err, ErrNotFound) works on copies.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Error codes, append only: they are translation keys.
var (
	ErrNotFound       = &Error{"not_found", "record not found"}
	ErrNotEnrolled    = &Error{"not_enrolled", "this device is not enrolled"}
	ErrEntityMismatch = &Error{"entity_mismatch", "the record is of another kind"}
	ErrInvalidID      = &Error{"invalid_id", "the record id is not a UUID"}
	ErrNotRejected    = &Error{"not_rejected", "only a rejected change can be discarded"}
	ErrUnknownEntity  = &Error{"unknown_entity", "unknown kind of record"}
	ErrOutsideScope   = &Error{"outside_scope", "the record was moved to a unit outside this device's scope"}
	// ErrNotApplied: a save whose every field holds a value that orders after the edit (a newer
	// hlc the clock could not move past); nothing is written.
	ErrNotApplied = &Error{"not_applied", "the record holds newer values than this edit; nothing was saved"}
	// ErrResentState: Discard of state re-sent to a server that lost data (see DB.Discard).
	ErrResentState = &Error{"resent_state", "re-sent state the server never received cannot be discarded; fix the record"}
)
