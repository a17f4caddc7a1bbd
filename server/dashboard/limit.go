package dashboard

import (
	"sync"
	"time"
)

// LoginLimit bounds password guessing at the sign-in form. Failures are counted per key (the
// client's address and, separately, the typed user name) within Window; once a key reaches its
// limit, further sign-ins for it are refused without checking the password for BaseDelay. While
// the key is on probation (locked out within the last Window), every further failure locks it
// again for twice as long, up to MaxDelay; a Window with no failure after a lockout ends clears it.
type LoginLimit struct {
	// NameFailures is how many failures for one user name lock it (default 5).
	NameFailures int
	// IPFailures is how many failures from one address lock it (default 20: an aimag office
	// signs in from behind one address, so it is looser than the per-name limit).
	IPFailures int
	// Window is how far back failures count (default 15 minutes).
	Window time.Duration
	// BaseDelay is the first lockout (default 1 minute); MaxDelay the longest (default 1 hour).
	BaseDelay, MaxDelay time.Duration
}

func (l LoginLimit) withDefaults() LoginLimit {
	if l.NameFailures <= 0 {
		l.NameFailures = 5
	}
	if l.IPFailures <= 0 {
		l.IPFailures = 20
	}
	if l.Window <= 0 {
		l.Window = 15 * time.Minute
	}
	if l.BaseDelay <= 0 {
		l.BaseDelay = time.Minute
	}
	if l.MaxDelay < l.BaseDelay {
		l.MaxDelay = max(time.Hour, l.BaseDelay)
	}
	return l
}

// maxLimiterKeys bounds the limiter's memory against a flood of made-up names and addresses.
const maxLimiterKeys = 100_000

// limiter counts sign-in failures in memory. A restart forgets them, which costs an attacker a
// restart of the server: acceptable for a form that also costs a bcrypt comparison per try.
type limiter struct {
	mu   sync.Mutex
	keys map[string]*strikes
}

type strikes struct {
	fails  []time.Time // failures within the window, oldest first
	until  time.Time   // refused until then
	level  int         // lockouts in a row; the next lasts BaseDelay << level
	locked bool        // locked out at least once and not yet cleared
}

func newLimiter() *limiter { return &limiter{keys: map[string]*strikes{}} }

// wait reports how long key is still refused, 0 if it may try.
func (l *limiter) wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.keys[key]; ok && now.Before(s.until) {
		return s.until.Sub(now)
	}
	return 0
}

// fail counts a failure for key, whose limit is n, and reports the lockout it starts (0 for none).
func (l *limiter) fail(key string, n int, lim LoginLimit, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.keys[key]
	if !ok {
		if len(l.keys) >= maxLimiterKeys {
			l.sweep(lim, now)
		}
		s = &strikes{}
		l.keys[key] = s
	}
	if s.locked && now.Sub(s.until) > lim.Window {
		s.locked, s.level = false, 0
	}
	cut := 0
	for cut < len(s.fails) && now.Sub(s.fails[cut]) >= lim.Window {
		cut++
	}
	s.fails = append(s.fails[cut:], now)
	if len(s.fails) < n && !s.locked {
		return 0
	}
	d := lim.MaxDelay
	if s.level < 30 {
		d = min(lim.BaseDelay<<s.level, lim.MaxDelay)
	}
	s.until, s.locked = now.Add(d), true
	s.level++
	return d
}

// forget clears key after a successful sign-in.
func (l *limiter) forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// sweep drops keys with nothing left to remember; if the map is still full, it drops keys that
// are not locked out now, then any, so memory stays bounded. Called with mu held.
func (l *limiter) sweep(lim LoginLimit, now time.Time) {
	for k, s := range l.keys {
		last := s.until
		if n := len(s.fails); n > 0 && s.fails[n-1].After(last) {
			last = s.fails[n-1]
		}
		if now.Sub(last) > lim.Window {
			delete(l.keys, k)
		}
	}
	for k, s := range l.keys {
		if len(l.keys) < maxLimiterKeys*9/10 {
			return
		}
		if !now.Before(s.until) {
			delete(l.keys, k)
		}
	}
	for k := range l.keys {
		if len(l.keys) < maxLimiterKeys*9/10 {
			return
		}
		delete(l.keys, k)
	}
}
