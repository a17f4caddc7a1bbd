// Package i18n is the translation catalogue every user-facing string goes through. Mongolian is the
// default language and English the second. The interface strings come from JSON catalogues (kept in
// assets/i18n); the labels of the programme's codes come from shared/record, shared/unit and
// shared/indicator, so a code's label is written once (GLOSSARY.md) and shown alike everywhere.
package i18n

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"talbar/shared/indicator"
	"talbar/shared/numfmt"
	"talbar/shared/record"
	"talbar/shared/unit"
)

// Languages, default first.
const (
	MN      = "mn"
	EN      = "en"
	Default = MN
)

// Langs lists the supported languages, default first.
var Langs = []string{MN, EN}

// Catalog maps language → key → text.
type Catalog struct {
	text map[string]map[string]string
}

// New builds a catalogue from JSON objects of key → text per language (several files each) and adds the code labels:
// "<list>.<code>" for every list of record.Lists, "level.<level>", "indicator.<id>".
func New(files map[string][][]byte) (*Catalog, error) {
	c := &Catalog{text: map[string]map[string]string{}}
	for _, lang := range Langs {
		c.text[lang] = map[string]string{}
	}
	for lang, bs := range files {
		if c.text[lang] == nil {
			c.text[lang] = map[string]string{}
		}
		for i, b := range bs {
			m := map[string]string{}
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, fmt.Errorf("catalogue %s file %d: %w", lang, i, err)
			}
			for k, v := range m {
				if _, dup := c.text[lang][k]; dup {
					return nil, fmt.Errorf("catalogue %s: key %q defined twice", lang, k)
				}
				c.text[lang][k] = v
			}
		}
	}
	for list, labels := range record.Lists {
		for _, l := range labels {
			c.text[MN][list+"."+l.Code] = l.MN
			c.text[EN][list+"."+l.Code] = l.EN
		}
	}
	for lv, names := range unit.LevelLabels {
		c.text[MN]["level."+string(lv)] = names[0]
		c.text[EN]["level."+string(lv)] = names[1]
	}
	for _, in := range indicator.All {
		c.text[MN]["indicator."+in.ID] = in.NameMN
		c.text[EN]["indicator."+in.ID] = in.NameEN
	}
	return c, nil
}

// MustNew is New for embedded catalogues, where an error is a build defect.
func MustNew(files map[string][][]byte) *Catalog {
	c, err := New(files)
	if err != nil {
		panic(err)
	}
	return c
}

// T returns the text of key in lang, formatted with args when given. A key missing in lang falls
// back to Mongolian and then to the key itself; Missing finds such gaps in tests.
func (c *Catalog) T(lang, key string, args ...any) string {
	s, ok := c.text[lang][key]
	if !ok {
		s, ok = c.text[Default][key]
	}
	if !ok {
		s = key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether key has a text in lang.
func (c *Catalog) Has(lang, key string) bool {
	_, ok := c.text[lang][key]
	return ok
}

// Keys returns every key of lang, sorted.
func (c *Catalog) Keys(lang string) []string {
	out := make([]string, 0, len(c.text[lang]))
	for k := range c.text[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Missing returns, for each language, the keys that another language has and it lacks or leaves
// empty. An empty result means the catalogues are complete.
func (c *Catalog) Missing() map[string][]string {
	out := map[string][]string{}
	for _, lang := range Langs {
		for _, other := range Langs {
			for k := range c.text[other] {
				if strings.TrimSpace(c.text[lang][k]) == "" {
					out[lang] = append(out[lang], k)
				}
			}
		}
		sort.Strings(out[lang])
		if len(out[lang]) == 0 {
			delete(out, lang)
		}
	}
	return out
}

// Problem translates a field problem with the field's label in front: "Latitude: latitude is
// between 41.5 and 52.2 in Mongolia". A counts entry is named by its section and entry.
func (c *Catalog) Problem(lang string, p record.Problem) string {
	field := p.Field
	if c.Has(lang, "field."+field) {
		field = c.T(lang, "field."+field)
	} else if i := strings.IndexByte(field, '.'); i > 0 && c.Has(lang, "field."+field[:i]) {
		list := record.CountsList(field[:i])
		field = c.T(lang, "field."+field[:i]) + " / " + c.T(lang, list+"."+field[i+1:])
	}
	return field + ": " + c.ProblemText(lang, p)
}

// ProblemText is a problem's message alone, for the line under its field (which needs no name).
// It is worded from the code, the field and the field's limits (record.Limit), most specific
// first: "err.out_of_range.lat", then "err.out_of_range.coord", then "err.out_of_range". The
// server sends only field and code; the limits are the ones both sides validate with.
func (c *Catalog) ProblemText(lang string, p record.Problem) string {
	base := p.Field
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	kind, lo, hi := record.Limit(p.Field)
	key := "err." + p.Code
	for _, k := range []string{key + "." + base, key + "." + kind} {
		if c.Has(lang, k) {
			key = k
			break
		}
	}
	example := map[string]float64{"lat": 47.92, "lon": 106.92}[base]
	return strings.NewReplacer(
		"{min}", numfmt.Float(lang, lo),
		"{max}", numfmt.Float(lang, hi),
		"{example}", numfmt.Float(lang, example),
	).Replace(c.T(lang, key))
}

// N translates a text that depends on a count n: "<key>.one" for exactly one and "<key>.other"
// otherwise, the way English needs ("1 record", "2 records"); Mongolian has no plural and keeps the
// same text under both keys. A key with no count forms is used as it is.
func (c *Catalog) N(lang, key string, n int, args ...any) string {
	form := key + ".other"
	if n == 1 {
		form = key + ".one"
	}
	if c.Has(lang, form) || c.Has(Default, form) {
		return c.T(lang, form, args...)
	}
	return c.T(lang, key, args...)
}
