package push

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"

	"talbar/server/store"
	"talbar/shared/record"
	"talbar/shared/survey"
	"talbar/shared/tally"
	"talbar/shared/unit"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
	"talbar/syncproto/merge"
)

// Plan is the outcome of merging one push, computed in memory so that every implementation of
// Store decides alike; the implementation only loads what Plan asks for and writes what it returns.
type Plan struct {
	Response syncproto.PushResponse
	// Log is the accepted changes in request order, to append to the change log.
	Log []store.LogEntry
	// Records is every record whose merged state changed, by id.
	Records map[string]*store.StoredRecord
	// Deltas is how much each (leaf, year, month) total moves.
	Deltas map[tally.Key]tally.Vector
	// Rejections to keep for headquarters.
	Rejections []store.Rejection
	// MaxHLC is the greatest hlc accepted (none is beyond syncproto.MaxAhead), for the server clock.
	MaxHLC hlc.Timestamp
	// SkewMillis is device_time minus server time, or 0 when device_time is missing.
	SkewMillis int64
	// Reviewed are the records whose conflict set this push recomputed, sorted, and Conflicts
	// that set (ConflictSet over the record's whole log): a kept row of these records not in it
	// no longer stands.
	Reviewed  []string
	Conflicts []store.Conflict
}

// Planner merges pushes in memory: Precheck validates what needs no store, Merge decides every
// change given the records and change ids the store already holds.
type Planner struct {
	Units *unit.Tree
	Now   time.Time
	// Devices maps the other devices a batch's changes name in device_id to their inspector's
	// unit, for those the store has enrolled (see writerOf).
	Devices map[string]string
	// Survey checks each survey that names its catalogue_version against that version's
	// questions; nil checks surveys as before the catalogue.
	Survey *survey.Catalogue
	// History is the logged changes of the batch's records that exist, by record id: the
	// conflicts are decided from all of a record's changes, not from its stored winners.
	History map[string][]store.LogEntry
	// SoumInspector is set when the pushing device is a soum or khoroo inspector's: the kinds
	// only a division records (record.DivisionOnly) are refused from it.
	SoumInspector bool
}

// Precheck validates what can be checked without the store: ids, op, entity, hlc and fields.
// It returns the rejection for each change that fails, by index.
func (p Planner) Precheck(req syncproto.PushRequest) map[int]syncproto.Rejection {
	out := map[int]syncproto.Rejection{}
	for i, c := range req.Changes {
		if rej, bad := p.precheck(c); bad {
			rej.ID = c.ID
			out[i] = rej
		}
	}
	return out
}

func (p Planner) precheck(c syncproto.Change) (syncproto.Rejection, bool) {
	rej := func(code, msg string, a ...any) (syncproto.Rejection, bool) {
		return syncproto.Rejection{Code: code, Message: fmt.Sprintf(msg, a...)}, true
	}
	if !validID(c.ID) {
		return rej(syncproto.RejectInvalidID, "change id %q is not a UUID", c.ID)
	}
	if !validID(c.RecordID) {
		return rej(syncproto.RejectInvalidID, "record_id %q is not a UUID", c.RecordID)
	}
	if !record.KnownEntity(c.Entity) {
		return rej(syncproto.RejectUnknownEntity, "entity %q is not known to this server", c.Entity)
	}
	if c.Op != syncproto.OpUpsert && c.Op != syncproto.OpDelete {
		return rej(syncproto.RejectInvalidOp, "op %q is neither upsert nor delete", c.Op)
	}
	if _, err := hlc.Parse(c.HLC); err != nil {
		return rej(syncproto.RejectInvalidHLC, "%v", err)
	}
	if c.DeviceID != "" && !record.CanonicalID(c.DeviceID) {
		return rej(syncproto.RejectInvalidID, "device_id %q is not a device id", c.DeviceID)
	}
	if ts, _ := hlc.Parse(c.HLC); !p.Now.IsZero() && ts > hlc.New(p.Now.Add(syncproto.MaxAhead).UnixMilli(), 0xffff) {
		// A device clock far ahead would otherwise win every later edit for as long as its lead.
		return rej(syncproto.RejectClockAhead, "hlc %s is %s ahead of the server's clock (at most %s allowed): re-stamp it and send it again",
			c.HLC, ts.Time().Sub(p.Now).Round(time.Second), syncproto.MaxAhead)
	}
	if c.Op == syncproto.OpUpsert {
		opt := record.Options{Units: p.Units, SoumInspector: p.SoumInspector}
		if p.Survey != nil {
			opt.Survey = p.Survey
		}
		if !p.Now.IsZero() {
			opt.Latest = record.LatestDate(p.Now)
		}
		probs, _ := record.Validate(c.Entity, c.Fields, opt)
		if len(probs) > 0 {
			r := syncproto.Rejection{Code: syncproto.RejectInvalid, Message: problemsMessage(probs)}
			for _, pr := range probs {
				r.Problems = append(r.Problems, syncproto.Problem(pr))
			}
			return r, true
		}
	}
	return syncproto.Rejection{}, false
}

