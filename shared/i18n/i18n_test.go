package i18n_test

import (
	"testing"

	"talbar/assets"
	"talbar/shared/i18n"
	"talbar/shared/record"
	"talbar/syncproto"
)

func catalog(t *testing.T) *i18n.Catalog {
	t.Helper()
	c, err := i18n.New(assets.Translations())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCatalogComplete fails on any key that one language has and another lacks.
func TestCatalogComplete(t *testing.T) {
	if miss := catalog(t).Missing(); len(miss) > 0 {
		t.Fatalf("missing translations: %v", miss)
	}
}

// TestEveryWireCodeTranslated checks the codes that reach a user: field problems, per-change
// rejections, whole-request errors and every field of both entities.
func TestEveryWireCodeTranslated(t *testing.T) {
	c := catalog(t)
	keys := []string{}
	for _, code := range []string{record.ErrRequired, record.ErrInvalidType, record.ErrInvalidCode, record.ErrNegative,
		record.ErrTooLong, record.ErrInvalidDate, record.ErrTooEarly, record.ErrOutOfRange, record.ErrUnknownUnit, record.ErrDuplicate} {
		keys = append(keys, "err."+code)
	}
	for _, code := range []string{syncproto.RejectInvalid, syncproto.RejectUnknownEntity, syncproto.RejectInvalidOp,
		syncproto.RejectInvalidID, syncproto.RejectInvalidHLC, syncproto.RejectOutOfScope, syncproto.RejectOwnedElsewhere,
		syncproto.RejectEntityMismatch, syncproto.RejectNotFound, syncproto.RejectForbidden} {
		keys = append(keys, "reject."+code)
	}
	for _, code := range []string{syncproto.ErrMalformed, syncproto.ErrUnauthorized, syncproto.ErrTooLarge, syncproto.ErrEncoding,
		syncproto.ErrProtocol, syncproto.ErrRateLimited, syncproto.ErrUnavailable, syncproto.ErrCodeUsed, syncproto.ErrCodeExpired,
		syncproto.ErrCodeUnknown} {
		keys = append(keys, "error."+code)
	}
	for _, e := range []string{record.EntityEvent, record.EntitySurvey} {
		for _, f := range record.Fields(e) {
			keys = append(keys, "field."+f)
		}
	}
	for _, lang := range i18n.Langs {
		for _, k := range keys {
			if !c.Has(lang, k) {
				t.Errorf("%s: no text for %q", lang, k)
			}
		}
	}
}

func TestProblemInBothLanguages(t *testing.T) {
	c := catalog(t)
	p := record.Problem{Field: "reached.herders", Code: record.ErrNegative}
	if got, want := c.T("mn", "kind.herder_meeting"), "Малчдын уулзалт"; got != want {
		t.Fatalf("label=%q, want %q", got, want)
	}
	if got, want := c.Problem("en", p), "People reached (by target group) / Herders: cannot be negative"; got != want {
		t.Fatalf("en=%q, want %q", got, want)
	}
	if got, want := c.Problem("mn", p), "Хамрагдсан иргэд (зорилтот бүлгээр) / Малчин: сөрөг тоо байж болохгүй"; got != want {
		t.Fatalf("mn=%q, want %q", got, want)
	}
}
