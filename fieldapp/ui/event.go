package ui

import (
	"encoding/json"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"talbar/fieldapp/localstore"
	"talbar/shared/record"
	"talbar/syncproto"
)

// EventForm records an outreach activity of any kind the programme names, or edits one: every
// event field of PROTOCOL.md, numbers checked as they are typed. The fields of one kind only (an
// "other" kind's description, an SMS campaign's messages, a broadcast's length, a contest's
// entries) show for that kind, or while they hold a value, so nothing typed is hidden.
type EventForm struct {
	u       *UI
	content fyne.CanvasObject
	scroll  *container.Scroll

	id     string                       // the record edited; "" for a new one
	base   map[string]json.RawMessage   // what the form showed when the record was loaded
	clean  map[string]json.RawMessage   // Fields when the form was last emptied or loaded: Dirty
	rows   map[string]fyne.CanvasObject // each field's block, for scrolling to the first problem
	order  []string                     // the fields in the order of the form
	banner *banner

	Title         *widget.Label
	Kind          *codeSelect
	KindErr       fieldError
	KindOther     *widget.Entry // what an "other" activity was: required for it
	KindOtherErr  fieldError
	Date          *dateField
	Unit          *codeSelect
	UnitErr       fieldError
	Bagh          *widget.Entry // bagh or khoroo, typed: there is no reference list of them
	BaghErr       fieldError
	Place         *widget.Entry
	PlaceErr      fieldError
	Occasion      *codeSelect
	Partners      *codeChecks
	Topics        *codeChecks
	Channels      *codeChecks
	Total         *numField            // people reached in all: "people reached" on every page
	Reached       map[string]*numField // by target group; groups may overlap
	ReachedTotal  *widget.Label
	Sex           map[string]*numField // by sex, where known
	SexErr        fieldError
	Age           map[string]*numField // by age band, where known
	AgeErr        fieldError
	SMSPurpose    *codeSelect
	MessagesSent  *numField
	Messages      map[string]*numField // messages sent, by target group
	Broadcasts    *numField
	Minutes       *numField
	Entries       *numField
	Materials     map[string]*numField // by material
	Consultations *numField
	Contracts     *numField
	Contributions *numField
	Lat, Lon      *widget.Entry
	LatErr        fieldError
	LonErr        fieldError
	Notes         *widget.Entry
	NotesErr      fieldError
	Status        *widget.Label
	SaveButton    *widget.Button
	NewButton     *widget.Button
	nums          []*numField
	ready         bool // set once every widget exists: entries call back while being filled

	// The blocks of one kind: shown for their kinds or while they hold a value.
	otherBox, smsBox, broadcastBox, entriesBox *fyne.Container
	form                                       *fyne.Container
}

// kindBlocks are the kinds whose own block of fields the form shows.
var kindBlocks = map[string][]string{
	"other":     {record.KindOther},
	"sms":       {record.KindSMSCampaign},
	"broadcast": {record.KindBroadcast},
	"entries":   {record.KindEssayContest, record.KindStudentConference},
}

