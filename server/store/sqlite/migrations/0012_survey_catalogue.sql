-- The survey catalogue's versions (shared/survey), as headquarters added them; empty while the
-- store uses the embedded default. A version is never changed once stored.
CREATE TABLE survey_versions (
	version  INTEGER PRIMARY KEY,
	body     TEXT NOT NULL,
	added_by TEXT NOT NULL,
	added_at TEXT NOT NULL
);
