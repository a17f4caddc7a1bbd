package localstore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"talbar/fieldapp/localstore"
)

// The offset estimate follows every change an answer proves, under a second too, and nothing an
// answer cannot tell: jitter inside a round trip and the far-off middle of a slow one.
func TestClockOffsetFollowsWhatAnswersProve(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f.db")
	wall := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	db := mustOpen(t, path, localstore.Options{Now: func() time.Time { return wall }})
	note := func(server, sent, received time.Time) time.Duration {
		t.Helper()
		if err := db.NoteServerTime(ctx, server, sent, received); err != nil {
			t.Fatal(err)
		}
		return db.ClockOffset()
	}
	ms := time.Millisecond

	// A 20 ms round trip to a server 300 ms ahead: the answer proves the offset is 290-311 ms.
	if got := note(wall.Add(300*ms), wall.Add(-10*ms), wall.Add(10*ms)); got != 300*ms {
		t.Fatalf("offset %s after a 20 ms answer from a server 300 ms ahead, want 300ms", got)
	}
	if got := db.Now(); !got.Equal(wall.Add(300 * ms)) {
		t.Fatalf("corrected clock %s, want %s", got, wall.Add(300*ms))
	}
	// Jitter: the next answer's middle says 305 ms, but 300 lies in what it proves (295-316).
	wall = wall.Add(time.Minute)
	if got := note(wall.Add(305*ms), wall.Add(-10*ms), wall.Add(10*ms)); got != 300*ms {
		t.Fatalf("offset %s after jitter inside the round trip, want 300ms kept", got)
	}
	// A minute-long push over 2G whose server read its clock 5 s after the middle: 5.3 s is no
	// measure, and 300 ms lies in what the answer proves.
	wall = wall.Add(time.Minute)
	if got := note(wall.Add(5300*ms), wall.Add(-30*time.Second), wall.Add(30*time.Second)); got != 300*ms {
		t.Fatalf("offset %s after a slow answer, want 300ms kept", got)
	}
	// The tablet's clock is set 700 ms fast: the next short answer proves the change.
	wall = wall.Add(time.Minute)
	if got := note(wall.Add(-400*ms), wall.Add(-5*ms), wall.Add(5*ms)); got != -400*ms {
		t.Fatalf("offset %s after the device clock gained 700 ms, want -400ms", got)
	}
	// A clock stepped back during the round trip (received before sent) still bounds it.
	if got := note(wall.Add(-400*ms), wall.Add(5*ms), wall.Add(-5*ms)); got != -400*ms {
		t.Fatalf("offset %s after a round trip with the clock stepped back, want -400ms", got)
	}
	db.Close()
	db = mustOpen(t, path, localstore.Options{Now: func() time.Time { return wall }})
	if got := db.ClockOffset(); got != -400*ms {
		t.Fatalf("offset %s after reopening, want -400ms", got)
	}
}
