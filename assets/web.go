package assets

import (
	"embed"
	"io/fs"
)

// web holds vendored browser files (Chart.js with its licence) so the dashboard needs no CDN:
// headquarters networks may be closed.
//
//go:embed web
var web embed.FS

// Web returns the vendored browser files, rooted at web/ ("vendor/chartjs/chart.umd.min.js").
func Web() fs.FS {
	sub, err := fs.Sub(web, "web")
	if err != nil {
		panic("assets: " + err.Error())
	}
	return sub
}
