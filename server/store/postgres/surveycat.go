package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"talbar/server/store"
	"talbar/shared/survey"
)

var _ store.SurveyCatalogues = (*DB)(nil)

// SurveyCatalogue implements store.SurveyCatalogues.
func (db *DB) SurveyCatalogue(ctx context.Context, fresh bool) (*survey.Catalogue, error) {
	return db.surveys.Get(ctx, fresh, db.surveyMax, func(ctx context.Context) (*survey.Catalogue, error) {
		rows, err := surveyRows(ctx, db.pool)
		if err != nil {
			return nil, err
		}
		return store.CatalogueOf(rows)
	})
}

// AddSurveyVersion implements store.SurveyCatalogues. Two servers adding at once: the version
// number is the primary key, so the second fails and is told the number it should have used.
func (db *DB) AddSurveyVersion(ctx context.Context, v survey.Version, by string) ([]survey.Problem, error) {
	var problems []survey.Problem
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE survey_versions IN EXCLUSIVE MODE`); err != nil {
			return unavailable("lock survey catalogue", err)
		}
		rows, err := surveyRows(ctx, tx)
		if err != nil {
			return err
		}
		cur, err := store.CatalogueOf(rows)
		if err != nil {
			return err
		}
		add, ps := store.SurveyRowsToAdd(cur, len(rows) > 0, v)
		if len(ps) > 0 {
			problems = ps
			return nil
		}
		at := db.now().UTC()
		for _, r := range add {
			if _, err := tx.Exec(ctx, `INSERT INTO survey_versions (version, body, added_by, added_at) VALUES ($1, $2, $3, $4)`,
				r.Version, string(r.Body), by, at); err != nil {
				return unavailable(fmt.Sprintf("add survey version %d", r.Version), err)
			}
		}
		return nil
	})
	if err != nil || problems != nil {
		return problems, err
	}
	db.surveys.Reset()
	return nil, nil
}

func surveyRows(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) ([]store.SurveyVersionRow, error) {
	rows, err := q.Query(ctx, `SELECT version, body FROM survey_versions ORDER BY version`)
	if err != nil {
		return nil, unavailable("read survey catalogue", err)
	}
	defer rows.Close()
	var out []store.SurveyVersionRow
	for rows.Next() {
		var r store.SurveyVersionRow
		var body string
		if err := rows.Scan(&r.Version, &body); err != nil {
			return nil, fmt.Errorf("scan survey version: %w", err)
		}
		r.Body = []byte(body)
		out = append(out, r)
	}
	return out, rows.Err()
}

// surveyMax is the greatest stored catalogue version, 0 while the default is used.
func (db *DB) surveyMax(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM survey_versions`).Scan(&n); err != nil {
		return 0, unavailable("read survey catalogue version", err)
	}
	return n, nil
}
