package dashboard

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"talbar/shared/numfmt"
)

// Number and date formats come from shared/numfmt, which the field app uses too: Mongolian
// "639 820" and "35.5%", English "639,820" and "35.5%". Every page, the JSON the overview refreshes from and the
// chart tooltips take their text from these functions.

// FormatInt formats n with the language's thousands separator.
func FormatInt(lang string, n int64) string { return numfmt.Int(lang, n) }

// FormatPct formats a percentage with one decimal, or a dash when there is no data.
func FormatPct(lang string, p *float64) string {
	if p == nil {
		return "—"
	}
	return numfmt.Fixed(lang, *p, 1) + "%"
}

// pct is num/den as a percentage rounded to one decimal, nil for an empty denominator.
func pct(num, den int64) *float64 {
	if den == 0 {
		return nil
	}
	p := float64(int64(float64(num)*1000/float64(den)+0.5)) / 10
	return &p
}

// Period is a part of a year: the whole year, a half, a quarter or a month.
type Period struct {
	Code     string // year, h1, h2, q1-q4, m1-m12
	From, To int    // months, inclusive
}

// Periods lists the choices in the period selector.
var Periods = func() []Period {
	p := []Period{{"year", 1, 12}, {"h1", 1, 6}, {"h2", 7, 12}}
	for q := 1; q <= 4; q++ {
		p = append(p, Period{fmt.Sprintf("q%d", q), q*3 - 2, q * 3})
	}
	for m := 1; m <= 12; m++ {
		p = append(p, Period{fmt.Sprintf("m%d", m), m, m})
	}
	return p
}()

// ParsePeriod reads a period code; an unknown one is the whole year.
func ParsePeriod(s string) Period {
	for _, p := range Periods {
		if p.Code == s {
			return p
		}
	}
	return Periods[0]
}

// yearQuery reads ?year=, defaulting to the current year, bounded to sensible years.
func (h *Handler) yearQuery(c *fiber.Ctx) int {
	y, err := strconv.Atoi(c.Query("year"))
	if err != nil || y < 2019 || y > 2100 {
		return h.cfg.Now().Year()
	}
	return y
}

// years offers the programme's first year to next year in selectors.
func (h *Handler) years() []int {
	var out []int
	for y := h.cfg.Now().Year() + 1; y >= 2019; y-- {
		out = append(out, y)
	}
	return out
}

// FormatTime formats a moment for the language through shared/numfmt, as the field app does:
// Mongolian "2025 оны 03 сарын 14, 09:05", English "14 Mar 2025, 09:05".
func FormatTime(lang string, t time.Time) string { return numfmt.DateTime(lang, t) }

// FormatDate formats a stored record date ("2025-03-14") for the language.
func (v *view) FormatDate(s string) string { return numfmt.ISODate(v.Lang, s) }

// asOf is the time figures were read, shown beside them in the request's language.
func (h *Handler) asOf(lang string) string {
	return FormatTime(lang, h.cfg.Now())
}
