package numfmt

import "testing"

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Int("mn", 1234567), "1\u00a0234\u00a0567"},
		{Int("en", 1234567), "1,234,567"},
		{Int("mn", -1000), "-1\u00a0000"},
		{Int("en", 999), "999"},
		{Int("xx", 1000), "1\u00a0000"},
		{Float("mn", 47.9), "47,9"},
		{Float("en", 47.9), "47.9"},
		{Float("en", 106), "106"},
		{Float("mn", 12345.25), "12\u00a0345,25"},
		{Fixed("mn", 19.75, 1), "19,8"},
		{Decimal("en", "-1234.50"), "-1,234.50"},
		{Decimal("mn", "abc"), "abc"},
		{Decimal("mn", "1.2.3"), "1.2.3"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