func problemsMessage(probs []record.Problem) string {
	s := ""
	for i, p := range probs {
		if i > 0 {
			s += "; "
		}
		s += p.Field + " " + p.Message
	}
	return s
}

// writerOf is the device a change is merged and logged as written by. An epoch re-send names
// each field's original writer in device_id, and keeping it keeps every replica's (hlc, device)
// order exact; but a device must not pass its edits off as another's nor win ties with a made-up
// name. So device_id is kept only when it names a device this store enrolled whose unit and the
// pusher's unit contain one another (a soum's inspectors and their aimag's officer); otherwise
// the pusher is the writer. The re-sent field keeps its hlc either way.
func (p Planner) writerOf(pr store.Principal, c syncproto.Change) string {
	if c.DeviceID == "" || c.DeviceID == pr.DeviceID {
		return pr.DeviceID
	}
	u, ok := p.Devices[c.DeviceID]
	mine := unit.Code(pr.Inspector.Unit)
	if ok && (u == pr.Inspector.Unit || p.Units.Contains(mine, unit.Code(u)) || p.Units.Contains(unit.Code(u), mine)) {
		return c.DeviceID
	}
	return pr.DeviceID
}

// questionnaire is p.Survey as validation takes it: a nil interface when there is none.
func (p Planner) questionnaire() record.Questionnaire {
	if p.Survey == nil {
		return nil
	}
	return p.Survey
}

// validID accepts only canonical UUIDs (DecodePush lower-cases them), so one record has one id.
func validID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && record.CanonicalID(s)
}

