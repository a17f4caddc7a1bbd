package hlc_test

import (
	"testing"
	"time"

	"talbar/syncproto/hlc"
)

func TestClockNeverGoesBack(t *testing.T) {
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	c := &hlc.Clock{Now: func() time.Time { return now }}
	a := c.Next()
	b := c.Next()
	if b <= a || b.Counter() != 1 {
		t.Fatalf("a=%s b=%s", a, b)
	}
	now = now.Add(-48 * time.Hour) // flat battery, wrong date
	d := c.Next()
	if d <= b {
		t.Fatalf("clock went back: %s after %s", d, b)
	}
	c.Observe(hlc.New(now.Add(72*time.Hour).UnixMilli(), 7))
	if e := c.Next(); e.Millis() != now.Add(72*time.Hour).UnixMilli() || e.Counter() != 8 {
		t.Fatalf("after observe: %s", e)
	}
}

func TestStringOrderIsTimeOrder(t *testing.T) {
	a, b := hlc.New(1000, 65535), hlc.New(1001, 0)
	if !(a.String() < b.String()) {
		t.Fatalf("%s !< %s", a, b)
	}
	if got := hlc.New(0x0193a4b2c1d0, 1).String(); got != "0193a4b2c1d00001" {
		t.Fatalf("String=%s", got)
	}
}

func FuzzParseRoundTrip(f *testing.F) {
	f.Add("0193a4b2c1d00001")
	f.Add("ffffffffffffffff")
	f.Add("0193A4B2C1D00001")
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := hlc.Parse(s)
		if err != nil {
			return
		}
		if ts.String() != s {
			t.Fatalf("round trip %q -> %q", s, ts.String())
		}
	})
}

// The largest timestamp is refused on the wire and never observed, and a clock at the top of
// its range stays there instead of wrapping to zero (security review D9).
func TestMaxRefusedAndNeverWraps(t *testing.T) {
	if _, err := hlc.Parse("ffffffffffffffff"); err == nil {
		t.Fatal("Parse accepted the largest hlc")
	}
	if _, err := hlc.Parse("fffffffffffffffe"); err != nil {
		t.Fatalf("Parse refused the one below: %v", err)
	}
	c := hlc.NewClock(0)
	if c.Observe(hlc.Max) || c.Last() != 0 {
		t.Fatalf("observed Max: last=%s", c.Last())
	}
	top := hlc.NewClock(hlc.Max - 1)
	for i := 0; i < 3; i++ {
		if n := top.Next(); n < hlc.Max-1 {
			t.Fatalf("next after %s wrapped to %s", hlc.Max-1, n)
		}
	}
	// A timestamp beyond the drift bound is ignored; one inside it is taken.
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	b := &hlc.Clock{Now: func() time.Time { return now }, MaxAhead: 5 * time.Minute}
	if b.Observe(hlc.New(now.AddDate(10, 0, 0).UnixMilli(), 0)) || b.Last() != 0 {
		t.Fatalf("observed a timestamp 10 years ahead: %s", b.Last())
	}
	near := hlc.New(now.Add(4*time.Minute).UnixMilli(), 3)
	if !b.Observe(near) || b.Next() <= near {
		t.Fatalf("a timestamp 4 minutes ahead was not observed: %s", b.Last())
	}
	b.Clamp(hlc.New(now.UnixMilli(), 0))
	if b.Last() != hlc.New(now.UnixMilli(), 0) {
		t.Fatalf("clamp: %s", b.Last())
	}
}