func newEventForm(u *UI) *EventForm {
	f := &EventForm{u: u, Reached: map[string]*numField{}, Materials: map[string]*numField{}, rows: map[string]fyne.CanvasObject{},
		Sex: map[string]*numField{}, Age: map[string]*numField{}, Messages: map[string]*numField{}}
	f.Title = heading(u.T("ui.event.new"))
	f.Kind = newCodeSelect(nil, nil, u.T("ui.choose"), func() { f.checkField("kind"); f.showBlocks() })
	f.ensureKinds("")
	f.KindErr = newFieldError()
	f.KindOther = widget.NewEntry()
	f.KindOther.OnChanged = func(string) { f.checkField("kind_other") }
	f.KindOtherErr = newFieldError()
	f.Date = newDateField(u, func() { f.checkField("date") })
	f.Unit = newCodeSelect(nil, nil, u.T("ui.choose"), func() { f.checkField("unit") })
	f.UnitErr = newFieldError()
	f.ensureUnits()
	f.Bagh = widget.NewEntry()
	f.Bagh.OnChanged = func(string) { f.checkField("bagh") }
	f.BaghErr = newFieldError()
	f.Place = widget.NewEntry()
	f.Place.OnChanged = func(string) { f.checkField("place") }
	f.PlaceErr = newFieldError()
	f.Occasion = newCodeSelect(nil, nil, u.T("ui.choose"), nil)
	f.occasionOptions("")
	f.Partners = newCodeChecks(u, "partner", record.Partners)
	f.Topics = newCodeChecks(u, "topic", record.Topics)
	f.Channels = newCodeChecks(u, "channel", record.Channels)

	check := func(n *numField) { f.checkNum(n) }
	single := func(path string) *numField {
		n := newNumField(path, u.T("field."+path), check)
		f.rows[n.path] = n.row
		f.nums = append(f.nums, n)
		return n
	}
	counts := func(parent, list string, items []record.Label, into map[string]*numField) *fyne.Container {
		box := container.NewVBox()
		for _, g := range items {
			n := newNumField(parent+"."+g.Code, u.label(list, g.Code), check)
			into[g.Code] = n
			f.rows[n.path] = n.row
			f.nums = append(f.nums, n)
			box.Add(n.row)
		}
		return box
	}
	f.Total = single("reached_total")
	reached := counts("reached", "target_group", record.TargetGroups, f.Reached)
	f.ReachedTotal = widget.NewLabel("")
	sex := counts("reached_sex", "sex", record.Sexes, f.Sex)
	f.SexErr = newFieldError()
	age := counts("reached_age", "participant_age", record.ParticipantAges, f.Age)
	f.AgeErr = newFieldError()
	f.rows["reached_sex"], f.rows["reached_age"] = sex, age
	materials := counts("materials", "material", record.Materials, f.Materials)
	f.Consultations = single("consultations")
	f.Contracts = single("contracts_signed")
	f.Contributions = single("contributions_mnt")

	var pl, pc []string
	for _, p := range record.SMSPurposes {
		pl, pc = append(pl, u.label("sms_purpose", p.Code)), append(pc, p.Code)
	}
	f.SMSPurpose = newCodeSelect(pl, pc, u.T("ui.choose"), func() { f.showBlocks() })
	f.MessagesSent = single("messages_sent")
	messages := counts("messages", "target_group", record.TargetGroups, f.Messages)
	f.Broadcasts = single("broadcasts")
	f.Minutes = single("broadcast_minutes")
	f.Entries = single("entries")

	f.Lat, f.Lon = widget.NewEntry(), widget.NewEntry()
	// A hint, not a bare number an inspector could take for a position filled in by itself.
	f.Lat.PlaceHolder, f.Lon.PlaceHolder = u.T("ui.event.lat_hint"), u.T("ui.event.lon_hint")
	f.LatErr, f.LonErr = newFieldError(), newFieldError()
	f.Lat.OnChanged = func(string) { f.checkField("lat") }
	f.Lon.OnChanged = func(string) { f.checkField("lon") }
	f.Notes = widget.NewMultiLineEntry()
	f.Notes.Wrapping = fyne.TextWrapWord
	f.Notes.SetMinRowsVisible(3)
	f.Notes.OnChanged = func(string) { f.checkField("notes") }
	f.NotesErr = newFieldError()

	f.Status = wrapLabel("")
	f.banner = newBanner(f.Status)
	f.SaveButton = widget.NewButton(u.T("ui.action.save"), f.Save)
	f.SaveButton.Importance = widget.HighImportance
	f.NewButton = widget.NewButton(u.T("ui.event.another"), func() { f.Reset() })

	row := func(name string, obj fyne.CanvasObject) fyne.CanvasObject {
		f.rows[name] = obj
		return obj
	}
	latBox := container.NewVBox(widget.NewLabel(u.T("field.lat")), f.Lat, f.LatErr.box)
	lonBox := container.NewVBox(widget.NewLabel(u.T("field.lon")), f.Lon, f.LonErr.box)
	f.otherBox = container.NewVBox(row("kind_other", field(u.T("field.kind_other"), f.KindOther, f.KindOtherErr)))
	f.smsBox = container.NewVBox(widget.NewSeparator(), heading(u.T("ui.event.sms")),
		container.NewVBox(heading(u.T("field.sms_purpose")), f.SMSPurpose), f.MessagesSent.row,
		heading(u.T("field.messages")), messages)
	f.broadcastBox = container.NewVBox(widget.NewSeparator(), f.Broadcasts.row, f.Minutes.row)
	f.entriesBox = container.NewVBox(f.Entries.row)
	f.form = container.NewVBox(
		f.Title,
		row("kind", field(u.T("field.kind"), f.Kind, f.KindErr)),
		f.otherBox,
		row("date", field(u.T("field.date"), f.Date.box, f.Date.err)),
		row("unit", field(u.T("field.unit"), f.Unit, f.UnitErr)),
		row("bagh", field(u.T("field.bagh"), f.Bagh, f.BaghErr)),
		row("place", field(u.T("field.place"), f.Place, f.PlaceErr)),
		container.NewVBox(heading(u.T("field.occasion")), f.Occasion),
		container.NewVBox(heading(u.T("field.partners")), f.Partners.Box),
		container.NewVBox(heading(u.T("field.topics")), f.Topics.Box),
		container.NewVBox(heading(u.T("field.channels")), f.Channels.Box),
		f.smsBox,
		f.broadcastBox,
		widget.NewSeparator(),
		heading(u.T("ui.event.participants")), f.Total.row,
		heading(u.T("field.reached")), wrapLabel(u.T("ui.event.groups_hint")), reached, f.ReachedTotal,
		heading(u.T("field.reached_sex")), sex, f.SexErr.box,
		heading(u.T("field.reached_age")), age, f.AgeErr.box,
		f.entriesBox,
		widget.NewSeparator(),
		heading(u.T("field.materials")), materials,
		widget.NewSeparator(),
		f.Consultations.row, f.Contracts.row, f.Contributions.row,
		widget.NewSeparator(),
		heading(u.T("ui.event.position")),
		wrapLabel(u.T("ui.event.position_hint")),
		container.NewGridWithColumns(2, row("lat", latBox), row("lon", lonBox)),
		row("notes", field(u.T("field.notes"), f.Notes, f.NotesErr)),
	)
	form := f.form
	// The order of the form, for scrolling to the first problem.
	f.order = []string{"kind", "kind_other", "date", "unit", "bagh", "place", "messages_sent"}
	for _, g := range record.TargetGroups {
		f.order = append(f.order, "messages."+g.Code)
	}
	f.order = append(f.order, "broadcasts", "broadcast_minutes", "reached_total")
	for _, g := range record.TargetGroups {
		f.order = append(f.order, "reached."+g.Code)
	}
	f.order = append(f.order, "reached_sex")
	for _, g := range record.Sexes {
		f.order = append(f.order, "reached_sex."+g.Code)
	}
	f.order = append(f.order, "reached_age")
	for _, g := range record.ParticipantAges {
		f.order = append(f.order, "reached_age."+g.Code)
	}
	f.order = append(f.order, "entries")
	for _, g := range record.Materials {
		f.order = append(f.order, "materials."+g.Code)
	}
	f.order = append(f.order, "consultations", "contracts_signed", "contributions_mnt", "lat", "lon", "notes")
	f.scroll = container.NewVScroll(container.NewPadded(form))
	f.content = formFrame(f.banner, f.scroll, f.SaveButton, f.NewButton)
	f.ready = true
	f.updateTotal()
	f.showBlocks()
	f.markClean()
	return f
}

