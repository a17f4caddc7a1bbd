-- The change log by record: the push engine decides a record's conflicts from all of its
-- changes (server/push.ConflictSet), so it reads them whenever a push edits the record.
CREATE INDEX changes_record ON changes (record_id);
