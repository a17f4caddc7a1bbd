package push

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"talbar/server/store"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// Resolve settles an open conflict as store.ConflictKept, ConflictRestored (the lost value is
// written again) or ConflictReplaced (value is written). A written value is pushed through the
// engine as a change of writer's (a dashboard user, "dashboard:NAME"), so it merges, moves the
// totals and reaches the devices by pull like any other; its base is the value it replaces, so it
// is no conflict itself. Written once here so every backend settles alike.
//
// seen is the hlc of the field's current value the reviewer decided against (the page they
// chose on showed it): when the field has changed since, nothing is written or settled and the
// answer is ErrStale, so a decision is never applied to a value its maker did not see. The
// current value is read without a push transaction (no write lock); a change that lands between
// that read and the written value is merged as any concurrent edit, and kept as a conflict.
// ErrNotFound for an unknown or settled conflict or a record that is gone, ErrInvalid for a bad
// choice or value.
func (e *Engine) Resolve(ctx context.Context, id int64, choice string, value json.RawMessage, writer, seen string) error {
	c, err := e.Store.OpenConflict(ctx, id)
	if err != nil {
		return err
	}
	switch choice {
	case store.ConflictKept:
	case store.ConflictRestored:
		value = c.Lost.Value
	case store.ConflictReplaced:
		if len(value) == 0 {
			return fmt.Errorf("%w: a value is required", store.ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: choice %q", store.ErrInvalid, choice)
	}
	if c.Current.HLC == "" {
		return fmt.Errorf("%w: record %s or its field %s", store.ErrNotFound, c.RecordID, c.Field)
	}
	if seen != c.Current.HLC {
		return fmt.Errorf("%w: %s of record %s is now the version of %s, the decision was made against %q",
			store.ErrStale, c.Field, c.RecordID, c.Current.HLC, seen)
	}
	if choice != store.ConflictKept {
		cur := c.Current.HLC
		// The choice must order after the value it replaces, whatever this server's clock says.
		clock := &hlc.Clock{}
		if ts, err := hlc.Parse(cur); err == nil {
			clock.Observe(ts)
		}
		ch := syncproto.Change{ID: uuid.Must(uuid.NewV7()).String(), RecordID: c.RecordID, Entity: c.Entity, Op: syncproto.OpUpsert,
			HLC: clock.Next().String(), Fields: map[string]json.RawMessage{c.Field: value}, Base: map[string]string{c.Field: cur}}
		p := store.Principal{DeviceID: writer, Inspector: store.Inspector{ID: writer, Name: writer, Unit: "MN", Role: syncproto.RoleOfficer}}
		resp, err := e.Push(ctx, p, syncproto.PushRequest{Protocol: syncproto.Protocol, DeviceID: writer, Changes: []syncproto.Change{ch}})
		if err != nil {
			return fmt.Errorf("write the chosen value: %w", err)
		}
		if len(resp.Rejected) > 0 {
			return fmt.Errorf("%w: %s", store.ErrInvalid, resp.Rejected[0].Message)
		}
	}
	return e.Store.SettleConflict(ctx, id, choice, writer)
}
