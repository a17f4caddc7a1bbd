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

// Max is the largest timestamp. Parse refuses it and a clock never observes it: a clock that held
// it could issue nothing later, and one more tick would wrap to Zero.
const Max Timestamp = 1<<64 - 1

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
	if Timestamp(v) == Max {
		return 0, fmt.Errorf("hlc %q: the largest value is refused", s)
	}
	return Timestamp(v), nil
}

// Clock issues timestamps. The zero value is ready to use with the system clock. It is safe for
// concurrent use.
type Clock struct {
	// Now is the wall clock; tests and the field app's persisted clock set it.
	Now func() time.Time
	// MaxAhead, when positive, bounds how far ahead of Now an observed timestamp may be: Observe
	// ignores one further ahead (Kulkarni et al.'s drift bound), so one device with a clock years
	// ahead cannot drag every clock that hears of it into its future.
	MaxAhead time.Duration

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
	} else if c.last < Max-1 {
		c.last++ // same or earlier millisecond: bump the counter (carries into ms on overflow)
	}
	// At Max-1 the clock stays where it is rather than wrap to Zero (Observe never lets it get
	// there from a remote value; only a persisted high-water mark that close could).
	return c.last
}

// Observe moves the clock past a remote timestamp, so the next local one orders after it. It
// reports false, and changes nothing, for Max or for a timestamp more than MaxAhead ahead of Now.
func (c *Clock) Observe(remote Timestamp) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if remote >= Max-1 {
		return false
	}
	if c.MaxAhead > 0 && remote > New(c.wall()+c.MaxAhead.Milliseconds(), 0xffff) {
		return false
	}
	if remote > c.last {
		c.last = remote
	}
	return true
}

// Clamp lowers the high-water mark to limit when it lies beyond it. It undoes a lead taken from a
// wrong wall clock (or an unbounded Observe) before the device re-stamps changes the server
// refused as too far ahead; nothing stamped beyond limit was accepted anywhere.
func (c *Clock) Clamp(limit Timestamp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last > limit {
		c.last = limit
	}
}

// Last is the clock's high-water mark, the value to persist.
func (c *Clock) Last() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}
