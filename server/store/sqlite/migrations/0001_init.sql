-- The sync server's store: inspectors and devices, the append-only change log, the merged
-- records derived from it, and totals per soum or district and month kept current with them.

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE inspectors (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	unit       TEXT NOT NULL,
	role       TEXT NOT NULL CHECK (role IN ('inspector', 'officer')),
	created_at TEXT NOT NULL
);

CREATE TABLE enroll_codes (
	code_hash    TEXT PRIMARY KEY,
	inspector_id TEXT NOT NULL REFERENCES inspectors (id),
	created_at   TEXT NOT NULL,
	expires_at   TEXT NOT NULL,
	used_at      TEXT,
	device_id    TEXT
);

CREATE TABLE devices (
	id             TEXT PRIMARY KEY,
	inspector_id   TEXT NOT NULL REFERENCES inspectors (id),
	name           TEXT NOT NULL,
	platform       TEXT NOT NULL,
	token_hash     TEXT NOT NULL UNIQUE,
	enrolled_at    TEXT NOT NULL,
	revoked_at     TEXT,
	last_seen      TEXT,
	last_push      TEXT,
	skew_ms        INTEGER NOT NULL DEFAULT 0,
	outbox_pending INTEGER NOT NULL DEFAULT 0,
	outbox_oldest  TEXT NOT NULL DEFAULT '',
	accepted       INTEGER NOT NULL DEFAULT 0,
	duplicates     INTEGER NOT NULL DEFAULT 0,
	rejected       INTEGER NOT NULL DEFAULT 0
);

-- cursor is assigned inside the committing transaction; with one writer at a time, cursor order
-- is commit order, so a puller can never skip a change that commits later with a smaller cursor.
CREATE TABLE changes (
	cursor      INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	record_id   TEXT NOT NULL,
	entity      TEXT NOT NULL,
	op          TEXT NOT NULL,
	hlc         TEXT NOT NULL,
	device_id   TEXT NOT NULL,
	pusher_id   TEXT NOT NULL,
	unit        TEXT NOT NULL,
	division    TEXT NOT NULL,
	fields      TEXT,
	received_at TEXT NOT NULL
);
CREATE INDEX changes_unit ON changes (unit, cursor);
CREATE INDEX changes_division ON changes (division, cursor);

CREATE TABLE records (
	id       TEXT PRIMARY KEY,
	entity   TEXT NOT NULL,
	unit     TEXT NOT NULL,
	division TEXT NOT NULL,
	date     TEXT NOT NULL,
	year     INTEGER NOT NULL,
	deleted  INTEGER NOT NULL,
	version  TEXT NOT NULL,
	state    TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX records_year_unit ON records (year, unit);

CREATE TABLE rejections (
	id        INTEGER PRIMARY KEY,
	change_id TEXT NOT NULL,
	device_id TEXT NOT NULL,
	code      TEXT NOT NULL,
	message   TEXT NOT NULL,
	at        TEXT NOT NULL
);

CREATE TABLE targets (
	indicator TEXT NOT NULL,
	year      INTEGER NOT NULL,
	target    REAL,
	actual    REAL,
	PRIMARY KEY (indicator, year)
);

-- Totals kept current inside every push; column mNN is tally.Metrics[NN]. Rows exist per soum or
-- district (scope 'leaf'), per aimag or the capital ('division') and for the nation ('nation'),
-- each for every month (1-12) and for the whole year (month 0), so that any total the API or the
-- dashboard asks for is one row, whatever the number of records.
CREATE TABLE totals (
	unit     TEXT NOT NULL,
	scope    TEXT NOT NULL CHECK (scope IN ('leaf', 'division', 'nation')),
	year     INTEGER NOT NULL,
	month    INTEGER NOT NULL,
	m00 INTEGER NOT NULL DEFAULT 0, -- events
	m01 INTEGER NOT NULL DEFAULT 0, -- events.open_day
	m02 INTEGER NOT NULL DEFAULT 0, -- events.market_day
	m03 INTEGER NOT NULL DEFAULT 0, -- events.herder_meeting
	m04 INTEGER NOT NULL DEFAULT 0, -- reached
	m05 INTEGER NOT NULL DEFAULT 0, -- reached.herders
	m06 INTEGER NOT NULL DEFAULT 0, -- reached.self_employed
	m07 INTEGER NOT NULL DEFAULT 0, -- reached.unemployed
	m08 INTEGER NOT NULL DEFAULT 0, -- reached.disabled
	m09 INTEGER NOT NULL DEFAULT 0, -- reached.abroad
	m10 INTEGER NOT NULL DEFAULT 0, -- reached.students
	m11 INTEGER NOT NULL DEFAULT 0, -- reached.pupils
	m12 INTEGER NOT NULL DEFAULT 0, -- reached.near_pension
	m13 INTEGER NOT NULL DEFAULT 0, -- reached.employers
	m14 INTEGER NOT NULL DEFAULT 0, -- reached.employees
	m15 INTEGER NOT NULL DEFAULT 0, -- reached.other
	m16 INTEGER NOT NULL DEFAULT 0, -- materials.handbook
	m17 INTEGER NOT NULL DEFAULT 0, -- materials.brochure
	m18 INTEGER NOT NULL DEFAULT 0, -- materials.poster
	m19 INTEGER NOT NULL DEFAULT 0, -- materials.comic
	m20 INTEGER NOT NULL DEFAULT 0, -- materials.other
	m21 INTEGER NOT NULL DEFAULT 0, -- consultations
	m22 INTEGER NOT NULL DEFAULT 0, -- contracts_signed
	m23 INTEGER NOT NULL DEFAULT 0, -- contributions_mnt
	m24 INTEGER NOT NULL DEFAULT 0, -- surveys
	m25 INTEGER NOT NULL DEFAULT 0, -- info_yes
	m26 INTEGER NOT NULL DEFAULT 0, -- info_partly
	m27 INTEGER NOT NULL DEFAULT 0, -- info_no
	m28 INTEGER NOT NULL DEFAULT 0, -- satisfied
	PRIMARY KEY (unit, year, month)
) WITHOUT ROWID;
CREATE INDEX totals_year_scope ON totals (year, month, scope);
