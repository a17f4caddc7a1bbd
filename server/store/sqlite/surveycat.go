package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"talbar/server/store"
	"talbar/shared/survey"
)

var _ store.SurveyCatalogues = (*DB)(nil)

// SurveyCatalogue implements store.SurveyCatalogues.
func (db *DB) SurveyCatalogue(ctx context.Context, fresh bool) (*survey.Catalogue, error) {
	return db.surveys.Get(ctx, fresh, db.surveyMax, func(ctx context.Context) (*survey.Catalogue, error) {
		rows, err := surveyRows(ctx, db.read)
		if err != nil {
			return nil, err
		}
		return store.CatalogueOf(rows)
	})
}

// AddSurveyVersion implements store.SurveyCatalogues.
func (db *DB) AddSurveyVersion(ctx context.Context, v survey.Version, by string) ([]survey.Problem, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin survey version: %w", err)
	}
	defer tx.Rollback()
	rows, err := surveyRows(ctx, tx)
	if err != nil {
		return nil, err
	}
	cur, err := store.CatalogueOf(rows)
	if err != nil {
		return nil, err
	}
	add, ps := store.SurveyRowsToAdd(cur, len(rows) > 0, v)
	if len(ps) > 0 {
		return ps, nil
	}
	at := db.stamp()
	for _, r := range add {
		if _, err := tx.ExecContext(ctx, `INSERT INTO survey_versions (version, body, added_by, added_at) VALUES (?, ?, ?, ?)`,
			r.Version, string(r.Body), by, at); err != nil {
			return nil, fmt.Errorf("add survey version %d: %w", r.Version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit survey version: %w", err)
	}
	db.surveys.Reset()
	return nil, nil
}

func surveyRows(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]store.SurveyVersionRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT version, body FROM survey_versions ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("read survey catalogue: %w", err)
	}
	defer rows.Close()
	var out []store.SurveyVersionRow
	for rows.Next() {
		var r store.SurveyVersionRow
		if err := rows.Scan(&r.Version, &r.Body); err != nil {
			return nil, fmt.Errorf("scan survey version: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// surveyMax is the greatest stored catalogue version, 0 while the default is used.
func (db *DB) surveyMax(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM survey_versions`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read survey catalogue version: %w", err)
	}
	return n, nil
}
