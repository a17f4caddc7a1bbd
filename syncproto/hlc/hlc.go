// Package hlc is the hybrid logical clock of PROTOCOL.md (Kulkarni et al., 2014): 48 bits of Unix
// milliseconds and a 16-bit counter, written as 16 lower-case hex digits so string order is time
// order. A clock never runs backwards, even when the wall clock does.
package hlc

import (
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Timestamp is ms<<16 | counter.
type Timestamp uint64

// Zero is the timestamp before every other.
const Zero Timestamp = 0

// New builds a timestamp from milliseconds and a counter.
func New(ms int64, counter uint16) Timestamp { return Timestamp(uint64(ms)<<16 | uint64(counter)) }

// Millis is the physical part.
func (t Timestamp) Millis() int64 { return int64(t >> 16) }

// Counter is the logical part.
func (t Timestamp) Counter() uint16 { return uint16(t) }

// Time is the physical part as a time.
func (t Timestamp) Time() time.Time { return time.UnixMilli(t.Millis()).UTC() }

// String is the 16-hex wire form.
func (t Timestamp) String() string { return fmt.Sprintf("%012x%04x", t.Millis(), t.Counter()) }

// Parse reads the wire form, refusing anything but exactly 16 lower-case hex digits.
func Parse(s string) (Timestamp, error) {
	if len(s) != 16 {
		return 0, fmt.Errorf("hlc %q: want 16 hex digits", s)
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return 0, fmt.Errorf("hlc %q: want lower-case hex digits", s)
		}
	}
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("hlc %q: %w", s, err)
	}
	return Timestamp(v), nil
}

// Clock issues timestamps. The zero value is ready to use with the system clock. It is safe for
// concurrent use.
type Clock struct {
	// Now is the wall clock; tests and the field app's persisted clock set it.
	Now func() time.Time

	mu   sync.Mutex
	last Timestamp
}

// NewClock returns a clock that continues after last (its persisted high-water mark).
func NewClock(last Timestamp) *Clock { return &Clock{last: last} }

func (c *Clock) wall() int64 {
	if c.Now != nil {
		return c.Now().UnixMilli()
	}
	return time.Now().UnixMilli()
}

// Next returns a timestamp greater than every one this clock issued or observed.
func (c *Clock) Next() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.wall()
	if w > c.last.Millis() {
		c.last = New(w, 0)
	} else {
		c.last++ // same or earlier millisecond: bump the counter (carries into ms on overflow)
	}
	return c.last
}

// Observe moves the clock past a remote timestamp, so the next local one orders after it.
func (c *Clock) Observe(remote Timestamp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if remote > c.last {
		c.last = remote
	}
}

// Last is the clock's high-water mark, the value to persist.
func (c *Clock) Last() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}
