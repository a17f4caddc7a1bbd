-- resent: the change carries state re-sent for a server that lost data (ResendState, or a save
-- that superseded such a change after it was rejected). The values it replaced are the same
-- values, which that server never received, so discarding it would leave the device believing the
-- server holds them: Discard refuses it (the inspector fixes the record instead).
ALTER TABLE outbox ADD COLUMN resent INTEGER NOT NULL DEFAULT 0;

-- Re-sent state written before this column: each field it replaced carries the change's own hlc
-- and writer.
UPDATE outbox SET resent = 1
WHERE before NOT IN ('', '{}', 'null')
	AND NOT EXISTS (SELECT 1 FROM json_each(outbox.before) AS b
		WHERE json_extract(b.value, '$.h') IS NOT outbox.hlc
			OR coalesce(json_extract(b.value, '$.d'), '') NOT IN (outbox.device_id, ''));
