package ui

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Theme modes, kept in the preferences under PrefTheme.
const (
	ThemeAuto   = "auto"   // the system's light or dark, with visible boxes and borders
	ThemeBright = "bright" // light and high-contrast, for a market square in the sun
	ThemeDark   = "dark"
	PrefTheme   = "theme"
)

// Themes lists the modes in the order Settings offers them.
var Themes = []string{ThemeAuto, ThemeBright, ThemeDark}

// talbarTheme is Fyne's theme with the colours that carry meaning made visible: Fyne's own
// unchecked check boxes and radios (drawn in the input-border colour) measure 1.1–1.4 : 1 against
// a dark background, where WCAG 1.4.11 asks for 3 : 1. Sizes, fonts and icons are Fyne's.
type talbarTheme struct {
	mode string
}

func newTheme(mode string) fyne.Theme { return &talbarTheme{mode: mode} }

// palette holds the colours talbarTheme sets; Fyne's default gives the others.
type palette map[fyne.ThemeColorName]color.Color

var (
	lightPalette = palette{
		theme.ColorNameInputBorder: rgb(0x6b, 0x6b, 0x6b),
		theme.ColorNamePlaceHolder: rgb(0x6b, 0x6b, 0x6b),
		theme.ColorNameSeparator:   rgb(0xc4, 0xc4, 0xc4),
	}
	// brightPalette: white ground, black text, dark borders; readable in direct sunlight.
	brightPalette = palette{
		theme.ColorNameBackground:        rgb(0xff, 0xff, 0xff),
		theme.ColorNameForeground:        rgb(0x00, 0x00, 0x00),
		theme.ColorNameInputBackground:   rgb(0xff, 0xff, 0xff),
		theme.ColorNameInputBorder:       rgb(0x33, 0x33, 0x33),
		theme.ColorNamePlaceHolder:       rgb(0x55, 0x55, 0x55),
		theme.ColorNamePrimary:           rgb(0x0b, 0x4f, 0xc0),
		theme.ColorNameButton:            rgb(0xe4, 0xe4, 0xe4),
		theme.ColorNameSeparator:         rgb(0x80, 0x80, 0x80),
		theme.ColorNameDisabled:          rgb(0x6b, 0x6b, 0x6b),
		theme.ColorNameError:             rgb(0xb0, 0x00, 0x20),
		theme.ColorNameSuccess:           rgb(0x1b, 0x6e, 0x20),
		theme.ColorNameWarning:           rgb(0x8a, 0x4b, 0x00),
		theme.ColorNameMenuBackground:    rgb(0xff, 0xff, 0xff),
		theme.ColorNameOverlayBackground: rgb(0xff, 0xff, 0xff),
	}
	darkPalette = palette{
		theme.ColorNameInputBorder: rgb(0x8c, 0x8c, 0x8c),
		theme.ColorNamePlaceHolder: rgb(0x9a, 0x9a, 0x9a),
		theme.ColorNameSeparator:   rgb(0x5a, 0x5a, 0x5a),
	}
)

func rgb(r, g, b uint8) color.Color { return color.NRGBA{R: r, G: g, B: b, A: 0xff} }

// variantFor is the variant the mode draws in.
func (t *talbarTheme) variantFor(v fyne.ThemeVariant) fyne.ThemeVariant {
	switch t.mode {
	case ThemeBright:
		return theme.VariantLight
	case ThemeDark:
		return theme.VariantDark
	}
	return v
}

func (t *talbarTheme) palette(v fyne.ThemeVariant) palette {
	switch {
	case t.mode == ThemeBright:
		return brightPalette
	case v == theme.VariantDark:
		return darkPalette
	}
	return lightPalette
}

func (t *talbarTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	v = t.variantFor(v)
	if c, ok := t.palette(v)[n]; ok {
		return c
	}
	return theme.DefaultTheme().Color(n, v)
}

func (t *talbarTheme) Font(s fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(s) }

func (t *talbarTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

func (t *talbarTheme) Size(n fyne.ThemeSizeName) float32 { return theme.DefaultTheme().Size(n) }

// contrast is the WCAG 2 contrast ratio of two colours (1 to 21), alpha ignored.
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// luminance is WCAG 2's relative luminance.
func luminance(c color.Color) float64 {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(n.R) + 0.7152*lin(n.G) + 0.0722*lin(n.B)
}

// withAlpha is c made translucent, for tinted backgrounds.
func withAlpha(c color.Color, a uint8) color.Color {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	n.A = a
	return n
}

// themeMode is the mode in use: the one chosen in settings, else bright on a phone or a narrow
// window (held outdoors), the system's otherwise.
func (u *UI) themeMode() string {
	if u.themeSet != "" {
		return u.themeSet
	}
	if u.cfg.Prefs != nil {
		if m := u.cfg.Prefs.String(prefKey(u.cfg, PrefTheme)); m != "" {
			return m
		}
	}
	if fyne.CurrentDevice().IsMobile() || u.narrow {
		return ThemeBright
	}
	return ThemeAuto
}

// applyTheme sets the theme of the mode in use for the whole app.
func (u *UI) applyTheme() {
	if a := fyne.CurrentApp(); a != nil {
		a.Settings().SetTheme(newTheme(u.themeMode()))
	}
}

// SetTheme keeps a mode chosen in settings and applies it.
func (u *UI) SetTheme(mode string) {
	if u.cfg.Prefs != nil {
		u.cfg.Prefs.SetString(prefKey(u.cfg, PrefTheme), mode)
	}
	u.themeSet = mode
	u.applyTheme()
	u.rebuild() // backgrounds drawn in the old theme's colours are made again
}

// FitWindow tells the UI the window's width: a phone-width window gets the bright theme unless
// another was chosen. (Config.Width does this at start.)
func (u *UI) FitWindow(width float32) {
	narrow := width < 600
	if narrow == u.narrow {
		return
	}
	u.narrow = narrow
	u.applyTheme()
	u.rebuild()
}