// Merge decides every change of req given the records the store holds (existing, by id) and the
// change ids it already logged (known). It mutates nothing it was given.
func (p Planner) Merge(pr store.Principal, req syncproto.PushRequest, pre map[int]syncproto.Rejection,
	existing map[string]*store.StoredRecord, known map[string]bool) *Plan {
	plan := &Plan{Records: map[string]*store.StoredRecord{}, Deltas: map[tally.Key]tally.Vector{}}
	resp := &plan.Response
	resp.Accepted, resp.Duplicates, resp.Rejected, resp.Warnings = []string{}, []string{}, []syncproto.Rejection{}, []syncproto.Warning{}
	reject := func(r syncproto.Rejection) {
		resp.Rejected = append(resp.Rejected, r)
		plan.Rejections = append(plan.Rejections, store.Rejection{ChangeID: r.ID, DeviceID: pr.DeviceID, Code: r.Code, Message: r.Message, Problems: r.Problems, At: p.Now})
	}

	if dt, err := time.Parse(time.RFC3339Nano, req.DeviceTime); err == nil {
		plan.SkewMillis = dt.Sub(p.Now).Milliseconds()
		if d := time.Duration(plan.SkewMillis) * time.Millisecond; d > syncproto.SkewWarning || d < -syncproto.SkewWarning {
			resp.Warnings = append(resp.Warnings, syncproto.Warning{Code: syncproto.WarnClockSkew,
				Message: fmt.Sprintf("device clock is %s off the server's", d.Round(time.Second))})
		}
	}

	mayPush := pr.Inspector.Role == syncproto.RoleInspector || pr.Inspector.Role == syncproto.RoleOfficer
	inScope := func(leaf string) bool {
		return leaf != "" && p.Units.IsLeaf(leaf) && p.Units.Contains(unit.Code(pr.Inspector.Unit), unit.Code(leaf))
	}

	work := map[string]*store.StoredRecord{}
	before := map[string]struct {
		key tally.Key
		vec tally.Vector
		ok  bool
	}{}
	// seen holds the ids met earlier in this batch: a repeat of an accepted one is a duplicate,
	// a repeat of a rejected one is already answered.
	seen := map[string]bool{}
	for i, c := range req.Changes {
		if accepted, ok := seen[c.ID]; ok && !accepted {
			continue
		}
		if known[c.ID] || seen[c.ID] {
			resp.Duplicates = append(resp.Duplicates, c.ID)
			continue
		}
		seen[c.ID] = false
		if r, bad := pre[i]; bad {
			reject(r)
			continue
		}
		rej := func(code, msg string) { reject(syncproto.Rejection{ID: c.ID, Code: code, Message: msg}) }
		if !mayPush {
			rej(syncproto.RejectForbidden, "role "+pr.Inspector.Role+" may not push records")
			continue
		}
		sr := work[c.RecordID]
		if sr == nil {
			if ex := existing[c.RecordID]; ex != nil {
				cp := *ex
				cp.Rec.Fields = make(map[string]merge.Field, len(ex.Rec.Fields))
				for k, v := range ex.Rec.Fields {
					cp.Rec.Fields[k] = v
				}
				sr = &cp
				k, v, ok := tally.Of(sr.Rec.Entity, sr.Rec.FlatValues())
				before[c.RecordID] = struct {
					key tally.Key
					vec tally.Vector
					ok  bool
				}{k, v, ok}
			}
		}
		isNew := sr == nil
		if !isNew {
			if sr.Rec.Entity != c.Entity {
				rej(syncproto.RejectEntityMismatch, fmt.Sprintf("record %s is a %s, not a %s", c.RecordID, sr.Rec.Entity, c.Entity))
				continue
			}
			// A record is the business of every unit it has belonged to, so an offline edit made
			// before an officer moved it is accepted whether it arrives before or after the move.
			// A record new in this batch may not have its unit yet; the completeness check below
			// refuses it if it never gets one.
			if (sr.Existed || len(sr.Units) > 0) && !sr.HeldBy(inScope) {
				rej(syncproto.RejectOwnedElsewhere, fmt.Sprintf("record %s belongs to %s, outside %s", c.RecordID, sr.Unit, pr.Inspector.Unit))
				continue
			}
			// Moved out of the caller's scope: only an edit made before the move (concurrent
			// with it) is still theirs to make; a later one is refused, never lost silently.
			if mv, ok := sr.Rec.Fields["unit"]; ok && sr.Unit != "" && !inScope(sr.Unit) && c.HLC > mv.H {
				r := syncproto.Rejection{ID: c.ID, Code: syncproto.RejectMovedAway,
					Message:  fmt.Sprintf("record %s was moved to %s, outside %s", c.RecordID, sr.Unit, pr.Inspector.Unit),
					Problems: []syncproto.Problem{{Field: "unit", Code: syncproto.RejectMovedAway, Message: sr.Unit}}}
				reject(r)
				continue
			}
		} else {
			if c.Op == syncproto.OpDelete {
				rej(syncproto.RejectNotFound, "cannot delete record "+c.RecordID+": the server never received it")
				continue
			}
		}
		if u, ok := c.Fields["unit"]; ok && c.Op == syncproto.OpUpsert {
			var code string
			_ = json.Unmarshal(u, &code)
			if !inScope(code) {
				rej(syncproto.RejectOutOfScope, fmt.Sprintf("unit %s is outside %s", code, pr.Inspector.Unit))
				// Kept for headquarters only (not sent back): which unit it was, by code.
				plan.Rejections[len(plan.Rejections)-1].Problems = []syncproto.Problem{{Field: "unit", Code: syncproto.RejectOutOfScope, Message: code}}
				continue
			}
		}
		if isNew {
			sr = &store.StoredRecord{Rec: merge.Record{ID: c.RecordID, Entity: c.Entity, Fields: make(map[string]merge.Field, len(c.Fields)+1)}}
		}
		if c.Op == syncproto.OpUpsert {
			if pb := record.UnknownBudget(c.Entity, sr.Rec.FlatValues(), c.Fields); pb != nil {
				reject(syncproto.Rejection{ID: c.ID, Code: syncproto.RejectInvalid, Message: problemsMessage([]record.Problem{*pb}),
					Problems: []syncproto.Problem{syncproto.Problem(*pb)}})
				continue
			}
		}
		writer := p.writerOf(pr, c)
		// Rules between fields (a group above the total, an "other" without its description) are
		// checked on the record as this change would leave it. State re-sent after a restore
		// (no base, record known) is the device's own merged state and is taken as it is.
		var trial *merge.Record
		if c.Op == syncproto.OpUpsert && (isNew || c.Base != nil) {
			var probs []record.Problem
			if probs, trial = breaksRule(sr, c, writer); len(probs) > 0 {
				r := syncproto.Rejection{ID: c.ID, Code: syncproto.RejectInvalid, Message: problemsMessage(probs)}
				for _, pb := range probs {
					r.Problems = append(r.Problems, syncproto.Problem(pb))
				}
				reject(r)
				continue
			}
		}
		prevUnit, prevDivision := sr.Unit, sr.Division
		if trial != nil {
			sr.Rec = *trial // breaksRule merged c into a copy already: the same record, once
		} else {
			merge.Apply(&sr.Rec, c, writer)
		}
		sr.Columns(p.Units)
		work[c.RecordID] = sr
		plan.Records[c.RecordID] = sr

		for _, f := range record.UnknownWith(c.Entity, c.Fields, p.questionnaire()) {
			resp.Warnings = append(resp.Warnings, syncproto.Warning{ID: c.ID, Code: syncproto.WarnUnknownField,
				Message: "field " + f + " is not known to this server; kept as sent"})
		}
		ts, _ := hlc.Parse(c.HLC)
		// Precheck refused every hlc beyond syncproto.MaxAhead, so none can drag the server's clock.
		if ts > plan.MaxHLC {
			plan.MaxHLC = ts
		}
		lc := c
		lc.DeviceID = ""
		if c.Op == syncproto.OpDelete {
			lc.Fields = nil // a delete carries no fields; whatever was sent is neither kept nor served
		}
		plan.Log = append(plan.Log, store.LogEntry{Change: lc, DeviceID: writer, Unit: sr.Unit, Division: sr.Division})
		if prevUnit != "" && prevUnit != sr.Unit {
			plan.Log = append(plan.Log, moved(lc, sr, writer, prevUnit, prevDivision)...)
		}
		resp.Accepted = append(resp.Accepted, c.ID)
		seen[c.ID] = true
	}

	p.refuseIncomplete(plan, reject)
	p.review(plan)

	// Totals move by the difference between each record's contribution before and after.
	ids := make([]string, 0, len(plan.Records))
	for id := range plan.Records {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if b := before[id]; b.ok {
			addDelta(plan.Deltas, b.key, b.vec, -1)
		}
		sr := plan.Records[id]
		if k, v, ok := tally.Of(sr.Rec.Entity, sr.Rec.FlatValues()); ok {
			addDelta(plan.Deltas, k, v, 1)
		}
	}
	for k, v := range plan.Deltas {
		if v.IsZero() {
			delete(plan.Deltas, k)
		}
	}
	return plan
}

