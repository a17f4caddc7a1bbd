-- The sync server's store on PostgreSQL: the same tables as SQLite's (server/store/sqlite), with
-- the state that SQLite keeps in the server process (the epoch, the server's clock, the log's
-- high-water mark) in one row, head, so that several servers can share the database.
-- Identifiers and codes compare byte-wise (COLLATE "C"), as in SQLite, whatever the database's locale.

-- head is the change log's single cursor row. Every push that appends to the log updates it as
-- its last statement before COMMIT, so cursor ranges are handed out in commit order
-- (docs/postgresql.md). It also holds the epoch, the server's hybrid logical clock and the epoch
-- a pull from beyond the log last rotated to.
CREATE TABLE head (
	id          boolean PRIMARY KEY DEFAULT true CHECK (id),
	cursor      bigint NOT NULL DEFAULT 0,
	hlc         bigint NOT NULL DEFAULT 0,
	epoch       text NOT NULL,
	ahead_epoch text NOT NULL DEFAULT ''
);

CREATE TABLE inspectors (
	id         text COLLATE "C" PRIMARY KEY,
	name       text NOT NULL,
	unit       text COLLATE "C" NOT NULL,
	role       text NOT NULL CHECK (role IN ('inspector', 'officer')),
	created_at timestamptz NOT NULL
);

CREATE TABLE enroll_codes (
	code_hash    text PRIMARY KEY,
	inspector_id text NOT NULL REFERENCES inspectors (id),
	created_at   timestamptz NOT NULL,
	expires_at   timestamptz NOT NULL,
	used_at      timestamptz,
	device_id    text
);

CREATE TABLE devices (
	id             text COLLATE "C" PRIMARY KEY,
	inspector_id   text NOT NULL REFERENCES inspectors (id),
	name           text NOT NULL,
	platform       text NOT NULL,
	token_hash     text NOT NULL UNIQUE,
	enrolled_at    timestamptz NOT NULL,
	revoked_at     timestamptz,
	last_seen      timestamptz,
	last_push      timestamptz,
	skew_ms        bigint NOT NULL DEFAULT 0,
	outbox_pending bigint NOT NULL DEFAULT 0,
	outbox_oldest  text NOT NULL DEFAULT '',
	accepted       bigint NOT NULL DEFAULT 0,
	duplicates     bigint NOT NULL DEFAULT 0,
	rejected       bigint NOT NULL DEFAULT 0
);

-- cursor comes from head at commit, never from a sequence: sequence values are handed out at
-- insert time and can commit out of order, which would let a puller skip a change for ever.
CREATE TABLE changes (
	cursor      bigint PRIMARY KEY,
	id          text COLLATE "C" NOT NULL UNIQUE,
	record_id   text COLLATE "C" NOT NULL,
	entity      text NOT NULL,
	op          text NOT NULL,
	hlc         text COLLATE "C" NOT NULL,
	device_id   text NOT NULL,
	pusher_id   text NOT NULL,
	unit        text COLLATE "C" NOT NULL,
	division    text COLLATE "C" NOT NULL,
	fields      text,
	received_at timestamptz NOT NULL
);
CREATE INDEX changes_unit ON changes (unit, cursor);
CREATE INDEX changes_division ON changes (division, cursor);

CREATE TABLE records (
	id       text COLLATE "C" PRIMARY KEY,
	entity   text NOT NULL,
	unit     text COLLATE "C" NOT NULL,
	units    text NOT NULL DEFAULT '',
	division text COLLATE "C" NOT NULL,
	date     text NOT NULL,
	year     integer NOT NULL,
	deleted  boolean NOT NULL,
	version  text COLLATE "C" NOT NULL,
	state    text NOT NULL
);
CREATE INDEX records_year_unit ON records (year, unit);
CREATE INDEX records_entity_id ON records (entity, id);

CREATE TABLE rejections (
	id        bigserial PRIMARY KEY,
	change_id text NOT NULL,
	device_id text NOT NULL,
	code      text NOT NULL,
	message   text NOT NULL,
	problems  text NOT NULL DEFAULT '',
	at        timestamptz NOT NULL
);

