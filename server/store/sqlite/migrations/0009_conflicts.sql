-- Conflicts kept for review: a value overwritten by (or lost to) a concurrent edit whose writer
-- had not seen it. One row per lost value (record, field, hlc, device), so every delivery order
-- of the same edits keeps the same rows. kept_* is the value that won when it was found.
CREATE TABLE conflicts (
	id          INTEGER PRIMARY KEY,
	record_id   TEXT NOT NULL,
	entity      TEXT NOT NULL,
	unit        TEXT NOT NULL,
	division    TEXT NOT NULL,
	field       TEXT NOT NULL,
	lost_value  TEXT NOT NULL,
	lost_hlc    TEXT NOT NULL,
	lost_device TEXT NOT NULL,
	kept_value  TEXT NOT NULL,
	kept_hlc    TEXT NOT NULL,
	kept_device TEXT NOT NULL,
	detected_at TEXT NOT NULL,
	state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'kept', 'restored', 'replaced', 'superseded')),
	settled_by  TEXT NOT NULL DEFAULT '',
	settled_at  TEXT,
	UNIQUE (record_id, field, lost_hlc, lost_device)
);
CREATE INDEX conflicts_open ON conflicts (state, division, unit);

-- Each logged change keeps the base versions its writer edited from (syncproto.Change.Base), so
-- devices that pull it can tell when it replaced a value of theirs it had not seen.
ALTER TABLE changes ADD COLUMN base TEXT;