// showBlocks shows the blocks of fields of the chosen kind, and any block that holds a value
// (a record whose kind was changed keeps what it had, visibly).
func (f *EventForm) showBlocks() {
	if !f.ready {
		return
	}
	kind := f.Kind.code()
	for name, box := range map[string]*fyne.Container{"other": f.otherBox, "sms": f.smsBox, "broadcast": f.broadcastBox, "entries": f.entriesBox} {
		on := slices.Contains(kindBlocks[name], kind)
		switch name {
		case "other":
			on = on || f.KindOther.Text != ""
		case "sms":
			on = on || f.SMSPurpose.code() != "" || f.MessagesSent.value() != nil || counts(f.Messages) != nil
		case "broadcast":
			on = on || f.Broadcasts.value() != nil || f.Minutes.value() != nil
		case "entries":
			on = on || f.Entries.value() != nil
		}
		if on != box.Visible() {
			if on {
				box.Show()
			} else {
				box.Hide()
			}
		}
	}
	f.form.Refresh()
}

// ensureKinds offers the event kinds the device's user records: a soum inspector is not offered
// the division-level ones (record.DivisionOnly: local TV and radio broadcasts, which the server
// refuses from them), a division officer is. keep, the kind of an event being edited, stays
// offered.
func (f *EventForm) ensureKinds(keep string) {
	soum := false
	if e, err := f.u.cfg.Store.Enrollment(f.u.ctx()); err == nil {
		soum = e.Inspector.Role == syncproto.RoleInspector
	}
	var kl, kc []string
	for _, k := range record.EventKinds {
		if soum && record.DivisionOnly(k.Code) && k.Code != keep {
			continue
		}
		kl, kc = append(kl, f.u.label("kind", k.Code)), append(kc, k.Code)
	}
	f.Kind.setOptions(kl, kc)
}

