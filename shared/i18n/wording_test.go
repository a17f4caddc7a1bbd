package i18n_test

import (
	"strings"
	"testing"

	"talbar/shared/i18n"
)

// informational are messages that report what the app or server did by itself: nothing is asked
// of the reader.
var informational = map[string]bool{
	"reject.clock_ahead": true, // the app sends again with a corrected time
	"reject.moved_away":  true, // the record now belongs to the other unit
	"warn.unknown_field": true, // the server kept the value
}

// TestErrorsSayWhatToDo: every Mongolian request error, rejection and warning the field app or
// the dashboard shows ends in what to do, not only in what is wrong (review 4b #5, glossary).
func TestErrorsSayWhatToDo(t *testing.T) {
	c := catalog(t)
	for _, k := range c.Keys(i18n.MN) {
		if !(strings.HasPrefix(k, "error.") || strings.HasPrefix(k, "reject.") || strings.HasPrefix(k, "warn.") ||
			strings.HasPrefix(k, "err.") || strings.HasPrefix(k, "survey.err.") || strings.HasPrefix(k, "plan.err.")) {
			continue
		}
		if informational[k] || strings.HasPrefix(k, "survey.err.where_") || k == "plan.err.cell" {
			continue
		}
		if s := c.T(i18n.MN, k); !strings.Contains(s, " уу") && !strings.Contains(s, " үү") {
			t.Errorf("%s = %q: says what is wrong, not what to do", k, s)
		}
	}
}

// TestProductNameCyrillic: the Mongolian interface names the product «Талбар», never "Talbar"
// (review 4a).
func TestProductNameCyrillic(t *testing.T) {
	c := catalog(t)
	for _, k := range c.Keys(i18n.MN) {
		if s := c.T(i18n.MN, k); strings.Contains(s, "Talbar") {
			t.Errorf("%s = %q: Latin product name in the Mongolian interface", k, s)
		}
	}
}
