package i18n_test

import (
	"strings"
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
		record.ErrTooLong, record.ErrInvalidDate, record.ErrTooEarly, record.ErrTooLate, record.ErrOutOfRange, record.ErrUnknownUnit, record.ErrDuplicate} {
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
	if got, want := c.T("mn", "kind.herder_meeting"), "Малчдад мэдээлэл хүргэх, шимтгэл хураах"; got != want {
		t.Fatalf("label=%q, want %q", got, want)
	}
	if got, want := c.Problem("en", p), "People reached (by target group) / Herders: cannot be negative: enter 0 or more"; got != want {
		t.Fatalf("en=%q, want %q", got, want)
	}
	if got, want := c.Problem("mn", p), "Хамрагдсан иргэд (зорилтот бүлгээр) / Малчин: 0 буюу түүнээс их тоо оруулна уу"; got != want {
		t.Fatalf("mn=%q, want %q", got, want)
	}
}

// TestProblemTextHelpful: number messages say what to type and the limit, from the code and the
// field alone (what the server sends), in each language's number style.
func TestProblemTextHelpful(t *testing.T) {
	c := catalog(t)
	for _, tc := range []struct {
		lang string
		p    record.Problem
		want string
	}{
		{"mn", record.Problem{Field: "reached.herders", Code: record.ErrInvalidType}, "бүхэл тоо оруулна уу"},
		{"en", record.Problem{Field: "consultations", Code: record.ErrInvalidType}, "enter a whole number"},
		{"mn", record.Problem{Field: "reached.herders", Code: record.ErrOutOfRange}, "хамгийн ихдээ 1\u00a0000\u00a0000 байх ёстой; тоогоо шалгана уу"},
		{"en", record.Problem{Field: "contributions_mnt", Code: record.ErrOutOfRange}, "at most 100,000,000,000: check the figure"},
		{"mn", record.Problem{Field: "lat", Code: record.ErrOutOfRange}, "Монгол Улсын нутагт өргөрөг 41.5–52.2 хооронд байна; координатаа шалгана уу"},
		{"en", record.Problem{Field: "lon", Code: record.ErrOutOfRange}, "longitude is between 87.7 and 120 in Mongolia: check the coordinates"},
		{"mn", record.Problem{Field: "lat", Code: record.ErrInvalidType}, "тоо оруулна уу, жишээ нь 47.92"},
		{"en", record.Problem{Field: "satisfaction", Code: record.ErrOutOfRange}, "must be between 1 and 5: pick one"},
		{"en", record.Problem{Field: "date", Code: record.ErrTooLate}, "cannot be in the future: enter today or an earlier date"},
		{"en", record.Problem{Field: "kind", Code: record.ErrRequired}, "is required"},
		{"mn", record.Problem{Field: "kind", Code: record.ErrDivisionOnly}, "орон нутгийн телевиз, радиогийн нэвтрүүлгийг аймаг, дүүргийн хэлтсийн мэргэжилтэн бүртгэнэ: хэлтэстээ мэдэгдэнэ үү, эсвэл өөр төрөл сонгоно уу"},
		{"en", record.Problem{Field: "kind", Code: record.ErrDivisionOnly}, "local TV and radio broadcasts are recorded by the aimag or district division's officers: tell your division, or choose another kind"},
	} {
		if got := c.ProblemText(tc.lang, tc.p); got != tc.want {
			t.Errorf("%s %v: %q, want %q", tc.lang, tc.p, got, tc.want)
		}
		if got := c.Problem(tc.lang, tc.p); !strings.HasSuffix(got, ": "+tc.want) {
			t.Errorf("%s %v: Problem %q does not end in the message", tc.lang, tc.p, got)
		}
	}
}

func TestPlural(t *testing.T) {
	c, err := i18n.New(map[string][][]byte{
		"en": {[]byte(`{"n.one":"%d record","n.other":"%d records","plain":"%d x"}`)},
		"mn": {[]byte(`{"n.one":"%d бүртгэл","n.other":"%d бүртгэл","plain":"%d x"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{{"en", 1, "1 record"}, {"en", 2, "2 records"}, {"en", 0, "0 records"}, {"mn", 1, "1 бүртгэл"}, {"mn", 5, "5 бүртгэл"}} {
		if got := c.N(tc.lang, "n", tc.n, tc.n); got != tc.want {
			t.Errorf("%s %d: %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
	if got := c.N("en", "plain", 1, 1); got != "1 x" {
		t.Errorf("plain = %q", got)
	}
}