CREATE TABLE targets (
	indicator text COLLATE "C" NOT NULL,
	year      integer NOT NULL,
	target    double precision,
	actual    double precision,
	PRIMARY KEY (indicator, year)
);

CREATE TABLE baselines (
	indicator text COLLATE "C" PRIMARY KEY,
	year      integer NOT NULL,
	value     double precision NOT NULL
);
INSERT INTO baselines (indicator, year, value) VALUES
	('mandatory_insured', 2018, 639820),
	('voluntary_insured', 2018, 194418),
	('cannot_get_info_pct', 2017, 35),
	('satisfaction_pct', 2017, 70);

-- Totals kept current inside every push; column mNN is tally.Metrics[NN], as in SQLite. Rows per
-- soum or district ('leaf'), aimag or the capital ('division') and the nation, for every month
-- (1-12) and the whole year (month 0).
CREATE TABLE totals (
	unit  text COLLATE "C" NOT NULL,
	scope text NOT NULL CHECK (scope IN ('leaf', 'division', 'nation')),
	year  integer NOT NULL,
	month integer NOT NULL,
	m00 bigint NOT NULL DEFAULT 0, -- events
	m01 bigint NOT NULL DEFAULT 0, -- events.open_day
	m02 bigint NOT NULL DEFAULT 0, -- events.market_day
	m03 bigint NOT NULL DEFAULT 0, -- events.herder_meeting
	m04 bigint NOT NULL DEFAULT 0, -- reached
	m05 bigint NOT NULL DEFAULT 0, -- reached.herders
	m06 bigint NOT NULL DEFAULT 0, -- reached.self_employed
	m07 bigint NOT NULL DEFAULT 0, -- reached.unemployed
	m08 bigint NOT NULL DEFAULT 0, -- reached.disabled
	m09 bigint NOT NULL DEFAULT 0, -- reached.abroad
	m10 bigint NOT NULL DEFAULT 0, -- reached.students
	m11 bigint NOT NULL DEFAULT 0, -- reached.pupils
	m12 bigint NOT NULL DEFAULT 0, -- reached.near_pension
	m13 bigint NOT NULL DEFAULT 0, -- reached.employers
	m14 bigint NOT NULL DEFAULT 0, -- reached.employees
	m15 bigint NOT NULL DEFAULT 0, -- reached.other
	m16 bigint NOT NULL DEFAULT 0, -- materials.handbook
	m17 bigint NOT NULL DEFAULT 0, -- materials.brochure
	m18 bigint NOT NULL DEFAULT 0, -- materials.poster
	m19 bigint NOT NULL DEFAULT 0, -- materials.comic
	m20 bigint NOT NULL DEFAULT 0, -- materials.other
	m21 bigint NOT NULL DEFAULT 0, -- consultations
	m22 bigint NOT NULL DEFAULT 0, -- contracts_signed
	m23 bigint NOT NULL DEFAULT 0, -- contributions_mnt
	m24 bigint NOT NULL DEFAULT 0, -- surveys
	m25 bigint NOT NULL DEFAULT 0, -- info_yes
	m26 bigint NOT NULL DEFAULT 0, -- info_partly
	m27 bigint NOT NULL DEFAULT 0, -- info_no
	m28 bigint NOT NULL DEFAULT 0, -- satisfied
	PRIMARY KEY (unit, year, month)
);
CREATE INDEX totals_year_scope ON totals (year, month, scope);

CREATE TABLE users (
	id            text COLLATE "C" PRIMARY KEY,
	name          text NOT NULL,
	role          text NOT NULL CHECK (role IN ('admin', 'viewer', 'officer')),
	unit          text NOT NULL,
	password_hash text NOT NULL,
	created_at    timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_name ON users (lower(name));

CREATE TABLE sessions (
	token_hash text PRIMARY KEY,
	user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf       text NOT NULL,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
