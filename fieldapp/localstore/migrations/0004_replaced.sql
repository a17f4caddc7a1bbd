-- Values of this device's that a pulled change replaced without its writer having seen them (a
-- concurrent edit that won the merge): the screens tell the inspector, who may restore the value
-- (a new edit) or dismiss the notice. The server keeps the same loss as a conflict for review.
CREATE TABLE replaced (
	id           INTEGER PRIMARY KEY,
	record_id    TEXT NOT NULL,
	field        TEXT NOT NULL,
	mine         TEXT NOT NULL, -- my value, JSON
	mine_hlc     TEXT NOT NULL,
	theirs       TEXT NOT NULL, -- the value that replaced it, JSON
	theirs_hlc   TEXT NOT NULL,
	writer_name  TEXT NOT NULL DEFAULT '',
	at           TEXT NOT NULL,
	state        TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'restored', 'dismissed')),
	UNIQUE (record_id, field, mine_hlc)
);
