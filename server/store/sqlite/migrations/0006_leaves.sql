-- Protocol 2: each count of reached and materials is a field of its own ("reached.herders") with
-- its own hlc and writer. The merged records are rewritten in Go (upgradeLeaves in leaves.go, in
-- this migration's transaction): each whole counts object becomes its leaves with the object's hlc
-- and writer. The change log stays as it was received; merging a logged whole object gives the
-- same leaves, and totals do not move (the values are the same).
SELECT 1;
