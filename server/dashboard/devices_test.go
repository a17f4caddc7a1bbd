package dashboard

import (
	"testing"
	"time"
)

// TestFlashes: a flash is taken once, only by its own session, and not after flashTTL.
func TestFlashes(t *testing.T) {
	var fs flashes
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	fs.put("a", flash{MessageKey: "x"}, now)
	if f := fs.take("b", now); f.MessageKey != "" {
		t.Fatal("another session took the flash")
	}
	if f := fs.take("a", now.Add(time.Second)); f.MessageKey != "x" {
		t.Fatal("flash not taken")
	}
	if f := fs.take("a", now.Add(time.Second)); f.MessageKey != "" {
		t.Fatal("flash taken twice")
	}
	fs.put("a", flash{MessageKey: "y"}, now)
	if f := fs.take("a", now.Add(flashTTL+time.Second)); f.MessageKey != "" {
		t.Fatal("stale flash shown")
	}
}
