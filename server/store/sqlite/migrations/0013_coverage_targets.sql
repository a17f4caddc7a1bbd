-- Coverage targets of the 2019-2022 programme are no longer stored: each year's is derived
-- (shared/indicator.Resolve) from the baseline for 2019 and from the previous year's official
-- actual, or its target while that actual is missing (Annex 2, l.459-460), so a new actual or
-- baseline recomputes it. The defaults the store seeded (compounded on targets) are dropped; a
-- target headquarters typed (any other figure) stays and is used as typed.
UPDATE targets SET target = NULL
WHERE (indicator = 'mandatory_insured' AND ((year = 2019 AND target = 659015) OR (year = 2020 AND target = 678786)
		OR (year = 2021 AND target = 699150) OR (year = 2022 AND target = 720125)))
	OR (indicator = 'voluntary_insured' AND ((year = 2019 AND target = 213860) OR (year = 2020 AND target = 235246)
		OR (year = 2021 AND target = 258771) OR (year = 2022 AND target = 284649)));
DELETE FROM targets
WHERE indicator IN ('mandatory_insured', 'voluntary_insured') AND target IS NULL AND actual IS NULL;
