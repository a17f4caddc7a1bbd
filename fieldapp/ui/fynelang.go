package ui

import (
	"encoding/json"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
)

// fyneKeyPrefix marks the catalogue keys that translate Fyne's own widget strings: "fyne.Cut" is
// the text Fyne looks up as "Cut" (the Entry's right-click menu, the dialogs' buttons).
const fyneKeyPrefix = "fyne."

// fyneShipped are the languages Fyne 2.7 carries translations for (its lang/translations). Fyne
// picks its language from the system's locale, not from Talbar's choice, so the interface
// language's texts are registered under each of these and under the system's language: whichever
// Fyne settles on, it shows the interface language.
var fyneShipped = []string{"en", "cs", "de", "el", "es", "fr", "pl", "pt", "pt-BR", "ru", "sv", "ta", "uk", "zh-Hans"}

// applyFyneLang gives Fyne's own strings the interface language, so a Mongolian interface has no
// English in the Entry's menu or a dialog's buttons. Call it whenever u.lang changes.
func (u *UI) applyFyneLang() {
	m := map[string]string{}
	for _, k := range u.cfg.Catalog.Keys(u.lang) {
		if name, ok := strings.CutPrefix(k, fyneKeyPrefix); ok {
			m[name] = u.T(k)
		}
	}
	if len(m) == 0 {
		return
	}
	b, err := json.Marshal(m)
	if err != nil {
		u.log.Error("fyne translations", "err", err)
		return
	}
	tags := append([]string{lang.SystemLocale().LanguageString()}, fyneShipped...)
	for _, t := range tags {
		if err := lang.AddTranslationsForLocale(b, fyne.Locale(t)); err != nil {
			u.log.Error("fyne translations", "locale", t, "err", err)
		}
	}
}
