-- Each indicator's baseline: the value the programme measures progress from, and its year.
-- Seeded with the 2019-2022 programme's (DOMAIN.md, Annex 2); headquarters replaces them for a
-- new programme without a code change.
CREATE TABLE baselines (
	indicator TEXT PRIMARY KEY,
	year      INTEGER NOT NULL,
	value     REAL NOT NULL
);
INSERT INTO baselines (indicator, year, value) VALUES
	('mandatory_insured', 2018, 639820),
	('voluntary_insured', 2018, 194418),
	('cannot_get_info_pct', 2017, 35),
	('satisfaction_pct', 2017, 70);
