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

// AheadEvidence is how many different inspectors' devices must pull beyond the change log
// before a store takes it as evidence of a restore that it could not see otherwise. One
// device's word is not enough: any enrolled device could send a made-up cursor and make every
// device in the country re-send its records. A device that is ahead alone gets 409
// cursor_ahead and re-sends its own records, which harms nobody.
const AheadEvidence = 2