// ruleFields are the fields record.Consistency reads besides the counts objects.
var ruleFields = map[string]bool{"kind": true, "kind_other": true, "reached_total": true, "messages_sent": true}

// breaksRule returns the problems of record.Consistency that merging c into sr would bring
// about and that are about a field c sets: a problem the record already had (concurrent edits
// can leave one) is not this change's doing, and an edit of other fields stays possible. The
// record with c merged in is returned too (nil when no rule was checked), so the caller need not
// merge c a second time. Consistency reads counts from their leaves as well as from whole
// objects, so it is given FlatValues: putting the objects together (Values) only for Consistency
// to take them apart again was a third of this check.
func breaksRule(sr *store.StoredRecord, c syncproto.Change, writer string) ([]record.Problem, *merge.Record) {
	fields := merge.Leaves(c.Fields)
	touches := false
	for k := range fields {
		parent := k
		if par, _, ok := record.LeafOf(k); ok {
			parent = par
		}
		if ruleFields[k] || record.IsCounts(parent) {
			touches = true
			break
		}
	}
	if !touches || c.Entity != record.EntityEvent {
		return nil, nil
	}
	trial := merge.Record{ID: sr.Rec.ID, Entity: sr.Rec.Entity, Fields: make(map[string]merge.Field, len(sr.Rec.Fields)+len(fields))}
	for k, f := range sr.Rec.Fields {
		trial.Fields[k] = f
	}
	had := map[[2]string]bool{}
	if len(trial.Fields) > 0 { // a new record has no problems of its own yet
		for _, pb := range record.Consistency(c.Entity, trial.FlatValues()) {
			had[[2]string{pb.Field, pb.Code}] = true
		}
	}
	merge.Apply(&trial, c, writer)
	var out []record.Problem
	for _, pb := range record.Consistency(c.Entity, trial.FlatValues()) {
		if had[[2]string{pb.Field, pb.Code}] {
			continue
		}
		for k := range fields {
			if record.Involves(pb, k) {
				out = append(out, pb)
				break
			}
		}
	}
	return out, &trial
}

