package survey_test

import (
	"encoding/json"
	"strings"
	"testing"

	"talbar/assets"
	"talbar/shared/record"
	"talbar/shared/survey"
)

func defaultCatalogue(t *testing.T) *survey.Catalogue {
	t.Helper()
	c, ps := survey.Parse(assets.SurveyCatalogue())
	if len(ps) > 0 {
		t.Fatalf("embedded catalogue: %v", ps)
	}
	return c
}

// TestDefaultCatalogue: the shipped catalogue is good, version 1 is the questionnaire of the
// programme's first years (the eleven sources of Table 2) and version 2 adds the knowledge,
// attitude and perception items and the programme's own channels as sources.
func TestDefaultCatalogue(t *testing.T) {
	c := defaultCatalogue(t)
	if len(c.Versions) != 2 || c.Latest().Version != 2 {
		t.Fatalf("versions: %+v", c.Versions)
	}
	v1, _ := c.Version(1)
	src1, _ := v1.Question("info_sources")
	if len(src1.Options) != len(record.InfoSources) {
		t.Errorf("v1 sources %d, want the %d of Table 2", len(src1.Options), len(record.InfoSources))
	}
	v2 := c.Latest()
	src2, _ := v2.Question("info_sources")
	for _, code := range []string{"radio", "sms", "podcast", "mobile_app", "event"} {
		if _, ok := src2.Option(code); !ok {
			t.Errorf("v2 sources lack %s", code)
		}
	}
	roles := map[string]int{}
	for _, q := range v2.Questions {
		roles[q.Role]++
	}
	if roles[survey.RoleKnowledge] < 3 || roles[survey.RoleAttitude] < 2 || roles[survey.RolePerception] < 1 {
		t.Errorf("v2 roles %v: want knowledge, attitude and perception items", roles)
	}
}

// TestCatalogueProblems: each kind of mistake headquarters can make in a catalogue is named.
func TestCatalogueProblems(t *testing.T) {
	c := defaultCatalogue(t)
	latest := c.Latest()
	mut := func(f func(v *survey.Version)) survey.Version {
		b, _ := json.Marshal(latest)
		var v survey.Version
		_ = json.Unmarshal(b, &v)
		v.Version = latest.Version + 1
		f(&v)
		return v
	}
	cases := []struct {
		name string
		v    survey.Version
		code string
		q    string
	}{
		{"ok", mut(func(v *survey.Version) {}), "", ""},
		{"not next", mut(func(v *survey.Version) { v.Version = 7 }), survey.ErrNotNext, ""},
		{"no mn text", mut(func(v *survey.Version) { v.Questions[2].Text.MN = "" }), survey.ErrNoText, "knows_voluntary"},
		{"duplicate option", mut(func(v *survey.Version) {
			v.Questions[2].Options = append(v.Questions[2].Options, v.Questions[2].Options[0])
		}), survey.ErrDuplicateOption, "knows_voluntary"},
		{"fixed field id", mut(func(v *survey.Version) { v.Questions[2].ID = "target_group" }), survey.ErrQuestionID, "target_group"},
		{"kind", mut(func(v *survey.Version) { v.Questions[2].Kind = "slider" }), survey.ErrKind, "knows_voluntary"},
		{"indicator dropped", mut(func(v *survey.Version) { v.Questions = v.Questions[1:] }), survey.ErrRoleMissing, ""},
		{"indicator changed", mut(func(v *survey.Version) { v.Questions[0].Options = v.Questions[0].Options[:2] }), survey.ErrRole, "info_access"},
		{"year back", mut(func(v *survey.Version) { v.Year = 2020 }), survey.ErrYear, ""},
	}
	for _, tc := range cases {
		_, ps := c.Add(tc.v)
		if tc.code == "" {
			if len(ps) > 0 {
				t.Errorf("%s: %v", tc.name, ps)
			}
			continue
		}
		found := false
		for _, p := range ps {
			found = found || p.Code == tc.code && p.Question == tc.q
		}
		if !found {
			t.Errorf("%s: problems %v, want %s on %q", tc.name, ps, tc.code, tc.q)
		}
	}
	if _, ps := survey.Parse([]byte(`{"versions": [{"version": 1, "colour": "red"}]}`)); len(ps) != 1 || ps[0].Code != survey.ErrSyntax || !strings.Contains(ps[0].Arg, "colour") {
		t.Errorf("unknown key: %v", ps)
	}
}

func fields(kv map[string]any) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, v := range kv {
		b, _ := json.Marshal(v)
		out[k] = b
	}
	return out
}

func base() map[string]any {
	return map[string]any{"date": "2025-05-14", "unit": "MN0101", "target_group": "herders", "age_band": "25-34",
		"insurance_status": "none", "info_access": "partly", "satisfaction": 4}
}

// TestAnswersCheckedAgainstTheirVersion: an answer is checked against the version it names; a
// question or option that version lacks is refused naming the field, and a survey without a
// version is checked as before the catalogue.
func TestAnswersCheckedAgainstTheirVersion(t *testing.T) {
	c := defaultCatalogue(t)
	opt := record.Options{Create: true, Survey: c}
	check := func(name string, kv map[string]any, field, code string) {
		t.Helper()
		ps, _ := record.Validate(record.EntitySurvey, fields(kv), opt)
		if field == "" {
			if len(ps) > 0 {
				t.Errorf("%s: %v", name, ps)
			}
			return
		}
		if len(ps) != 1 || ps[0].Field != field || ps[0].Code != code {
			t.Errorf("%s: %v, want %s on %s", name, ps, code, field)
		}
	}
	v2 := base()
	v2["catalogue_version"] = 2
	v2["knows_voluntary"] = "yes"
	v2["info_sources"] = []string{"radio", "tv"}
	check("v2 good", v2, "", "")

	v1 := base()
	v1["catalogue_version"] = 1
	v1["knows_voluntary"] = "yes"
	check("v1 has no knowledge item", v1, "knows_voluntary", record.ErrUnknownQuestion)
	v1 = base()
	v1["catalogue_version"] = 1
	v1["info_sources"] = []string{"radio"}
	check("v1 has no radio", v1, "info_sources", record.ErrInvalidCode)

	bad := base()
	bad["catalogue_version"] = 2
	bad["trusts_fund"] = "maybe"
	check("unknown option", bad, "trusts_fund", record.ErrInvalidCode)
	bad = base()
	bad["catalogue_version"] = 2
	bad["satisfaction"] = 6
	check("scale code", bad, "satisfaction", record.ErrInvalidCode)
	bad = base()
	bad["catalogue_version"] = 9
	check("unknown version", bad, "catalogue_version", record.ErrUnknownVersion)
	bad = base()
	bad["catalogue_version"] = 2
	delete(bad, "info_access")
	check("required question", bad, "info_access", record.ErrRequired)

	legacy := base()
	legacy["knows_voluntary"] = "yes"
	ps, unknown := record.Validate(record.EntitySurvey, fields(legacy), opt)
	if len(ps) != 0 || len(unknown) != 1 || unknown[0] != "knows_voluntary" {
		t.Errorf("no version: problems %v unknown %v; want it kept as an unknown field, as before the catalogue", ps, unknown)
	}
	if u := record.UnknownWith(record.EntitySurvey, fields(v2), c); len(u) != 0 {
		t.Errorf("v2 answers reported unknown: %v", u)
	}
	if survey.VersionOf(fields(legacy)) != 1 || survey.VersionOf(fields(v2)) != 2 {
		t.Error("VersionOf")
	}
}
