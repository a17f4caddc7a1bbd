package store

import (
	"time"

	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// The page rules every backend's Pull applies.

// PullOverhead is about what a change's envelope adds to its fields on the wire; a page stops at
// its limit or once its changes' fields plus this overhead each reach syncproto.MaxPullBytes.
const PullOverhead = 200

// PullBound is the greatest hlc a pull serves at now. A change stamped beyond it (taken before
// pushes refused them) is never served: a device that observed it would stamp its own edits in
// that future too.
func PullBound(now time.Time) string {
	return hlc.New(now.Add(syncproto.MaxAhead).UnixMilli(), 0xffff).String()
}
