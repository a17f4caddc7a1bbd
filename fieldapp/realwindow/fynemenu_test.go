package realwindow

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"talbar/fieldapp/internal/automation"
)

// TestRealWindowFyneMenu right-clicks an entry of the real window with the real pointer: Fyne's
// own menu (Cut, Copy, Paste, Select all) is in the interface language, although the app runs
// under an English system locale (startApp sets LANG=en_US.UTF-8).
func TestRealWindowFyneMenu(t *testing.T) {
	display := startX(t, 1000, 700)
	want := map[string][]string{
		"mn": {"Хайчлах", "Хуулах", "Буулгах", "Бүгдийг сонгох"},
		"en": {"Cut", "Copy", "Paste", "Select all"},
	}
	for _, lang := range []string{"mn", "en"} {
		t.Run(lang, func(t *testing.T) {
			a := startApp(t, display, "--data", t.TempDir(), "--lang", lang, "--size", "900x640", "--check-every", "1h")
			entry := byType("*widget.Entry", "the first entry", 0, false, nil)
			o, scale := a.reveal(entry)
			x, y := a.winX+(o.X+o.W/2)*scale, a.winY+(o.Y+o.H/2)*scale
			a.xdo("mousemove", fmt.Sprintf("%.0f", x), fmt.Sprintf("%.0f", y), "click", "3")
			s := a.waitFor("the entry's menu", 10*time.Second, func(s automation.Snapshot) bool {
				_, ok := find(s, menuItem(want[lang][3]))
				return ok
			})
			var items []string
			for _, o := range s.Objects {
				if o.Type == "*widget.menuItem" && o.Overlay > 0 {
					items = append(items, o.Text)
				}
			}
			for _, w := range want[lang] {
				if !slices.Contains(items, w) {
					t.Errorf("menu item %q missing; the menu has %q", w, items)
				}
			}
			if lang == "mn" {
				for _, en := range want["en"] {
					if slices.Contains(items, en) {
						t.Errorf("English %q in the Mongolian interface's menu %q", en, items)
					}
				}
			}
			a.xdo("key", "Escape")
		})
	}
}
