package store

import (
	"context"
	"time"
)

// ReportNote is what a division wrote into one section of a half-year report: the reasons
// for deviations, partners' and staff's feedback, findings, recommendations, measures taken.
type ReportNote struct {
	Unit    string
	Year    int
	Half    int
	Section string
	Text    string
	By      string
	At      time.Time
}

// ReportNotes keeps the half-year report's narrative (order A/21 l.23: the half-yearly
// evaluation and the measures taken on it; l.410: partners' and staff's feedback), so
// headquarters reads every division's and the next report follows up the previous one.
// Every saved text is kept; the latest is what reports show.
type ReportNotes interface {
	// ReportNotesOf is every unit's latest notes for a half-year: all units when units is empty.
	ReportNotesOf(ctx context.Context, year, half int, units []string) ([]ReportNote, error)
	// SaveReportNote replaces one section's text (empty removes it), keeping the old one.
	SaveReportNote(ctx context.Context, n ReportNote) error
}
