-- The field problems of an invalid change, by code (JSON), so the dashboard can translate them.
ALTER TABLE rejections ADD COLUMN problems TEXT NOT NULL DEFAULT '';
