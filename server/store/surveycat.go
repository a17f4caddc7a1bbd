package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"talbar/assets"
	"talbar/shared/survey"
)

// SurveyCatalogues keeps the survey catalogue (shared/survey): the questions devices render and
// surveys are checked against. Versions are only ever added, so every answer keeps the
// questions it was asked.
type SurveyCatalogues interface {
	// SurveyCatalogue returns every version, oldest first: the embedded default
	// (assets/survey/catalogue.json) until headquarters adds a version. fresh bypasses the
	// store's cache, which other server processes on the same database may have made stale.
	SurveyCatalogue(ctx context.Context, fresh bool) (*survey.Catalogue, error)
	// AddSurveyVersion appends v as the next version, written by by. A version the catalogue
	// refuses (survey.Catalogue.Add) returns its problems and changes nothing.
	AddSurveyVersion(ctx context.Context, v survey.Version, by string) ([]survey.Problem, error)
}

// DefaultSurveyCatalogue is the embedded catalogue a store starts with.
var DefaultSurveyCatalogue = sync.OnceValue(func() *survey.Catalogue {
	return survey.MustParse(assets.SurveyCatalogue())
})

// SurveyVersionRow is one stored version as a backend keeps it: its JSON.
type SurveyVersionRow struct {
	Version int
	Body    []byte
}

// CatalogueOf builds the catalogue from a backend's rows, the default when there are none.
func CatalogueOf(rows []SurveyVersionRow) (*survey.Catalogue, error) {
	if len(rows) == 0 {
		return DefaultSurveyCatalogue(), nil
	}
	c := &survey.Catalogue{}
	for _, r := range rows {
		var v survey.Version
		if err := json.Unmarshal(r.Body, &v); err != nil {
			return nil, fmt.Errorf("survey catalogue version %d: %w", r.Version, err)
		}
		c.Versions = append(c.Versions, v)
	}
	return c, nil
}

// SurveyRowsToAdd returns what a backend inserts to add v to cur (the catalogue it holds, from
// rows stored: stored tells whether any were): the default's versions too when none is stored
// yet, so the store's copy starts as the default. The problems say why v is refused.
func SurveyRowsToAdd(cur *survey.Catalogue, stored bool, v survey.Version) ([]SurveyVersionRow, []survey.Problem) {
	if _, ps := cur.Add(v); len(ps) > 0 {
		return nil, ps
	}
	var out []SurveyVersionRow
	if !stored {
		for _, old := range cur.Versions {
			b, _ := json.Marshal(old)
			out = append(out, SurveyVersionRow{old.Version, b})
		}
	}
	b, _ := json.Marshal(v)
	return append(out, SurveyVersionRow{v.Version, b}), nil
}

// SurveyCache keeps a backend's catalogue between reads: every push checks surveys against it
// and every pull announces its newest version. Versions are only added, so the greatest stored
// version number tells whether the cached copy is current; another server process's (or the
// admin command's) new version is seen at the next read.
type SurveyCache struct {
	mu     sync.Mutex
	cat    *survey.Catalogue
	stored int // the greatest stored version when cat was loaded; 0 for the default
}

// Get returns the cached catalogue when the store's greatest version (max) is still the one it
// was loaded at, and loads it otherwise or when fresh.
func (c *SurveyCache) Get(ctx context.Context, fresh bool, max func(context.Context) (int, error),
	load func(context.Context) (*survey.Catalogue, error)) (*survey.Catalogue, error) {
	n, err := max(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	cat, stored := c.cat, c.stored
	c.mu.Unlock()
	if !fresh && cat != nil && stored == n {
		return cat, nil
	}
	cat, err = load(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.cat, c.stored = cat, n
	c.mu.Unlock()
	return cat, nil
}

// Reset drops the cached catalogue.
func (c *SurveyCache) Reset() {
	c.mu.Lock()
	c.cat = nil
	c.mu.Unlock()
}
