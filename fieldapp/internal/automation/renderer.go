package automation

import (
	_ "unsafe" // for go:linkname

	"fyne.io/fyne/v2"
)

// rendererOf is the renderer Fyne keeps for a widget (the one drawn, not a new one), as Fyne's
// own object-tree walk and fyne.io/fyne/v2/test.WidgetRenderer use it. The test package cannot be
// imported here: its init replaces the running app with a test app. A Fyne upgrade that renames
// the function fails the build, not the app.
//
//go:linkname rendererOf fyne.io/fyne/v2/internal/cache.Renderer
func rendererOf(wid fyne.Widget) fyne.WidgetRenderer