// review recomputes the conflict set of every record the batch changed that existed (its rows
// may need their kept value refreshed or be withdrawn) or that a change with a base touched.
func (p Planner) review(plan *Plan) {
	if len(plan.Records) == 0 {
		return
	}
	batch := map[string][]store.LogEntry{}
	for _, e := range plan.Log {
		batch[e.Change.RecordID] = append(batch[e.Change.RecordID], e)
	}
	ids := make([]string, 0, len(plan.Records))
	for id := range plan.Records {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		sr := plan.Records[id]
		mine := batch[id]
		if !sr.Existed && !anyBase(mine) {
			continue // a new record without a base: nothing can be lost yet (the usual create)
		}
		all := append(append(make([]store.LogEntry, 0, len(p.History[id])+len(mine)), p.History[id]...), mine...)
		plan.Reviewed = append(plan.Reviewed, id)
		plan.Conflicts = append(plan.Conflicts, ConflictSet(sr, all, p.Now)...)
	}
}

func anyBase(es []store.LogEntry) bool {
	for _, e := range es {
		if len(e.Change.Base) > 0 {
			return true
		}
	}
	return false
}

// moveNamespace derives the ids of the log entries a move adds, so the same move always adds the
// same entries.
var moveNamespace = uuid.MustParse("6f1d2a4e-5b0c-4c1e-9d3a-7a2b8c9d0e1f")

// moved returns the extra log entries that keep devices right when a change moves a record to
// another soum or district: the move itself under the old unit, so devices there learn that the
// record left, and the record's whole state under the new unit, so devices there, which never saw
// its earlier changes, receive it whole. Each state entry carries its fields' original hlc and
// writer, so merging it changes nothing anywhere else.
func moved(c syncproto.Change, sr *store.StoredRecord, writer, oldUnit, oldDivision string) []store.LogEntry {
	derive := func(tag string) string { return uuid.NewSHA1(moveNamespace, []byte(c.ID+"/"+tag)).String() }
	old := c
	old.ID = derive("from")
	out := []store.LogEntry{{Change: old, DeviceID: writer, Unit: oldUnit, Division: oldDivision, Derived: true}}
	for i, sc := range sr.Rec.State() {
		st := sc.Change
		st.ID = derive(fmt.Sprintf("state/%d", i))
		out = append(out, store.LogEntry{Change: st, DeviceID: sc.Device, Unit: sr.Unit, Division: sr.Division, Derived: true})
	}
	return out
}

// refuseIncomplete takes back every change of a record that is new to the store and still lacks a
// required field after the whole batch: a record's first upsert must carry its required fields,
// though it may be split over several changes of one batch (as an epoch re-send is).
func (p Planner) refuseIncomplete(plan *Plan, reject func(syncproto.Rejection)) {
	refused := map[string][]syncproto.Problem{}
	for id, sr := range plan.Records {
		if sr.Existed {
			continue
		}
		var missing []syncproto.Problem
		for _, f := range record.Required(sr.Rec.Entity) {
			// Required fields are plain fields, never a counts object: a look-up, not FlatValues.
			if v, ok := sr.Rec.Fields[f]; !ok || isNull(v.V) {
				missing = append(missing, syncproto.Problem{Field: f, Code: record.ErrRequired, Message: "is required"})
			}
		}
		if len(missing) > 0 {
			refused[id] = missing
			delete(plan.Records, id)
		}
	}
	if len(refused) == 0 {
		return
	}
	drop := map[string]bool{}
	log := plan.Log[:0]
	for _, e := range plan.Log {
		if probs, ok := refused[e.Change.RecordID]; ok {
			if !e.Derived {
				drop[e.Change.ID] = true
				reject(syncproto.Rejection{ID: e.Change.ID, Code: syncproto.RejectInvalid,
					Message: "the first upsert of a record must carry its required fields", Problems: probs})
			}
			continue
		}
		log = append(log, e)
	}
	plan.Log = log
	acc := plan.Response.Accepted[:0]
	for _, id := range plan.Response.Accepted {
		if !drop[id] {
			acc = append(acc, id)
		}
	}
	plan.Response.Accepted = acc
	// An in-batch repeat of a refused change was answered as a duplicate; it is refused too, once.
	dups := plan.Response.Duplicates[:0]
	for _, id := range plan.Response.Duplicates {
		if !drop[id] {
			dups = append(dups, id)
		}
	}
	plan.Response.Duplicates = dups
	warns := plan.Response.Warnings[:0]
	for _, w := range plan.Response.Warnings {
		if !drop[w.ID] {
			warns = append(warns, w)
		}
	}
	plan.Response.Warnings = warns
}

func addDelta(m map[tally.Key]tally.Vector, k tally.Key, v tally.Vector, sign int64) {
	d := m[k]
	if d == nil {
		d = tally.New()
		m[k] = d
	}
	for i, x := range v {
		d[i] += sign * x
	}
}

// isNull says whether a merged value clears its field (Apply compacts values, so null is exact).
func isNull(v json.RawMessage) bool { return len(v) == 0 || string(v) == "null" }
