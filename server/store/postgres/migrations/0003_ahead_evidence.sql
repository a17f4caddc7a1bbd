-- The inspectors whose devices pulled from beyond the change log under an epoch: a restore is
-- taken as proven, and the epoch rotated, once store.AheadEvidence inspectors have.
CREATE TABLE ahead_pulls (
	epoch        text NOT NULL,
	inspector_id text NOT NULL,
	PRIMARY KEY (epoch, inspector_id)
);
