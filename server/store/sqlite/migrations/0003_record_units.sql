-- Every soum or district a record has belonged to, comma-separated. An edit is in a device's
-- scope if any of them is: an inspector's offline edit of a record an officer has since moved
-- away is then accepted whichever arrives first, so the merged record does not depend on the
-- order of delivery. Empty for records written before this column: their current unit stands in.
ALTER TABLE records ADD COLUMN units TEXT NOT NULL DEFAULT '';
