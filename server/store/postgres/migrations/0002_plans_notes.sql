-- Annual plans of the divisions and the half-year report's notes, as SQLite's 0007 and 0008:
-- every version and every saved text kept. seq keeps lines and changes in the order written.
CREATE TABLE plan_versions (
	unit       text COLLATE "C" NOT NULL,
	year       integer NOT NULL,
	version    integer NOT NULL,
	changed_by text NOT NULL,
	source     text NOT NULL,
	changed_at timestamptz NOT NULL,
	PRIMARY KEY (unit, year, version)
);
CREATE TABLE plan_items (
	seq      bigserial,
	unit     text COLLATE "C" NOT NULL,
	year     integer NOT NULL,
	activity text COLLATE "C" NOT NULL,
	h1       integer NOT NULL,
	h2       integer NOT NULL,
	funding  text NOT NULL DEFAULT '',
	cost_mnt bigint,
	PRIMARY KEY (unit, year, activity)
);
CREATE INDEX plan_items_year ON plan_items (year);
CREATE TABLE plan_changes (
	seq      bigserial,
	unit     text COLLATE "C" NOT NULL,
	year     integer NOT NULL,
	version  integer NOT NULL,
	activity text COLLATE "C" NOT NULL,
	before   text,
	after    text,
	PRIMARY KEY (unit, year, version, activity)
);
CREATE TABLE report_notes (
	unit       text COLLATE "C" NOT NULL,
	year       integer NOT NULL,
	half       integer NOT NULL,
	section    text COLLATE "C" NOT NULL,
	text       text NOT NULL,
	changed_by text NOT NULL,
	changed_at timestamptz NOT NULL,
	PRIMARY KEY (unit, year, half, section)
);
CREATE TABLE report_note_history (
	unit       text NOT NULL,
	year       integer NOT NULL,
	half       integer NOT NULL,
	section    text NOT NULL,
	text       text NOT NULL,
	changed_by text NOT NULL,
	changed_at timestamptz NOT NULL
);
