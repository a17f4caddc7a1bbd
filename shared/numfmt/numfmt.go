// Package numfmt writes numbers and dates the one way each interface language writes them, so
// the field app and the dashboard show the same figure and the same day alike. Mongolian groups
// thousands with a no-break space and writes a decimal point ("639 820", "35.1%"), as the
// programme document and headquarters' tables do ("639 820 хүн" l.459, "76.3%" l.260; the
// seed-fidelity review, 4d); English groups with commas ("639,820", "35.1%"). A no-break space
// keeps a figure on one line. Dates: Mongolian "2026 оны 11 сарын 30", the form of the order's
// own date (l.9); English "30 Nov 2026". Typed dates stay ISO (ОООО-СС-ӨӨ): that is what a
// form field reads.
package numfmt

import (
	"strconv"
	"strings"
	"time"
)

// Style is how a language groups thousands and writes the decimal mark.
type Style struct{ Group, Decimal string }

var styles = map[string]Style{
	"mn": {"\u00a0", "."},
	"en": {",", "."},
}

// For is the style of lang; Mongolian for an unknown language.
func For(lang string) Style {
	if st, ok := styles[lang]; ok {
		return st
	}
	return styles["mn"]
}

// Int formats n with the language's thousands separator.
func Int(lang string, n int64) string {
	return group(For(lang), strconv.FormatInt(n, 10))
}

// Float formats f with the fewest digits that read back as f (47.9 stays 47.9, never
// 47.900001), thousands grouped and the language's decimal mark.
func Float(lang string, f float64) string {
	return Decimal(lang, strconv.FormatFloat(f, 'f', -1, 64))
}

// Fixed formats f with exactly prec decimals.
func Fixed(lang string, f float64, prec int) string {
	return Decimal(lang, strconv.FormatFloat(f, 'f', prec, 64))
}

// Decimal restyles a plain decimal as Go writes it ("-1234.5") for lang; text that is not such a
// number is returned as it is.
func Decimal(lang, s string) string {
	st := For(lang)
	whole, frac, hasFrac := strings.Cut(s, ".")
	digits := strings.TrimPrefix(whole, "-")
	if digits == "" || strings.Trim(digits, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return s
	}
	out := group(st, whole)
	if hasFrac {
		out += st.Decimal + frac
	}
	return out
}

func group(st Style, s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(st.Group)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// dateLayouts are how each language writes a day and a moment.
var dateLayouts = map[string][2]string{
	"mn": {"2006 оны 01 сарын 02", "2006 оны 01 сарын 02, 15:04"},
	"en": {"2 Jan 2006", "2 Jan 2006, 15:04"},
}

func layouts(lang string) [2]string {
	if l, ok := dateLayouts[lang]; ok {
		return l
	}
	return dateLayouts["mn"]
}

// Date writes the day of t in lang: "2026 оны 11 сарын 30", "30 Nov 2026".
func Date(lang string, t time.Time) string { return t.Format(layouts(lang)[0]) }

// DateTime writes the day and the minute of t in lang: "2026 оны 11 сарын 30, 09:05".
func DateTime(lang string, t time.Time) string { return t.Format(layouts(lang)[1]) }

// ISODate rewrites a stored record date ("2026-11-30") in lang; text that is not such a date is
// returned as it is.
func ISODate(lang, s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return Date(lang, t)
}
