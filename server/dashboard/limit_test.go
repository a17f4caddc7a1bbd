package dashboard

import (
	"strconv"
	"testing"
	"time"
)

// TestLimiter: five failures within the window lock a key for a minute; each failure on
// probation doubles the lockout up to the cap; a clean window forgets it; other keys are free.
func TestLimiter(t *testing.T) {
	lim := LoginLimit{}.withDefaults()
	l := newLimiter()
	now := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= 4; i++ {
		if d := l.fail("name:x", lim.NameFailures, lim, now); d != 0 {
			t.Fatalf("failure %d locked for %v", i, d)
		}
		if l.wait("name:x", now) != 0 {
			t.Fatalf("refused after %d failures", i)
		}
		now = now.Add(time.Minute)
	}
	if d := l.fail("name:x", lim.NameFailures, lim, now); d != time.Minute {
		t.Fatalf("fifth failure locked for %v, want 1m", d)
	}
	if w := l.wait("name:x", now.Add(30*time.Second)); w != 30*time.Second {
		t.Fatalf("wait %v, want 30s", w)
	}
	if l.wait("name:y", now) != 0 || l.wait("ip:127.0.0.1", now) != 0 {
		t.Fatal("another key is refused")
	}
	for _, want := range []time.Duration{2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour} {
		now = now.Add(l.wait("name:x", now))
		if d := l.fail("name:x", lim.NameFailures, lim, now); d != want {
			t.Fatalf("lockout %v, want %v", d, want)
		}
	}
	// A window without failures after the lockout ends clears the key.
	now = now.Add(time.Hour + lim.Window + time.Second)
	if l.wait("name:x", now) != 0 {
		t.Fatal("still refused")
	}
	if d := l.fail("name:x", lim.NameFailures, lim, now); d != 0 {
		t.Fatalf("a failure after a clean window locked for %v", d)
	}
	// Failures spread wider than the window never lock.
	for i := 0; i < 20; i++ {
		now = now.Add(4 * time.Minute)
		if d := l.fail("name:slow", lim.NameFailures, lim, now); d != 0 {
			t.Fatalf("slow failure %d locked for %v", i, d)
		}
	}
	l.forget("name:x")
	if len(l.keys) != 1 {
		t.Fatalf("%d keys after forget", len(l.keys))
	}
}

// TestLimiterBounded: a flood of made-up names does not grow the map without bound.
func TestLimiterBounded(t *testing.T) {
	lim := LoginLimit{}.withDefaults()
	l := newLimiter()
	now := time.Now()
	for i := 0; i < maxLimiterKeys+10; i++ {
		l.fail("name:"+strconv.Itoa(i), lim.NameFailures, lim, now)
	}
	if len(l.keys) > maxLimiterKeys {
		t.Fatalf("%d keys", len(l.keys))
	}
}
