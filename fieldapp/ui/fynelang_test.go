package ui

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"

	"talbar/shared/i18n"
)

// TestFyneStringsInInterfaceLanguage right-clicks an Entry and opens a Fyne confirm dialog: their
// labels are Fyne's own strings, and must be in the interface language whatever the system's
// locale is (here German, which Fyne itself translates, and Mongolian, which it does not).
func TestFyneStringsInInterfaceLanguage(t *testing.T) {
	want := map[string][]string{
		i18n.MN: {"Хайчлах", "Хуулах", "Буулгах", "Бүгдийг сонгох", "Тийм", "Үгүй"},
		i18n.EN: {"Cut", "Copy", "Paste", "Select all", "Yes", "No"},
	}
	english := want[i18n.EN]
	for _, sys := range []string{"de_DE.UTF-8", "mn_MN.UTF-8"} {
		for _, lang := range i18n.Langs {
			t.Run(sys+"/"+lang, func(t *testing.T) {
				t.Setenv("LANGUAGE", "")
				t.Setenv("LC_ALL", sys)
				e := newEnv(t, lang, laptop)
				e.ui.Show(ScreenEnroll)
				test.TapSecondary(e.ui.Enroll.Server)
				dialog.NewConfirm("t", "m", func(bool) {}, e.win).Show()
				got := texts(e.win)
				for _, w := range want[lang] {
					if !slices.Contains(got, w) {
						t.Errorf("Fyne's label %q not drawn; drawn: %q", w, got)
					}
				}
				if lang == i18n.MN {
					for _, en := range english {
						if slices.Contains(got, en) {
							t.Errorf("English %q in the Mongolian interface", en)
						}
					}
				}
			})
		}
	}
}

// TestFyneStringsFollowSetLang switches the language on the settings screen: the Entry's menu,
// built on each right-click, follows at once.
func TestFyneStringsFollowSetLang(t *testing.T) {
	e := newEnv(t, i18n.EN, laptop)
	e.ui.SetLang(i18n.MN)
	e.ui.Show(ScreenEnroll)
	test.TapSecondary(e.ui.Enroll.Server)
	if got := texts(e.win); !slices.Contains(got, "Бүгдийг сонгох") || slices.Contains(got, "Select all") {
		t.Errorf("menu after switching to Mongolian: %q", got)
	}
}
