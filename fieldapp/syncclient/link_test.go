package syncclient

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"talbar/syncproto"
)

// TestLinkSizing follows the sizes a link goes through: the first guess, a request that failed
// midway (the next gets half of what moved), the bound relaxed by successes, and the rate.
func TestLinkSizing(t *testing.T) {
	var l link
	if b := l.budget(20 * time.Second); b != firstBudget {
		t.Fatalf("first budget %d, want %d", b, firstBudget)
	}
	l.failed(64<<10, 9000, 3*time.Second, false)
	if b := l.budget(20 * time.Second); b != 4500 {
		t.Fatalf("after a cut at 9000 bytes: budget %d, want 4500", b)
	}
	if l.rate != 3000 {
		t.Errorf("rate from the failed request %.0f, want 3000", l.rate)
	}
	l.failed(4500, 0, time.Second, false) // nothing moved: half the request
	if b := l.budget(20 * time.Second); b != 2250 {
		t.Fatalf("budget %d, want 2250", b)
	}
	l.failed(100, 0, time.Second, false)
	if b := l.budget(20 * time.Second); b != minBudget {
		t.Fatalf("budget %d, want the floor %d", b, minBudget)
	}
	for i := 0; i < 20; i++ {
		l.succeeded(10_000, time.Second, true) // 10 kB/s
	}
	if l.cap != 0 {
		t.Errorf("bound %d still set after 20 successes", l.cap)
	}
	if b := l.budget(20 * time.Second); b < 190_000 || b > 210_000 {
		t.Errorf("budget %d at 10 kB/s, want about 200 kB", b)
	}
	if n := changesFor(1000, 0, 500); n != 1000/firstBytesPerChange {
		t.Errorf("changesFor unknown size: %d", n)
	}
	if n := changesFor(10, 100, 500); n != 1 {
		t.Errorf("changesFor never below one: %d", n)
	}
	if n := changesFor(1<<30, 100, 500); n != 500 {
		t.Errorf("changesFor capped at most: %d", n)
	}
}

// TestLinkCutEveryFewSeconds: on a link cut every 5 s, a request cut a moment after it began
// (600 bytes moved) does not shrink the next below half of what the link carries between two
// cuts; a freeze (stalled) does.
func TestLinkCutEveryFewSeconds(t *testing.T) {
	l := link{rate: 3000, sampled: true, lastFailed: time.Now().Add(-5 * time.Second)}
	l.failed(20_000, 600, 500*time.Millisecond, false)
	if b := l.budget(20 * time.Second); b < 3500 || b > 3800 {
		t.Errorf("budget %d after an early cut, want ~3,750 (a quarter of 5 s at 3,000 B/s)", b)
	}
	l.failed(3000, 600, 500*time.Millisecond, false) // at once again: half of what moved
	if b := l.budget(20 * time.Second); b != minBudget {
		t.Errorf("budget %d after a second cut at once, want %d", b, minBudget)
	}
	l = link{rate: 3000, sampled: true, lastFailed: time.Now().Add(-5 * time.Second)}
	l.failed(3000, 600, 500*time.Millisecond, false) // fits a quarter of 5 s: kept whole
	if b := l.budget(20 * time.Second); b != 3000 {
		t.Errorf("budget %d after a cut of a request that fits, want 3,000", b)
	}
	l = link{rate: 3000, sampled: true, lastFailed: time.Now().Add(-5 * time.Second)}
	l.failed(20_000, 600, 30*time.Second, true)
	if b := l.budget(20 * time.Second); b != minBudget {
		t.Errorf("budget %d after a stall, want %d", b, minBudget)
	}
}

// TestFitPushCutsToBudget: a batch of long notes is cut to about the budget, never below one.
func TestFitPushCutsToBudget(t *testing.T) {
	var req syncproto.PushRequest
	for i := 0; i < 100; i++ {
		req.Changes = append(req.Changes, syncproto.Change{ID: pseudo(i)[:32], Entity: "event", Op: syncproto.OpUpsert,
			Fields: map[string]json.RawMessage{"notes": json.RawMessage(`"` + pseudo(i+1000) + `"`)}})
	}
	body, err := fitPush(&req, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > 2500 || len(req.Changes) == 0 || len(req.Changes) == 100 {
		t.Errorf("body %d B with %d changes, want within 2500 B and cut", len(body), len(req.Changes))
	}
	one := syncproto.PushRequest{Changes: req.Changes[:1]}
	if _, err := fitPush(&one, 1); err != nil || len(one.Changes) != 1 {
		t.Errorf("one change over budget: %d changes, %v", len(one.Changes), err)
	}
}

// pseudo is 300 letters that do not compress away.
func pseudo(seed int) string {
	var b strings.Builder
	x := uint32(seed*2654435761 + 1)
	for i := 0; i < 300; i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b.WriteByte(byte('a' + x%26))
	}
	return b.String()
}