// ensureUnits fills the soum or district choice from the inspector's own units, choosing the only
// one when there is one.
func (f *EventForm) ensureUnits() {
	fillUnits(f.u, f.Unit)
}

func fillUnits(u *UI, s *codeSelect) {
	cur := s.code()
	units := u.ownUnits()
	var labels, codes []string
	found := false
	for _, x := range units {
		labels, codes = append(labels, x.Name(u.lang)), append(codes, string(x.Code))
		found = found || string(x.Code) == cur
	}
	if cur != "" && !found {
		// The unit of a record being edited that is not among the inspector's own (see Load): kept,
		// so a sync or a language switch does not empty it.
		labels, codes = append(labels, u.unitName(cur)), append(codes, cur)
	}
	s.setOptions(labels, codes)
	switch {
	case cur != "":
		s.setCode(cur)
	case len(codes) == 1:
		s.SetSelectedIndex(0)
	}
}

// Reset empties the form for a new event, keeping the date, soum and kind an inspector most often
// repeats.
func (f *EventForm) Reset() {
	f.id = ""
	f.base = nil
	f.Title.SetText(f.u.T("ui.event.new"))
	f.Place.SetText("")
	f.KindOther.SetText("")
	f.Bagh.SetText("")
	f.occasionOptions("")
	f.Occasion.ClearSelected()
	f.SMSPurpose.ClearSelected()
	f.Partners.SetSelected(nil)
	f.Topics.SetSelected(nil)
	f.Channels.SetSelected(nil)
	for _, n := range f.nums {
		n.entry.SetText("")
		n.err.set("")
	}
	f.Lat.SetText("")
	f.Lon.SetText("")
	f.Notes.SetText("")
	for _, e := range []fieldError{f.KindErr, f.KindOtherErr, f.Date.err, f.UnitErr, f.BaghErr, f.PlaceErr, f.SexErr, f.AgeErr, f.LatErr, f.LonErr, f.NotesErr} {
		e.set("")
	}
	f.banner.set("", widget.MediumImportance)
	f.showBlocks()
	f.scroll.ScrollToTop()
	f.markClean()
}

// markClean takes what the form shows now as its unedited state.
func (f *EventForm) markClean() { f.clean = copyFields(f.Fields()) }

// Dirty reports whether the form holds something typed and not saved.
func (f *EventForm) Dirty() bool { return dirtyFields(f.Fields(), f.clean, f.id == "", "date", "unit") }

// Editing reports whether the form edits a stored record.
func (f *EventForm) Editing() bool { return f.id != "" }

