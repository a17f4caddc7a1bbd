package localstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"talbar/assets"
	"talbar/shared/survey"
)

// SurveyCatalogue returns the survey catalogue the server sent last, or the one embedded in the
// app before the first pull brings it. The survey form renders the newest version's questions,
// and an edited answer the questions of its own version.
func (db *DB) SurveyCatalogue(ctx context.Context) (*survey.Catalogue, error) {
	db.mu.Lock()
	cat := db.surveyCat
	db.mu.Unlock()
	if cat != nil {
		return cat, nil
	}
	var body string
	err := db.read.QueryRowContext(ctx, `SELECT body FROM survey_catalogue WHERE id = 1`).Scan(&body)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		cat = survey.MustParse(assets.SurveyCatalogue())
	case err != nil:
		return nil, fmt.Errorf("read survey catalogue: %w", err)
	default:
		var ps []survey.Problem
		if cat, ps = survey.Parse([]byte(body)); len(ps) > 0 {
			// storeReference checked it before storing: only a damaged file gets here.
			db.logger.Error("stored survey catalogue unreadable; using the app's own", "problems", fmt.Sprint(ps))
			cat = survey.MustParse(assets.SurveyCatalogue())
		}
	}
	db.mu.Lock()
	db.surveyCat = cat
	db.mu.Unlock()
	return cat, nil
}

// SurveyVersion is the newest catalogue version the device holds: the sync client sends it on
// pull, and the server answers with its catalogue when it has a newer one.
func (db *DB) SurveyVersion(ctx context.Context) (int, error) {
	cat, err := db.SurveyCatalogue(ctx)
	if err != nil {
		return 0, err
	}
	return cat.Latest().Version, nil
}

// storeSurveyCatalogue keeps the server's catalogue. One that does not check out (a server bug,
// or a newer server's form this app cannot read) is not stored: the device keeps the one it has
// and logs why, rather than render a broken form.
func (db *DB) storeSurveyCatalogue(ctx context.Context, tx *sql.Tx, cat *survey.Catalogue) error {
	if ps := cat.Check(); len(ps) > 0 {
		db.logger.Error("server's survey catalogue refused", "problems", fmt.Sprint(ps))
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO survey_catalogue (id, body) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET body = excluded.body`, string(cat.JSON())); err != nil {
		return fmt.Errorf("store survey catalogue: %w", err)
	}
	return nil
}

func (db *DB) invalidateSurvey() {
	db.mu.Lock()
	db.surveyCat = nil
	db.mu.Unlock()
}