// TestProgressEstimatesTimeLeft: at 1,000 B/s and 100 B per change, 50 changes left take 5 s.
func TestProgressEstimatesTimeLeft(t *testing.T) {
	var got Progress
	c := &Client{Progress: func(p Progress) { got = p }}
	c.progress(Progress{Phase: PhasePush, Pushed: 10, ToPush: 60})
	if got.Left != 0 || got.BytesPerSecond != 0 {
		t.Errorf("before any measure: %+v", got)
	}
	c.link.succeeded(10_000, 10*time.Second, true)
	c.link.notePush(1000, 10)
	c.progress(Progress{Phase: PhasePush, Pushed: 10, ToPush: 60})
	if got.BytesPerSecond != 1000 || got.Left != 5*time.Second {
		t.Errorf("progress %+v, want 1000 B/s and 5s left", got)
	}
}

// TestEstimateLeftOnlyWhilePushing: the time left is the rest of the push at the measured rate;
// a pull does not know how much the server still holds (a page says only "more"), so its
// progress carries the rate and no time left rather than a wrong one.
func TestEstimateLeftOnlyWhilePushing(t *testing.T) {
	l := link{rate: 4000, pushPer: 400, pullPer: 150}
	p := l.estimate(Progress{Phase: PhasePush, Pushed: 10, ToPush: 110})
	if p.Left != 10*time.Second || p.BytesPerSecond != 4000 {
		t.Errorf("push: left %v at %.0f B/s, want 10 s at 4000", p.Left, p.BytesPerSecond)
	}
	p = l.estimate(Progress{Phase: PhasePull, Pushed: 110, ToPush: 110, Pulled: 300})
	if p.Left != 0 || p.BytesPerSecond != 4000 {
		t.Errorf("pull: left %v at %.0f B/s, want no time left, the rate 4000", p.Left, p.BytesPerSecond)
	}
}

// TestLinkCutBeforeAnySuccessHalves: before any request finished, the rate read off a cut
// request overstates the link (the bytes went into the sockets' buffers), so no floor applies
// and every cut halves: the requests come down to one that fits between two cuts. Before, the
// floor from that rate (13 KB/s on a 4 KB/s link) kept them at 17 KB, cut every time, for ever.
// With a measured rate, several cuts in a row also end the floor.
func TestLinkCutBeforeAnySuccessHalves(t *testing.T) {
	var l link
	size := 64 << 10
	for i := 0; i < 8; i++ {
		l.lastFailed = time.Now().Add(-5 * time.Second)
		l.failed(size, int64(size), 5*time.Second, false) // all of it went into the buffers
		next := l.budget(20 * time.Second)
		if next > size/2 && size > minBudget {
			t.Fatalf("cut %d: request of %d B followed by one of %d B, want at most half", i+1, size, next)
		}
		size = next
	}
	if size > 4<<10 {
		t.Errorf("after 8 cuts before any success the request is still %d B", size)
	}
	l = link{rate: 3000, sampled: true}
	size = 20_000
	for i := 0; i < maxFloorStreak+2; i++ {
		l.lastFailed = time.Now().Add(-5 * time.Second)
		l.failed(size, 600, 500*time.Millisecond, false)
		size = l.budget(20 * time.Second)
	}
	if size > 3000 {
		t.Errorf("after %d cuts in a row the request is still %d B", maxFloorStreak+2, size)
	}
}

// TestLinkCutPageLargerThanEstimated: a pull page estimated at 64 KB that moved 80 KB before a
// cut is larger than thought: it is halved, whatever the link carries between cuts (before,
// such pages were asked again at a size that never fit, and nothing was pulled).
func TestLinkCutPageLargerThanEstimated(t *testing.T) {
	l := link{rate: 16 << 10, sampled: true, lastFailed: time.Now().Add(-5 * time.Second)}
	l.failed(64<<10, 80<<10, 5*time.Second, false)
	if b := l.budget(20 * time.Second); b != 32<<10 {
		t.Errorf("budget %d, want half the page, %d", b, 32<<10)
	}
}
