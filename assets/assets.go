// Package assets embeds the product's reference data and translations so that one binary carries
// everything it needs, with no network at run time. It imports nothing of the project's; callers
// parse what they take (shared/unit for units, shared/i18n for the catalogues).
//
// Sources and licences of the data are in data/SOURCES.md and ATTRIBUTION.md.
package assets

import (
	"embed"
	"io/fs"
	"strings"
)

//go:embed data/mn_units.csv data/mn_aimags.geojson data/mn_soums.geojson data/mn_aimag_codes.csv
var data embed.FS

//go:embed i18n/*.json
var i18n embed.FS

//go:embed survey/catalogue.json
var surveyCatalogue []byte

// UnitsCSV is the administrative tree: code,parent,level,name_mn,name_en,lat,lon.
func UnitsCSV() []byte { return must(data.ReadFile("data/mn_units.csv")) }

// AimagsGeoJSON is the boundaries of the 21 aimags and the capital.
func AimagsGeoJSON() []byte { return must(data.ReadFile("data/mn_aimags.geojson")) }

// SoumsGeoJSON is the boundaries of the soums and districts.
func SoumsGeoJSON() []byte { return must(data.ReadFile("data/mn_soums.geojson")) }

// SurveyCatalogue is the survey catalogue a new store starts with (shared/survey parses it):
// afterwards headquarters adds versions to the store's copy, which devices pull.
func SurveyCatalogue() []byte { return surveyCatalogue }

// Translations returns the catalogue files, named "<area>.<lang>.json" (common, fieldapp,
// dashboard…), grouped by language code ("mn", "en"). Each area keeps its own file so that the
// field app's and the dashboard's strings can grow without touching each other.
func Translations() map[string][][]byte {
	out := map[string][][]byte{}
	ents, _ := fs.ReadDir(i18n, "i18n")
	for _, e := range ents {
		parts := strings.Split(e.Name(), ".")
		if len(parts) != 3 || parts[2] != "json" {
			continue
		}
		out[parts[1]] = append(out[parts[1]], must(i18n.ReadFile("i18n/"+e.Name())))
	}
	return out
}

// must panics on an embedded file that is missing: a build error, not a run-time condition.
func must(b []byte, err error) []byte {
	if err != nil {
		panic("assets: " + err.Error())
	}
	return b
}
