-- The survey catalogue the server sent (shared/survey, every version as one JSON document): the
-- survey form renders its questions, and answers are checked against the version they name.
-- Empty until the first pull brings it: the app uses the catalogue embedded in it until then.
CREATE TABLE survey_catalogue (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	body TEXT NOT NULL
);