// Load fills the form with a stored event for editing.
func (f *EventForm) Load(r localstore.Record) {
	f.Reset()
	f.id = r.ID
	f.Title.SetText(f.u.T("ui.event.edit"))
	v := r.Values
	f.ensureKinds(jsonStr(v["kind"]))
	f.Kind.setCode(jsonStr(v["kind"]))
	f.Date.entry.SetText(jsonStr(v["date"]))
	f.ensureUnits()
	f.Unit.setCodeOffering(r.Unit, f.u.unitName(r.Unit))
	f.Place.SetText(jsonStr(v["place"]))
	f.KindOther.SetText(jsonStr(v["kind_other"]))
	f.Bagh.SetText(jsonStr(v["bagh"]))
	f.occasionOptions(jsonStr(v["occasion"]))
	f.Occasion.setCode(jsonStr(v["occasion"]))
	f.SMSPurpose.setCode(jsonStr(v["sms_purpose"]))
	f.Partners.setCodes(jsonStrs(v["partners"]))
	f.Topics.setCodes(jsonStrs(v["topics"]))
	f.Channels.setCodes(jsonStrs(v["channels"]))
	for name, nums := range map[string]map[string]*numField{"reached": f.Reached, "materials": f.Materials,
		"reached_sex": f.Sex, "reached_age": f.Age, "messages": f.Messages} {
		for code, n := range jsonCounts(v[name]) {
			if nf := nums[code]; nf != nil {
				nf.setValue(n)
			}
		}
	}
	for _, n := range []*numField{f.Total, f.MessagesSent, f.Broadcasts, f.Minutes, f.Entries} {
		n.setValue(v[n.path])
	}
	f.showBlocks()
	f.Consultations.setValue(v["consultations"])
	f.Contracts.setValue(v["contracts_signed"])
	f.Contributions.setValue(v["contributions_mnt"])
	// Coordinates as the inspector types them: "47,9" in Mongolian.
	f.Lat.SetText(coordText(f.u.lang, v["lat"]))
	f.Lon.SetText(coordText(f.u.lang, v["lon"]))
	f.Notes.SetText(jsonStr(v["notes"]))
	f.banner.set("", widget.MediumImportance)
	f.base = loaded(f.Fields())
	f.markClean()
}

// startNew makes the form a new event: empty, dated today, in the inspector's soum when they have
// one. The nav button opens it so after an edit left unsaved, and a saved edit ends in it.
func (f *EventForm) startNew() {
	f.Reset()
	f.Kind.ClearSelected()
	f.ensureKinds("")
	f.Date.setTime(f.u.cfg.Now())
	f.Unit.ClearSelected()
	f.ensureUnits()
	for _, e := range []fieldError{f.KindErr, f.Date.err, f.UnitErr} {
		e.set("")
	}
	f.markClean()
}

// loaded is what a form shows right after loading a record, as saveDraft sends it: the Base of the
// save, so a field the inspector did not touch is not sent and keeps what a sync brought meanwhile.
func loaded(fields map[string]json.RawMessage) map[string]json.RawMessage {
	base := make(map[string]json.RawMessage, len(fields))
	for k, v := range fields {
		base[k] = nullable(v)
	}
	return base
}

// counts builds a counts object (reached, materials) from its entries; nil when all are empty.
func counts(nums map[string]*numField) json.RawMessage {
	m := map[string]json.RawMessage{}
	for code, n := range nums {
		if v := n.value(); v != nil {
			m[code] = v
		}
	}
	if len(m) == 0 {
		return nil
	}
	b, _ := json.Marshal(m)
	return b
}

// Fields is what the form would save: every field, nil for the empty ones.
func (f *EventForm) Fields() map[string]json.RawMessage {
	return map[string]json.RawMessage{
		"kind":              textJSON(f.Kind.code()),
		"kind_other":        textJSON(f.KindOther.Text),
		"date":              textJSON(f.Date.text()),
		"unit":              textJSON(f.Unit.code()),
		"bagh":              textJSON(f.Bagh.Text),
		"place":             textJSON(f.Place.Text),
		"occasion":          textJSON(f.Occasion.code()),
		"partners":          listJSON(f.Partners.selectedCodes()),
		"topics":            listJSON(f.Topics.selectedCodes()),
		"channels":          listJSON(f.Channels.selectedCodes()),
		"reached_total":     f.Total.value(),
		"reached":           counts(f.Reached),
		"reached_sex":       counts(f.Sex),
		"reached_age":       counts(f.Age),
		"sms_purpose":       textJSON(f.SMSPurpose.code()),
		"messages_sent":     f.MessagesSent.value(),
		"messages":          counts(f.Messages),
		"broadcasts":        f.Broadcasts.value(),
		"broadcast_minutes": f.Minutes.value(),
		"entries":           f.Entries.value(),
		"materials":         counts(f.Materials),
		"consultations":     f.Consultations.value(),
		"contracts_signed":  f.Contracts.value(),
		"contributions_mnt": f.Contributions.value(),
		"lat":               numberJSON(f.Lat.Text, true),
		"lon":               numberJSON(f.Lon.Text, true),
		"notes":             textJSON(f.Notes.Text),
	}
}

