package dashboard

import (
	"io/fs"
	"regexp"
	"testing"
)

var (
	tmplAction = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	tmplCode   = regexp.MustCompile(`(?s)<(script|style)\b.*?</(script|style)>`)
	tmplTag    = regexp.MustCompile(`(?s)<[^>]*>`)
	latinWord  = regexp.MustCompile(`[A-Za-z]{2,}`)
)

// TestTemplatesHaveNoLiteralText: every word a template shows comes from the catalogue, so the
// Mongolian dashboard has no English (review 4a: the no-script "OK" buttons, "Talbar"). Only
// format names are written as they are.
func TestTemplatesHaveNoLiteralText(t *testing.T) {
	allowed := map[string]bool{"CSV": true, "XLSX": true}
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, path)
		if err != nil {
			return err
		}
		s := tmplAction.ReplaceAllString(string(b), "")
		s = tmplCode.ReplaceAllString(s, "")
		s = tmplTag.ReplaceAllString(s, " ")
		for _, w := range latinWord.FindAllString(s, -1) {
			if !allowed[w] {
				t.Errorf("%s: literal %q, not from the catalogue", path, w)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
