package api

import (
	"strings"
	"sync"
	"time"
)

// Failed enrollments are bounded per client address and per code prefix (the first four symbols
// a guesser would hold fixed), each counted over a fixed window. 60-bit codes make guessing
// hopeless anyway; the limit keeps the attempts slow and every failure is logged, so headquarters
// sees them. Behind a proxy that hides client addresses all devices share one address, so the
// per-address limit is generous enough for a morning of honest typos.
const (
	enrollWindow          = time.Minute
	enrollFailuresPerAddr = 20
	enrollFailuresPerCode = 10
	enrollMaxKeys         = 10_000 // beyond, stale windows are swept
)

type enrollLimit struct {
	mu    sync.Mutex
	fails map[string]*failWindow
}

type failWindow struct {
	start time.Time
	n     int
}

func addrKey(ip string) string { return "ip:" + ip }

func prefixKey(code string) string {
	c := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
	if len(c) > 4 {
		c = c[:4]
	}
	return "code:" + c
}

// blocked returns how long until the address or the code prefix may try again, 0 if now.
func (l *enrollLimit) blocked(ip, code string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for key, max := range map[string]int{addrKey(ip): enrollFailuresPerAddr, prefixKey(code): enrollFailuresPerCode} {
		w := l.fails[key]
		if w != nil && now.Sub(w.start) < enrollWindow && w.n >= max {
			wait = maxDuration(wait, w.start.Add(enrollWindow).Sub(now))
		}
	}
	return wait
}

// fail counts a failed enrollment and returns the address's failures in the current window.
func (l *enrollLimit) fail(ip, code string, now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fails == nil {
		l.fails = map[string]*failWindow{}
	}
	if len(l.fails) > enrollMaxKeys {
		for k, w := range l.fails {
			if now.Sub(w.start) >= enrollWindow {
				delete(l.fails, k)
			}
		}
	}
	n := 0
	for _, key := range []string{addrKey(ip), prefixKey(code)} {
		w := l.fails[key]
		if w == nil || now.Sub(w.start) >= enrollWindow {
			w = &failWindow{start: now}
			l.fails[key] = w
		}
		w.n++
		if key == addrKey(ip) {
			n = w.n
		}
	}
	return n
}

func maxDuration(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}
