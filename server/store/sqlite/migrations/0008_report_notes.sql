-- What divisions write into the half-year report (findings, recommendations, feedback, …):
-- the latest text per unit, half-year and section, and every text ever saved.
CREATE TABLE report_notes (
	unit       TEXT NOT NULL,
	year       INTEGER NOT NULL,
	half       INTEGER NOT NULL,
	section    TEXT NOT NULL,
	text       TEXT NOT NULL,
	changed_by TEXT NOT NULL,
	changed_at TEXT NOT NULL,
	PRIMARY KEY (unit, year, half, section)
);
CREATE TABLE report_note_history (
	unit       TEXT NOT NULL,
	year       INTEGER NOT NULL,
	half       INTEGER NOT NULL,
	section    TEXT NOT NULL,
	text       TEXT NOT NULL,
	changed_by TEXT NOT NULL,
	changed_at TEXT NOT NULL
);
