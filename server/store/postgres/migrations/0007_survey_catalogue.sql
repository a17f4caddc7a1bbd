-- The survey catalogue's versions, as SQLite's 0012: empty while the store uses the embedded
-- default; a version is never changed once stored.
CREATE TABLE survey_versions (
	version  integer PRIMARY KEY,
	body     text NOT NULL,
	added_by text NOT NULL,
	added_at timestamptz NOT NULL
);
