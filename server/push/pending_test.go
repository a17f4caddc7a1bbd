package push

import "testing"

// TestPendingAfter: the outbox a device reports before a push, less what the push delivered, is
// what it holds afterwards; a probe the device did not count never makes it negative.
func TestPendingAfter(t *testing.T) {
	for _, c := range []struct{ reported, delivered, want int }{{24, 24, 0}, {500, 200, 300}, {1, 3, 0}, {0, 0, 0}} {
		if got := pendingAfter(c.reported, c.delivered); got != c.want {
			t.Errorf("pendingAfter(%d, %d) = %d, want %d", c.reported, c.delivered, got, c.want)
		}
	}
}
