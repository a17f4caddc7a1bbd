package syncclient

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoffGrowsWithJitterAndHonoursRetryAfter(t *testing.T) {
	c := &Client{BaseDelay: time.Second, MaxDelay: 8 * time.Second, Jitter: func() float64 { return 0.5 }}
	for _, tc := range []struct {
		attempt int
		after   time.Duration
		want    time.Duration
	}{
		{1, 0, 750 * time.Millisecond},
		{2, 0, 1500 * time.Millisecond},
		{3, 0, 3 * time.Second},
		{9, 0, 6 * time.Second}, // capped at MaxDelay, then jittered
		{1, 7 * time.Second, 7 * time.Second},
	} {
		if got := c.backoff(tc.attempt, tc.after); got != tc.want {
			t.Errorf("backoff(%d, %v)=%v, want %v", tc.attempt, tc.after, got, tc.want)
		}
	}
}

func TestRetryAfterSecondsOrDate(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	if got := retryAfter("7", now); got != 7*time.Second {
		t.Errorf("seconds: %v", got)
	}
	if got := retryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now); got != 90*time.Second {
		t.Errorf("date: %v", got)
	}
	if got := retryAfter("soon", now); got != 0 {
		t.Errorf("garbage: %v", got)
	}
}

func TestBehind(t *testing.T) {
	if !behind("5", "12") || behind("12", "5") || behind("", "5") || behind("x", "5") {
		t.Fatal("behind")
	}
}

func TestSameServer(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/", true},
		{"HTTPS://Talbar.MN", "https://talbar.mn", true},
		{"https://talbar.mn", "https://backup.talbar.mn", false},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8081", false},
	} {
		if got := sameServer(tc.a, tc.b); got != tc.want {
			t.Errorf("sameServer(%q, %q)=%v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
