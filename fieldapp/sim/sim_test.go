package sim

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"talbar/shared/record"
)

// TestEventOfEveryKindIsValid: the demo filler makes an event of every kind, and each passes the
// checks a save and the server make (it once could not make a kind it had no places for).
func TestEventOfEveryKindIsValid(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range record.EventKinds {
		b, _ := json.Marshal(Event(rng, k.Code, "MN6501", time.Date(2026, 5, 14, 0, 0, 0, 0, time.UTC)))
		var f map[string]json.RawMessage
		_ = json.Unmarshal(b, &f)
		ps, unknown := record.Validate(record.EntityEvent, f, record.Options{Create: true})
		ps = append(ps, record.Consistency(record.EntityEvent, f)...)
		if len(ps) > 0 || len(unknown) > 0 {
			t.Errorf("%s: %v %v", k.Code, ps, unknown)
		}
	}
}
