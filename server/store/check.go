package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strings"

	"talbar/shared/indicator"
	"talbar/shared/unit"
	"talbar/syncproto"
)

// The rules below are the same for every backend; each backend calls them before writing, so a
// second backend cannot drift from the first.

// CheckInspector validates a new inspector or officer and returns the trimmed name.
func CheckInspector(units *unit.Tree, name, code, role string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", fmt.Errorf("%w: name is empty", ErrInvalid)
	}
	u, ok := units.Get(unit.Code(code))
	switch {
	case !ok:
		return "", fmt.Errorf("%w: unit %q is not known", ErrInvalid, code)
	case role == syncproto.RoleInspector && !u.Leaf():
		return "", fmt.Errorf("%w: an inspector's unit must be a soum or district, %s is a %s", ErrInvalid, code, u.Level)
	case role == syncproto.RoleOfficer && u.Level != unit.LevelAimag && u.Level != unit.LevelCapital:
		return "", fmt.Errorf("%w: an officer's unit must be an aimag or the capital, %s is a %s", ErrInvalid, code, u.Level)
	case role != syncproto.RoleInspector && role != syncproto.RoleOfficer:
		return "", fmt.Errorf("%w: role %q is neither inspector nor officer", ErrInvalid, role)
	}
	return name, nil
}

// CheckUser validates a new dashboard user and returns the trimmed name and the unit it sees.
func CheckUser(units *unit.Tree, name, role, code, passwordHash string) (string, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", "", fmt.Errorf("%w: name must be 1 to 100 characters", ErrInvalid)
	}
	if passwordHash == "" {
		return "", "", fmt.Errorf("%w: no password", ErrInvalid)
	}
	switch role {
	case WebAdmin, WebViewer:
		code = string(unit.Nation)
	case WebOfficer:
		u, ok := units.Get(unit.Code(code))
		if !ok || (u.Level != unit.LevelAimag && u.Level != unit.LevelCapital) {
			return "", "", fmt.Errorf("%w: an officer's unit must be an aimag or the capital, not %q", ErrInvalid, code)
		}
	default:
		return "", "", fmt.Errorf("%w: role %q is not admin, viewer or officer", ErrInvalid, role)
	}
	return name, code, nil
}

// CheckTarget refuses an unknown indicator, a year out of range and a figure that is negative or
// not finite (which would break every JSON answer carrying targets).
func CheckTarget(t Target) error {
	if _, ok := indicator.ByID(t.Indicator); !ok {
		return fmt.Errorf("%w: indicator %q", ErrInvalid, t.Indicator)
	}
	if t.Year < 1990 || t.Year > 2100 {
		return fmt.Errorf("%w: year %d", ErrInvalid, t.Year)
	}
	for _, v := range []*float64{t.Target, t.Actual} {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0) {
			return fmt.Errorf("%w: %v is not a figure", ErrInvalid, *v)
		}
	}
	return nil
}

// CheckBaseline is CheckTarget for a baseline.
func CheckBaseline(b Baseline) error {
	if _, ok := indicator.ByID(b.Indicator); !ok {
		return fmt.Errorf("%w: indicator %q", ErrInvalid, b.Indicator)
	}
	if b.Year < 1990 || b.Year > 2100 || math.IsNaN(b.Value) || math.IsInf(b.Value, 0) || b.Value < 0 {
		return fmt.Errorf("%w: baseline %v of %d", ErrInvalid, b.Value, b.Year)
	}
	return nil
}

// codeAlphabet is Crockford's base32 without I, L, O, U: easy to read aloud over a bad phone line.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewEnrollCode returns a one-time code of 60 random bits, written XXXX-XXXX-XXXX.
func NewEnrollCode() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	raw := make([]byte, 12)
	for i := range b {
		raw[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(raw[0:4]) + "-" + string(raw[4:8]) + "-" + string(raw[8:12])
}

// NormalizeCode upper-cases a typed code and drops spaces and dashes.
func NormalizeCode(c string) string {
	c = strings.ToUpper(c)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, c)
}

// Hash is how secrets (tokens, codes) are stored: a copy of the database signs no one in.
func Hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// RandomHex returns n random bytes in hex.
func RandomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// Trim cuts s to at most n characters.
func Trim(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