// checkField validates one field as it changes and shows its message.
func (f *EventForm) checkField(name string) {
	if !f.ready {
		return
	}
	v := f.Fields()[name]
	var msg string
	if v != nil {
		ps, _ := record.Validate(record.EntityEvent, map[string]json.RawMessage{name: v}, f.u.validateOptions(false))
		msg = problemsByField(f.u.cfg.Catalog, f.u.lang, ps)[name]
	}
	if e, ok := f.errFor(name); ok {
		e.set(msg)
	}
	if name == "kind" && f.Kind.code() != record.KindOther {
		f.KindOtherErr.set("") // "what was it" is asked of an "other" activity only (at Save)
	}
}

func (f *EventForm) checkNum(n *numField) {
	if !f.ready {
		return
	}
	f.numProblem(n)
	if _, _, isMap := cutPath(n.path); isMap || n == f.Total || n == f.MessagesSent {
		// A total bounds its breakdowns and a count its total: both sides are checked again.
		f.checkRules()
	}
	f.updateTotal()
}

// numProblem shows the problem of one number on its own (not a whole number, negative, too big).
func (f *EventForm) numProblem(n *numField) string {
	var msg string
	if v := n.value(); v != nil {
		name, code, isMap := cutPath(n.path)
		fields := map[string]json.RawMessage{name: v}
		if isMap {
			fields[name] = json.RawMessage(`{"` + code + `":` + string(v) + `}`)
		}
		ps, _ := record.Validate(record.EntityEvent, fields, f.u.validateOptions(false))
		msg = problemsByField(f.u.cfg.Catalog, f.u.lang, ps)[n.path]
	}
	n.err.set(msg)
	return msg
}

// checkRules shows, as the numbers are typed, every count of a breakdown that is above its
// total and every breakdown by sex or age band that adds up to more (record.Consistency), under
// the count itself; a number with a problem of its own keeps that message.
func (f *EventForm) checkRules() {
	by := map[string]string{}
	for _, p := range record.Consistency(record.EntityEvent, f.Fields()) {
		if p.Code == record.ErrOverTotal {
			by[p.Field] = f.u.cfg.Catalog.ProblemText(f.u.lang, p)
		}
	}
	for _, n := range f.nums {
		parent, _, isMap := cutPath(n.path)
		if !isMap || parent == "materials" {
			continue
		}
		if f.numProblem(n) == "" && by[n.path] != "" {
			n.err.set(by[n.path])
		}
	}
	f.SexErr.set(by["reached_sex"])
	f.AgeErr.set(by["reached_age"])
}

func cutPath(p string) (name, code string, isMap bool) {
	for i := 0; i < len(p); i++ {
		if p[i] == '.' {
			return p[:i], p[i+1:], true
		}
	}
	return p, "", false
}

// updateTotal shows the people reached in all, the figure headquarters looks at first.
// Only valid entries count: a mistyped 100000001 must not show up in the total as if it were kept.
// With a total typed, that is the figure (the groups may overlap); without one, the groups' sum,
// as the totals count a record without a total.
func (f *EventForm) updateTotal() {
	var total int64
	for _, n := range f.Reached {
		var v int64
		if json.Unmarshal(n.value(), &v) == nil && v > 0 && v <= record.MaxCount {
			total += v
		}
	}
	var typed int64
	if json.Unmarshal(f.Total.value(), &typed) == nil && typed >= 0 && typed <= record.MaxCount {
		f.ReachedTotal.SetText(f.u.T("ui.event.reached_total", f.u.num(typed)))
		return
	}
	f.ReachedTotal.SetText(f.u.T("ui.event.reached_total", f.u.num(total)))
}

