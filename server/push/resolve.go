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
// is no conflict itself. Written once here so every backend settles alike. ErrNotFound for an
// unknown or settled conflict, ErrInvalid for a bad choice or value.
func (e *Engine) Resolve(ctx context.Context, id int64, choice string, value json.RawMessage, writer string) error {
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
	if choice != store.ConflictKept {
		cur, err := e.currentVersion(ctx, c.RecordID, c.Field)
		if err != nil {
			return err
		}
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

// currentVersion is the hlc of a record's field as stored now.
func (e *Engine) currentVersion(ctx context.Context, recordID, field string) (string, error) {
	tx, err := e.Store.BeginPush(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	recs, err := tx.LoadRecords(ctx, []string{recordID})
	if err != nil {
		return "", err
	}
	sr, ok := recs[recordID]
	if !ok {
		return "", fmt.Errorf("%w: record %s", store.ErrNotFound, recordID)
	}
	return sr.Rec.Fields[field].H, nil
}
