// Package push is the server's one push engine: it validates and merges a device's batch in
// memory (Planner) and writes the outcome through a store's narrow transaction (store.PushTx),
// so every backend decides alike and none repeats the sequence.
package push

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"talbar/server/store"
	"talbar/shared/record"
	"talbar/shared/survey"
	"talbar/shared/unit"
	"talbar/syncproto"
)

// Engine pushes into one store.
type Engine struct {
	Store store.Store
	Units *unit.Tree
	// Now is the clock; nil for the wall clock.
	Now func() time.Time
}

// Push validates and merges one device's batch in one transaction: every change id ends in
// exactly one of accepted, duplicates or rejected, and accepted and duplicates are durable when it
// returns. Totals move inside the same transaction.
func (e *Engine) Push(ctx context.Context, p store.Principal, req syncproto.PushRequest) (syncproto.PushResponse, error) {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	at := now().UTC()
	planner := Planner{Units: e.Units, Now: at, SoumInspector: p.Inspector.Role == syncproto.RoleInspector}
	cat, err := e.surveyCatalogue(ctx, req)
	if err != nil {
		return syncproto.PushResponse{}, err
	}
	planner.Survey = cat
	pre := planner.Precheck(req) // pure work, before the transaction
	// A push that raced another one over the same change or record (possible only with several
	// writers, as on PostgreSQL) wrote nothing; merging it again on top of the other is right.
	for attempt := 0; attempt < maxAttempts; attempt++ {
		var resp syncproto.PushResponse
		resp, err = e.try(ctx, planner, pre, p, req, at)
		if !errors.Is(err, store.ErrConflict) {
			return resp, err
		}
	}
	return syncproto.PushResponse{}, fmt.Errorf("%w: push kept conflicting with concurrent pushes: %v", store.ErrUnavailable, err)
}

// surveyCatalogue is the catalogue the push's surveys are checked against. A survey naming a
// version the cached catalogue lacks makes it read the store again: another server process on
// the same database may have added it, and refusing the answer for a stale cache would be wrong.
func (e *Engine) surveyCatalogue(ctx context.Context, req syncproto.PushRequest) (*survey.Catalogue, error) {
	cat, err := e.Store.SurveyCatalogue(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("survey catalogue: %w", err)
	}
	latest := cat.Latest().Version
	for _, c := range req.Changes {
		if c.Entity == record.EntitySurvey && record.Int(c.Fields, record.FieldCatalogueVersion) > int64(latest) {
			if cat, err = e.Store.SurveyCatalogue(ctx, true); err != nil {
				return nil, fmt.Errorf("survey catalogue: %w", err)
			}
			break
		}
	}
	return cat, nil
}

// maxAttempts bounds the retries of a push that conflicts with concurrent ones.
const maxAttempts = 8

func (e *Engine) try(ctx context.Context, planner Planner, pre map[int]syncproto.Rejection, p store.Principal,
	req syncproto.PushRequest, at time.Time) (syncproto.PushResponse, error) {
	tx, err := e.Store.BeginPush(ctx)
	if err != nil {
		return syncproto.PushResponse{}, err
	}
	defer tx.Rollback()

	changeIDs := make([]string, 0, len(req.Changes))
	recordIDs := make([]string, 0, len(req.Changes))
	seenRec := map[string]bool{}
	for _, c := range req.Changes {
		changeIDs = append(changeIDs, c.ID)
		if !seenRec[c.RecordID] {
			seenRec[c.RecordID] = true
			recordIDs = append(recordIDs, c.RecordID)
		}
	}
	known, err := tx.KnownChanges(ctx, changeIDs)
	if err != nil {
		return syncproto.PushResponse{}, err
	}
	existing, err := tx.LoadRecords(ctx, recordIDs)
	if err != nil {
		return syncproto.PushResponse{}, err
	}
	if planner.Devices, err = tx.NamedDevices(ctx, p.DeviceID, req.Changes); err != nil {
		return syncproto.PushResponse{}, err
	}
	if len(existing) > 0 {
		ids := make([]string, 0, len(existing))
		for id := range existing {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		if planner.History, err = tx.History(ctx, ids); err != nil {
			return syncproto.PushResponse{}, err
		}
	}
	plan := planner.Merge(p, req, pre, existing, known)
	if len(plan.Log) > 0 {
		if err := tx.AppendLog(ctx, plan.Log, p.DeviceID, at); err != nil {
			return syncproto.PushResponse{}, err
		}
	}
	if len(plan.Records) > 0 {
		if err := tx.PutRecords(ctx, plan.Records); err != nil {
			return syncproto.PushResponse{}, err
		}
	}
	if len(plan.Deltas) > 0 {
		if err := tx.AddTotals(ctx, plan.Deltas); err != nil {
			return syncproto.PushResponse{}, err
		}
	}
	if len(plan.Rejections) > 0 {
		for i := range plan.Rejections {
			// A record has a few dozen fields at most: 50 problems and 500 characters say enough.
			r := &plan.Rejections[i]
			r.Message = trim(r.Message, 500)
			r.Problems = r.Problems[:min(len(r.Problems), 50)]
		}
		if err := tx.KeepRejections(ctx, plan.Rejections, at); err != nil {
			return syncproto.PushResponse{}, err
		}
	}
	if len(plan.Reviewed) > 0 {
		if err := tx.KeepConflicts(ctx, plan.Reviewed, plan.Conflicts, at); err != nil {
			return syncproto.PushResponse{}, err
		}
	}
	r := plan.Response
	if err := tx.NoteDevice(ctx, p.DeviceID, store.DevicePush{At: at, SkewMillis: plan.SkewMillis,
		OutboxPending: pendingAfter(req.Outbox.Pending, len(r.Accepted)+len(r.Duplicates)),
		OutboxOldest:  trim(req.Outbox.Oldest, 40),
		Accepted:      len(r.Accepted), Duplicates: len(r.Duplicates), Rejected: len(r.Rejected)}); err != nil {
		return syncproto.PushResponse{}, err
	}
	epoch, serverHLC, err := tx.Commit(ctx, plan.MaxHLC)
	if err != nil {
		return syncproto.PushResponse{}, fmt.Errorf("commit push: %w", err)
	}
	r.ServerHLC, r.ServerEpoch = serverHLC, epoch
	return r, nil
}

// pendingAfter is what a device's outbox holds once a push is answered: the device counts its
// outbox before sending, and every change accepted or already known leaves it. Done here rather
// than by the device so every client version reports the same way.
func pendingAfter(reported, delivered int) int {
	return max(0, reported-delivered)
}

// trim cuts s to at most n characters.
func trim(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
