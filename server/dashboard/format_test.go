package dashboard

import (
	"math"
	"strings"
	"testing"
	"time"

	"talbar/assets"
)

func TestFormatInt(t *testing.T) {
	for _, tc := range []struct {
		lang string
		n    int64
		want string
	}{
		{"mn", 0, "0"},
		{"mn", 999, "999"},
		{"mn", 639820, "639\u00a0820"},
		{"en", 639820, "639,820"},
		{"en", 1000000, "1,000,000"},
		{"en", -12345, "-12,345"},
		{"xx", 1000, "1\u00a0000"},
	} {
		if got := FormatInt(tc.lang, tc.n); got != tc.want {
			t.Errorf("FormatInt(%s, %d)=%q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
}

func TestFormatPct(t *testing.T) {
	p := 35.5
	if got, want := FormatPct("mn", &p), "35.5%"; got != want {
		t.Fatalf("mn=%q, want %q", got, want)
	}
	if got, want := FormatPct("en", &p), "35.5%"; got != want {
		t.Fatalf("en=%q, want %q", got, want)
	}
	if got := FormatPct("en", nil); got != "—" {
		t.Fatalf("nil=%q", got)
	}
	if got := pct(1, 3); *got != 33.3 {
		t.Fatalf("pct(1,3)=%v", *got)
	}
	if pct(1, 0) != nil {
		t.Fatal("pct of an empty denominator is not nil")
	}
}

func TestParsePeriod(t *testing.T) {
	for code, want := range map[string][2]int{"year": {1, 12}, "h1": {1, 6}, "h2": {7, 12}, "q3": {7, 9}, "m11": {11, 11}, "bogus": {1, 12}} {
		if p := ParsePeriod(code); p.From != want[0] || p.To != want[1] {
			t.Errorf("%s: %d-%d, want %v", code, p.From, p.To, want)
		}
	}
}

func TestOptionalNumber(t *testing.T) {
	for in, want := range map[string]float64{"659 015": 659015, "659,015": 659015, "659\u00a0015": 659015, "35,5": 35.5, "35.5": 35.5, "1,234,567": 1234567} {
		got, err := optionalNumber(in)
		if err != nil || *got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	if got, err := optionalNumber("  "); got != nil || err != nil {
		t.Errorf("empty: %v %v", got, err)
	}
	for bad, key := range map[string]string{"abc": "dash.number_invalid", "1e": "dash.number_invalid", "0x1p4": "dash.number_invalid",
		"1_000": "dash.number_invalid", "-5": "dash.number_negative", "-0,5": "dash.number_negative",
		"Inf": "dash.number_not_finite", "+Inf": "dash.number_not_finite", "-inf": "dash.number_not_finite",
		"infinity": "dash.number_not_finite", "Infinity": "dash.number_not_finite", "NaN": "dash.number_not_finite",
		"nan": "dash.number_not_finite", "1e400": "dash.number_not_finite", "1e309": "dash.number_not_finite"} {
		got, err := optionalNumber(bad)
		if err == nil {
			t.Errorf("%q accepted as %v", bad, *got)
			continue
		}
		if k := numberErrorKey(err); k != key {
			t.Errorf("%q: message %s, want %s", bad, k, key)
		}
	}
	for in, want := range map[string]float64{"0": 0, "1e6": 1e6, ".5": 0.5, "+7": 7} {
		if got, err := optionalNumber(in); err != nil || *got != want || math.IsInf(*got, 0) {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
}

// TestAsOfLanguage: the time beside the figures is written the way each language writes it.
func TestAsOfLanguage(t *testing.T) {
	at := time.Date(2025, time.March, 14, 9, 5, 7, 0, time.UTC)
	h := &Handler{cfg: Config{Now: func() time.Time { return at }}}
	for lang, want := range map[string]string{"mn": "2025 оны 03 сарын 14, 09:05", "en": "14 Mar 2025, 09:05", "xx": "2025 оны 03 сарын 14, 09:05"} {
		if got := h.asOf(lang); got != want {
			t.Errorf("asOf(%s)=%q, want %q", lang, got, want)
		}
	}
}

func TestAimagMap(t *testing.T) {
	m, err := parseAimagMap(assets.AimagsGeoJSON(), 900)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Paths) != 22 || m.Width != 900 || m.Height < 300 || m.Height > 600 {
		t.Fatalf("%d paths, %dx%d", len(m.Paths), m.Width, m.Height)
	}
	for _, p := range m.Paths {
		if !strings.HasPrefix(p.Code, "MN-") || !strings.HasPrefix(p.D, "M") || !strings.HasSuffix(p.D, "Z") {
			t.Fatalf("path %s: %.40s", p.Code, p.D)
		}
	}
	if shade(0, false) != "#e5e7eb" || shade(1, true) != "#083d8c" || shade(0, true) != "#eaf2fb" {
		t.Fatal("colour ramp ends moved")
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{"/dashboard/units": "/dashboard/units", "//evil.example/": "/dashboard/",
		"https://evil.example/": "/dashboard/", "/dashboard/\\evil": "/dashboard/", "": "/dashboard/"} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q)=%q, want %q", in, got, want)
		}
	}
}
