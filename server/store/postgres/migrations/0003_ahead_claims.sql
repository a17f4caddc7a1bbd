-- Inspectors whose devices pulled beyond the change log, per epoch: the evidence of a restore
-- is kept in the database, so it counts alike on every server process (store.AheadEvidence).
CREATE TABLE ahead_claims (
	epoch        text NOT NULL,
	inspector_id text NOT NULL,
	claimed_at   timestamptz NOT NULL,
	PRIMARY KEY (epoch, inspector_id)
);
