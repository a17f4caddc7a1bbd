package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"talbar/server/store"
)

var _ store.ReportNotes = (*DB)(nil)

// ReportNotesOf implements store.ReportNotes.
func (db *DB) ReportNotesOf(ctx context.Context, year, half int, units []string) ([]store.ReportNote, error) {
	q := `SELECT unit, section, text, changed_by, changed_at FROM report_notes WHERE year = ? AND half = ?`
	args := []any{year, half}
	if len(units) > 0 {
		q += ` AND unit IN (?` + strings.Repeat(`, ?`, len(units)-1) + `)`
		for _, u := range units {
			args = append(args, u)
		}
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY unit, section`, args...)
	if err != nil {
		return nil, fmt.Errorf("read report notes: %w", err)
	}
	defer rows.Close()
	var out []store.ReportNote
	for rows.Next() {
		n := store.ReportNote{Year: year, Half: half}
		var at string
		if err := rows.Scan(&n.Unit, &n.Section, &n.Text, &n.By, &at); err != nil {
			return nil, fmt.Errorf("scan report note: %w", err)
		}
		n.At, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, n)
	}
	return out, rows.Err()
}

// SaveReportNote implements store.ReportNotes.
func (db *DB) SaveReportNote(ctx context.Context, n store.ReportNote) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin note save: %w", err)
	}
	defer tx.Rollback()
	at := db.stamp()
	if n.Text == "" {
		_, err = tx.ExecContext(ctx, `DELETE FROM report_notes WHERE unit = ? AND year = ? AND half = ? AND section = ?`, n.Unit, n.Year, n.Half, n.Section)
	} else {
		_, err = tx.ExecContext(ctx, `INSERT INTO report_notes (unit, year, half, section, text, changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (unit, year, half, section) DO UPDATE SET text = excluded.text, changed_by = excluded.changed_by, changed_at = excluded.changed_at`,
			n.Unit, n.Year, n.Half, n.Section, n.Text, n.By, at)
	}
	if err != nil {
		return fmt.Errorf("save report note: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO report_note_history (unit, year, half, section, text, changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		n.Unit, n.Year, n.Half, n.Section, n.Text, n.By, at); err != nil {
		return fmt.Errorf("keep report note: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit note save: %w", err)
	}
	return nil
}
