package numfmt

import (
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Int("mn", 1234567), "1\u00a0234\u00a0567"},
		{Int("en", 1234567), "1,234,567"},
		{Int("mn", -1000), "-1\u00a0000"},
		{Int("en", 999), "999"},
		{Int("xx", 1000), "1\u00a0000"},
		{Float("mn", 47.9), "47.9"},
		{Float("en", 47.9), "47.9"},
		{Float("en", 106), "106"},
		{Float("mn", 12345.25), "12\u00a0345.25"},
		{Fixed("mn", 19.75, 1), "19.8"},
		{Fixed("mn", 639820.05, 1), "639\u00a0820.1"},
		{Decimal("en", "-1234.50"), "-1,234.50"},
		{Decimal("mn", "abc"), "abc"},
		{Decimal("mn", "1.2.3"), "1.2.3"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestDates: the Mongolian form of the order's own date (l.9), English day-month-year, and a
// stored ISO date rewritten; what is not a date passes through.
func TestDates(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 5, 0, 0, time.UTC)
	early := time.Date(2019, 1, 31, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct{ got, want string }{
		{Date("mn", at), "2026 оны 11 сарын 30"},
		{Date("mn", early), "2019 оны 01 сарын 31"},
		{Date("en", at), "30 Nov 2026"},
		{Date("xx", at), "2026 оны 11 сарын 30"},
		{DateTime("mn", at), "2026 оны 11 сарын 30, 09:05"},
		{DateTime("en", at), "30 Nov 2026, 09:05"},
		{ISODate("mn", "2025-03-04"), "2025 оны 03 сарын 04"},
		{ISODate("en", "2025-03-04"), "4 Mar 2025"},
		{ISODate("mn", "2025-13-04"), "2025-13-04"},
		{ISODate("mn", ""), ""},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
