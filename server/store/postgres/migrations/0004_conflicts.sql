-- Conflicts kept for review: a value overwritten by (or lost to) a concurrent edit whose writer
-- had not seen it. One row per lost value (record, field, hlc, device), so every delivery order
-- of the same edits keeps the same rows. kept_* is the value that won when it was found.
CREATE TABLE conflicts (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	record_id   text COLLATE "C" NOT NULL,
	entity      text NOT NULL,
	unit        text COLLATE "C" NOT NULL,
	division    text COLLATE "C" NOT NULL,
	field       text NOT NULL,
	lost_value  text NOT NULL,
	lost_hlc    text COLLATE "C" NOT NULL,
	lost_device text NOT NULL,
	kept_value  text NOT NULL,
	kept_hlc    text COLLATE "C" NOT NULL,
	kept_device text NOT NULL,
	detected_at timestamptz NOT NULL,
	state       text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'kept', 'restored', 'replaced', 'superseded')),
	settled_by  text NOT NULL DEFAULT '',
	settled_at  timestamptz,
	UNIQUE (record_id, field, lost_hlc, lost_device)
);
CREATE INDEX conflicts_open ON conflicts (state, division, unit);

-- Each logged change keeps the base versions its writer edited from (syncproto.Change.Base), so
-- devices that pull it can tell when it replaced a value of theirs it had not seen.
ALTER TABLE changes ADD COLUMN base text;
