-- Annual plans of the divisions (order A/21 §4.2, Annex 1): a unit's lines for a year, each
-- saved version, and what each version changed, so "who changed what, when" stays answerable.
CREATE TABLE plan_versions (
	unit       TEXT NOT NULL,
	year       INTEGER NOT NULL,
	version    INTEGER NOT NULL,
	changed_by TEXT NOT NULL,
	source     TEXT NOT NULL,
	changed_at TEXT NOT NULL,
	PRIMARY KEY (unit, year, version)
);
CREATE TABLE plan_items (
	unit     TEXT NOT NULL,
	year     INTEGER NOT NULL,
	activity TEXT NOT NULL,
	h1       INTEGER NOT NULL,
	h2       INTEGER NOT NULL,
	funding  TEXT NOT NULL DEFAULT '',
	cost_mnt INTEGER,
	PRIMARY KEY (unit, year, activity)
);
CREATE INDEX plan_items_year ON plan_items (year);
CREATE TABLE plan_changes (
	unit     TEXT NOT NULL,
	year     INTEGER NOT NULL,
	version  INTEGER NOT NULL,
	activity TEXT NOT NULL,
	before   TEXT,
	after    TEXT,
	PRIMARY KEY (unit, year, version, activity)
);