func (f *EventForm) errFor(name string) (fieldError, bool) {
	switch name {
	case "kind":
		return f.KindErr, true
	case "kind_other":
		return f.KindOtherErr, true
	case "bagh":
		return f.BaghErr, true
	case "reached_sex":
		return f.SexErr, true
	case "reached_age":
		return f.AgeErr, true
	case "date":
		return f.Date.err, true
	case "unit":
		return f.UnitErr, true
	case "place":
		return f.PlaceErr, true
	case "lat":
		return f.LatErr, true
	case "lon":
		return f.LonErr, true
	case "notes":
		return f.NotesErr, true
	}
	for _, n := range f.nums {
		if n.path == name {
			return n.err, true
		}
	}
	return fieldError{}, false
}

// showProblems puts each problem next to its field, says in the banner how many fields need
// attention (those without a field on the form are listed there) and scrolls to the first.
func (f *EventForm) showProblems(ps []record.Problem) {
	by := problemsByField(f.u.cfg.Catalog, f.u.lang, ps)
	for name, text := range by {
		if e, ok := f.errFor(name); ok {
			e.set(text)
		}
	}
	has := func(name string) bool { _, ok := f.errFor(name); return ok }
	msg := fixMessage(f.u, by, ps, has)
	// A count above its total is named in the banner too: the total may be far above it.
	for _, p := range ps {
		if p.Code == record.ErrOverTotal {
			msg += "\n" + f.u.cfg.Catalog.Problem(f.u.lang, p)
		}
	}
	f.banner.set(msg, widget.DangerImportance)
	for _, name := range f.order {
		if _, bad := by[name]; bad {
			scrollToShow(f.scroll, f.rows[name])
			break
		}
	}
}

// Save validates the form and writes the event and its change in one transaction; nothing is
// written while a field has a problem. After a save the banner says so and what happens next, and
// a sync follows by itself within seconds when the server answers.
func (f *EventForm) Save() {
	_, problems, err := saveDraft(f.u, record.EntityEvent, f.id, f.Fields(), f.base)
	if err != nil {
		f.banner.set(f.u.errText(err), widget.DangerImportance)
		return
	}
	if len(problems) > 0 {
		f.showProblems(problems)
		return
	}
	edited := f.id != ""
	if edited {
		f.startNew()
	} else {
		f.Reset()
	}
	f.banner.set(f.u.T("ui.form.saved"), widget.SuccessImportance)
	f.u.afterSave()
	if edited {
		f.u.Show(ScreenRecords)
	}
}

// saveDraft checks fields as the store will (all required fields for a new record) and saves them.
// For a new record, empty fields are left out; for an edit, they clear what was stored. base is
// what the form loaded (see loaded): only the fields that differ from it are written.
func saveDraft(u *UI, entity, id string, fields, base map[string]json.RawMessage) (string, []record.Problem, error) {
	d := localstore.Draft{Entity: entity, ID: id, Fields: map[string]any{}, Base: base}
	check := map[string]json.RawMessage{}
	for k, v := range fields {
		if v == nil && id == "" {
			continue
		}
		d.Fields[k] = nullable(v)
		check[k] = nullable(v)
	}
	opt := u.validateOptions(id == "")
	ps, _ := record.Validate(entity, check, opt)
	// Rules between fields, on the whole form: what the server would refuse (record.Consistency).
	ps = append(ps, record.Consistency(entity, fields)...)
	if len(ps) > 0 {
		return "", ps, nil
	}
	newID, ps, err := u.cfg.Store.Save(u.ctx(), d)
	if err != nil {
		u.log.Error("save record", "entity", entity, "err", err)
	}
	return newID, ps, err
}

// retiredOccasions are no longer offered for a new event: "Захын өдөр" repeats the market-day
// kind, and markets open every day (review D4, 4b #23). The code stays valid, so a record that
// names it still shows and keeps it when edited.
var retiredOccasions = map[string]bool{"market_day": true}

// occasionOptions offers the occasions in use, and keep as well when a record being edited names
// a retired one.
func (f *EventForm) occasionOptions(keep string) {
	var labels, codes []string
	for _, o := range record.Occasions {
		if retiredOccasions[o.Code] && o.Code != keep {
			continue
		}
		labels, codes = append(labels, f.u.label("occasion", o.Code)), append(codes, o.Code)
	}
	f.Occasion.setOptions(labels, codes)
}
