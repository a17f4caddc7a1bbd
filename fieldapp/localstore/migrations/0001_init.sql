-- Records are merge.Record JSON (every field with its hlc and writer) plus the columns the
-- screens filter on, kept in step by the store on every write.
CREATE TABLE records (
	id         TEXT PRIMARY KEY,
	entity     TEXT NOT NULL,
	unit       TEXT NOT NULL DEFAULT '',
	date       TEXT NOT NULL DEFAULT '',
	kind       TEXT NOT NULL DEFAULT '',
	deleted    INTEGER NOT NULL DEFAULT 0,
	sync_state TEXT NOT NULL DEFAULT 'synced' CHECK (sync_state IN ('synced', 'pending', 'rejected')),
	search     TEXT NOT NULL DEFAULT '', -- lower-cased place, notes and suggestion
	version    TEXT NOT NULL DEFAULT '', -- greatest hlc of any field
	data       TEXT NOT NULL
);
CREATE INDEX records_date ON records (date);
CREATE INDEX records_entity_date ON records (entity, date);
CREATE INDEX records_unit_date ON records (unit, date);
CREATE INDEX records_kind_date ON records (kind, date);
CREATE INDEX records_sync_state ON records (sync_state) WHERE sync_state <> 'synced';

-- The outbox: changes made on this device (or re-sent state) the server has not acknowledged.
-- A rejected change stays until a new save of its record supersedes it or the inspector discards it.
CREATE TABLE outbox (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	record_id  TEXT NOT NULL REFERENCES records (id),
	entity     TEXT NOT NULL,
	op         TEXT NOT NULL,
	hlc        TEXT NOT NULL,
	fields     TEXT NOT NULL DEFAULT '{}',
	device_id  TEXT NOT NULL DEFAULT '', -- the writer; '' before enrollment
	created_at TEXT NOT NULL,
	state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'rejected')),
	code       TEXT NOT NULL DEFAULT '',
	message    TEXT NOT NULL DEFAULT '',
	problems   TEXT NOT NULL DEFAULT '',
	-- each field's merged state before this change (null: absent), so discarding a rejected
	-- change puts back what the record held
	before     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX outbox_record ON outbox (record_id);
CREATE INDEX outbox_state ON outbox (state, seq);

-- Small single values: clock, cursor, epoch, enrollment, sync times.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- Reference data from the server's pull.
CREATE TABLE units (
	code    TEXT PRIMARY KEY,
	parent  TEXT NOT NULL,
	level   TEXT NOT NULL,
	name_mn TEXT NOT NULL,
	name_en TEXT NOT NULL,
	lat     REAL NOT NULL DEFAULT 0,
	lon     REAL NOT NULL DEFAULT 0,
	seq     INTEGER NOT NULL
);

CREATE TABLE targets (
	indicator TEXT NOT NULL,
	year      INTEGER NOT NULL,
	target    REAL,
	actual    REAL,
	PRIMARY KEY (indicator, year)
);
