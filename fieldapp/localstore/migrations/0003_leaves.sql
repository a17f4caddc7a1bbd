-- Protocol 2: each count of reached and materials is a field of its own ("reached.herders") with
-- its own hlc and writer. The rewrite of stored records and outbox entries is done in Go
-- (upgradeLeaves in leaves.go, run in this migration's transaction): each whole counts object
-- becomes its leaves, keeping the object's hlc and writer.
SELECT 1;
