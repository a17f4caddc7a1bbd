// Package numfmt writes numbers the one way each interface language writes them, so the field
// app and the dashboard show the same figure alike. Mongolian groups thousands with a no-break
// space and writes a decimal comma ("639 820", "47,92"), the style of Mongolian statistical
// tables; English groups with commas and writes a decimal point ("639,820", "47.92"). A no-break
// space keeps a figure on one line.
package numfmt

import (
	"strconv"
	"strings"
)

// Style is how a language groups thousands and writes the decimal mark.
type Style struct{ Group, Decimal string }

var styles = map[string]Style{
	"mn": {"\u00a0", ","},
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
