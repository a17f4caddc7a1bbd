package ui

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"talbar/fieldapp/localstore"
	"talbar/shared/numfmt"
	"talbar/shared/record"
)

// RecordsScreen lists the records on this device, newest first, with a search and filters by date
// range, kind, soum, not yet synced and rejected; a tap opens the detail.
type RecordsScreen struct {
	u       *UI
	content fyne.CanvasObject

	Search       *widget.Entry
	From, To     *widget.Entry
	Kind         *codeSelect
	Unit         *codeSelect
	Pending      *widget.Check
	RejectedOnly *widget.Check
	Outside      *widget.Check // also records an officer moved to another soum
	Count        *widget.Label
	List         *widget.List
	UndoBar      *fyne.Container
	UndoLabel    *widget.Label
	UndoButton   *widget.Button
	RejectedLink *widget.Button

	Items   []localstore.Record
	undoID  string
	filters *fyne.Container
}

func newRecordsScreen(u *UI) *RecordsScreen {
	s := &RecordsScreen{u: u}
	refresh := func() { s.Refresh() }
	s.Search = widget.NewEntry()
	s.Search.PlaceHolder = u.T("ui.records.search")
	s.Search.OnChanged = func(string) { refresh() }
	s.From, s.To = widget.NewEntry(), widget.NewEntry()
	s.From.PlaceHolder, s.To.PlaceHolder = u.T("ui.records.from"), u.T("ui.records.to")
	s.From.OnChanged = func(t string) {
		if t == "" || validDate(t) {
			refresh()
		}
	}
	s.To.OnChanged = s.From.OnChanged
	kl, kc := []string{u.T("ui.records.all_kinds")}, []string{""}
	for _, k := range record.EventKinds {
		kl, kc = append(kl, u.label("kind", k.Code)), append(kc, k.Code)
	}
	kl, kc = append(kl, u.T("ui.records.surveys")), append(kc, record.EntitySurvey)
	s.Kind = newCodeSelect(kl, kc, u.T("ui.records.all_kinds"), refresh)
	s.Unit = newCodeSelect(nil, nil, u.T("ui.records.all_units"), refresh)
	s.Pending = widget.NewCheck(u.T("ui.records.pending"), func(bool) { refresh() })
	s.RejectedOnly = widget.NewCheck(u.T("ui.records.rejected"), func(bool) { refresh() })
	s.Outside = widget.NewCheck(u.T("ui.records.outside"), func(bool) { refresh() })
	s.Count = wrapLabel("")
	s.RejectedLink = widget.NewButtonWithIcon(u.T("ui.rejected.title"), theme.WarningIcon(), func() { u.Show(ScreenRejected) })
	s.List = widget.NewList(
		func() int { return len(s.Items) },
		func() fyne.CanvasObject {
			title := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			title.Truncation = fyne.TextTruncateEllipsis
			sub := widget.NewLabel("")
			sub.Truncation = fyne.TextTruncateEllipsis
			icon := widget.NewIcon(theme.ConfirmIcon())
			return container.NewBorder(nil, nil, nil, icon, container.NewVBox(title, sub))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(s.Items) {
				return
			}
			r := s.Items[i]
			c := o.(*fyne.Container)
			texts := c.Objects[0].(*fyne.Container).Objects
			texts[0].(*widget.Label).SetText(s.title(r))
			texts[1].(*widget.Label).SetText(s.subtitle(r))
			icon := c.Objects[1].(*widget.Icon)
			switch r.SyncState {
			case localstore.StateRejected:
				icon.SetResource(theme.WarningIcon())
			case localstore.StatePending:
				icon.SetResource(theme.UploadIcon())
			default:
				icon.SetResource(theme.ConfirmIcon())
			}
		})
	s.List.OnSelected = func(i widget.ListItemID) {
		s.List.UnselectAll()
		if i < len(s.Items) {
			s.Open(s.Items[i].ID)
		}
	}
	s.UndoLabel = widget.NewLabel("")
	s.UndoButton = widget.NewButtonWithIcon(u.T("ui.action.undo"), theme.ContentUndoIcon(), s.Undo)
	s.UndoBar = container.NewBorder(nil, nil, nil, s.UndoButton, s.UndoLabel)
	s.UndoBar.Hide()

	s.filters = container.NewVBox(
		s.Search,
		container.NewGridWithColumns(2, s.From, s.To),
		container.NewGridWithColumns(2, s.Kind, s.Unit),
		container.New(layout.NewRowWrapLayout(), s.Pending, s.RejectedOnly, s.Outside),
	)
	top := container.NewVBox(heading(u.T("ui.records.title")), s.filters, s.UndoBar,
		container.NewBorder(nil, nil, nil, s.RejectedLink, s.Count))
	s.content = container.NewBorder(container.NewPadded(top), nil, nil, nil, s.List)
	return s
}

func validDate(s string) bool {
	return len(s) == 10 && s[4] == '-' && s[7] == '-'
}

// title is a record's line in the list: kind and date.
func (s *RecordsScreen) title(r localstore.Record) string {
	what := s.u.T("ui.records.survey_one")
	if r.Entity == record.EntityEvent {
		what = s.u.label("kind", r.Kind)
	}
	return numfmt.ISODate(s.u.lang, r.Date) + " · " + what
}

// subtitle is the second line: soum, place or the respondent, and the sync state.
func (s *RecordsScreen) subtitle(r localstore.Record) string {
	parts := []string{s.u.unitName(r.Unit)}
	if p := jsonStr(r.Values["place"]); p != "" {
		parts = append(parts, p)
	}
	if r.Entity == record.EntityEvent {
		if n := peopleReached(r.Values); n > 0 {
			parts = append(parts, s.u.T("ui.records.people", s.u.num(n)))
		}
	} else if g := jsonStr(r.Values["target_group"]); g != "" {
		parts = append(parts, s.u.label("target_group", g))
	}
	parts = append(parts, s.u.T("ui.state."+r.SyncState))
	if r.Outside {
		parts = append(parts, s.u.T("ui.state.outside"))
	}
	return strings.Join(parts, " · ")
}

// peopleReached is an event's people reached as the totals count it (shared/tally): its total
// where it has one, else the sum of its groups.
func peopleReached(v map[string]json.RawMessage) int64 {
	var n int64
	if json.Unmarshal(v["reached_total"], &n) == nil {
		return max(n, 0)
	}
	return reachedTotal(v["reached"])
}

func reachedTotal(raw json.RawMessage) int64 {
	var total int64
	for _, v := range jsonCounts(raw) {
		var n int64
		if json.Unmarshal(v, &n) == nil {
			total += n
		}
	}
	return total
}

// Filter is the store filter the screen's controls set.
func (s *RecordsScreen) Filter() localstore.Filter {
	f := localstore.Filter{Text: strings.TrimSpace(s.Search.Text), Unit: s.Unit.code(),
		Pending: s.Pending.Checked, Rejected: s.RejectedOnly.Checked, IncludeOutside: s.Outside.Checked, Limit: 500}
	if t := strings.TrimSpace(s.From.Text); validDate(t) {
		f.From = t
	}
	if t := strings.TrimSpace(s.To.Text); validDate(t) {
		f.To = t
	}
	switch k := s.Kind.code(); k {
	case "":
	case record.EntitySurvey:
		f.Entity = record.EntitySurvey
	default:
		f.Entity, f.Kind = record.EntityEvent, k
	}
	return f
}

// Refresh reads the list again with the current filters.
func (s *RecordsScreen) Refresh() {
	if len(s.Unit.codes) == 0 {
		labels, codes := []string{s.u.T("ui.records.all_units")}, []string{""}
		for _, x := range s.u.ownUnits() {
			labels = append(labels, x.Name(s.u.lang))
			codes = append(codes, string(x.Code))
		}
		s.Unit.setOptions(labels, codes)
	}
	f := s.Filter()
	if f.From != "" && f.To != "" && f.From > f.To {
		// Not a silent "0 records": the range is the wrong way round.
		s.Items = nil
		s.Count.SetText(s.u.T("ui.records.reversed"))
		s.Count.Importance = widget.WarningImportance
		s.Count.Refresh()
		s.List.Refresh()
		return
	}
	s.Count.Importance = widget.MediumImportance
	recs, total, err := s.u.cfg.Store.FindRecords(s.u.ctx(), f)
	if err != nil {
		s.u.log.Error("find records", "err", err)
		s.Count.SetText(s.u.errText(err))
		return
	}
	s.Items = recs
	s.Count.SetText(s.u.N("ui.records.count", total, s.u.num(int64(total))))
	_, rejected, _ := s.u.cfg.Store.Counts(s.u.ctx())
	if rejected > 0 {
		s.RejectedLink.SetText(s.u.T("ui.rejected.title") + fmt.Sprintf(" (%d)", rejected))
		s.RejectedLink.Show()
	} else {
		s.RejectedLink.Hide()
	}
	s.List.Refresh()
}

// Open shows the detail of one record.
func (s *RecordsScreen) Open(id string) {
	r, err := s.u.cfg.Store.FindRecordByID(s.u.ctx(), id)
	if err != nil {
		s.u.inform(s.u.T("ui.error.title"), s.u.errText(err))
		return
	}
	s.u.Detail.Set(r)
	s.u.Show(ScreenDetail)
}

// deleted offers to undo the delete of id until another record is deleted.
func (s *RecordsScreen) deleted(id string) {
	s.undoID = id
	s.UndoLabel.SetText(s.u.T("ui.records.deleted"))
	s.UndoBar.Show()
}

// Undo restores the record deleted last.
func (s *RecordsScreen) Undo() {
	if s.undoID == "" {
		return
	}
	if err := s.u.cfg.Store.Restore(s.u.ctx(), s.undoID); err != nil {
		s.u.log.Error("restore record", "err", err)
		s.u.inform(s.u.T("ui.error.title"), s.u.errText(err))
		return
	}
	s.undoID = ""
	s.UndoBar.Hide()
	s.Refresh()
	s.u.afterSave()
}

// DetailScreen shows every field of one record with its labels, and offers edit and delete. A
// record an officer moved to another soum is shown read-only, with a note saying where it went.
type DetailScreen struct {
	u       *UI
	content fyne.CanvasObject

	Record       localstore.Record
	Title        *widget.Label
	Moved        *widget.Label // the note on a record moved out of the inspector's soum
	Body         *fyne.Container
	EditButton   *widget.Button
	DeleteButton *widget.Button
	BackButton   *widget.Button
}

func newDetailScreen(u *UI) *DetailScreen {
	d := &DetailScreen{u: u}
	d.Title = heading("")
	d.Moved = wrapLabel("")
	d.Moved.Importance = widget.WarningImportance
	d.Moved.Hide()
	d.Body = container.NewVBox()
	d.EditButton = widget.NewButtonWithIcon(u.T("ui.action.edit"), theme.DocumentCreateIcon(), d.Edit)
	d.DeleteButton = widget.NewButtonWithIcon(u.T("ui.action.delete"), theme.DeleteIcon(), d.Delete)
	d.DeleteButton.Importance = widget.DangerImportance
	d.BackButton = widget.NewButtonWithIcon(u.T("ui.action.back"), theme.NavigateBackIcon(), func() { u.Show(ScreenRecords) })
	buttons := container.NewHBox(d.BackButton, d.EditButton, d.DeleteButton)
	d.content = container.NewBorder(container.NewPadded(container.NewVBox(buttons, d.Title, d.Moved)), nil, nil, nil,
		container.NewVScroll(container.NewPadded(d.Body)))
	return d
}

// Set shows r.
func (d *DetailScreen) Set(r localstore.Record) {
	d.Record = r
	u := d.u
	d.Title.SetText(u.Records.title(r))
	if r.Outside {
		d.Moved.SetText(u.T("ui.detail.moved", u.unitName(r.Unit)))
		d.Moved.Show()
		d.EditButton.Hide()
		d.DeleteButton.Hide()
	} else {
		d.Moved.SetText("")
		d.Moved.Hide()
		d.EditButton.Show()
		d.DeleteButton.Show()
	}
	d.Body.RemoveAll()
	add := func(label, value string) {
		if value == "" {
			return
		}
		d.Body.Add(heading(label))
		d.Body.Add(wrapLabel(value))
	}
	add(u.T("ui.detail.state"), u.T("ui.state."+r.SyncState))
	names := record.Fields(r.Entity)
	sort.SliceStable(names, func(i, j int) bool { return fieldOrder(names[i]) < fieldOrder(names[j]) })
	for _, name := range names {
		raw, ok := r.Values[name]
		if !ok || name == record.FieldDeleted {
			continue
		}
		add(u.T("field."+name), d.format(name, raw))
	}
	d.Body.Refresh()
}

// fieldOrder puts fields in the order of the forms.
func fieldOrder(name string) int {
	order := []string{"kind", "kind_other", "event_id", "date", "unit", "bagh", "place", "occasion", "partners", "topics", "channels",
		"sms_purpose", "messages_sent", "messages", "broadcasts", "broadcast_minutes", "reached_total", "reached", "reached_sex", "reached_age",
		"entries", "materials", "consultations", "contracts_signed", "contributions_mnt", "target_group", "age_band", "sex",
		"insurance_status", "info_access", "info_sources", "satisfaction", "suggestion", "lat", "lon", "notes"}
	for i, n := range order {
		if n == name {
			return i
		}
	}
	return len(order)
}

// format shows a field's value with the labels of its codes.
func (d *DetailScreen) format(name string, raw json.RawMessage) string {
	u := d.u
	list := map[string]string{"kind": "kind", "occasion": "occasion", "target_group": "target_group",
		"age_band": "age_band", "sex": "sex", "insurance_status": "insurance_status", "info_access": "info_access", "sms_purpose": "sms_purpose"}
	switch name {
	case "date":
		return numfmt.ISODate(u.lang, jsonStr(raw))
	case "unit":
		return u.unitName(jsonStr(raw))
	case "partners":
		return joinLabels(u, "partner", jsonStrs(raw))
	case "info_sources":
		return joinLabels(u, "info_source", jsonStrs(raw))
	case "topics":
		return joinLabels(u, "topic", jsonStrs(raw))
	case "channels":
		return joinLabels(u, "channel", jsonStrs(raw))
	case "reached", "materials", "reached_sex", "reached_age", "messages":
		l := record.CountsList(name)
		m := jsonCounts(raw)
		var lines []string
		for _, code := range record.CountsCodes(name) {
			if v, ok := m[code]; ok {
				lines = append(lines, u.label(l, code)+": "+d.number(v))
			}
		}
		return strings.Join(lines, "\n")
	case "consultations", "contracts_signed", "reached_total", "messages_sent", "broadcasts", "broadcast_minutes", "entries":
		return d.number(raw)
	case "contributions_mnt":
		return d.number(raw) + " ₮"
	case "lat", "lon":
		// As the inspector typed it: "47,9" in Mongolian.
		if t := coordText(u.lang, raw); t != "" {
			return t
		}
	case "satisfaction":
		return string(raw) + " — " + u.label("satisfaction", string(raw))
	case "event_id":
		if r, err := u.cfg.Store.FindRecordByID(u.ctx(), jsonStr(raw)); err == nil {
			return u.Records.title(r)
		}
		return jsonStr(raw)
	}
	if l, ok := list[name]; ok {
		return u.label(l, jsonStr(raw))
	}
	if s := jsonStr(raw); s != "" {
		return s
	}
	return string(raw)
}

// number writes a stored whole number in the interface language's style, or the stored text
// when it is not one.
func (d *DetailScreen) number(raw json.RawMessage) string {
	var n int64
	if json.Unmarshal(raw, &n) != nil {
		return string(raw)
	}
	return d.u.num(n)
}

func joinLabels(u *UI, list string, codes []string) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = u.label(list, c)
	}
	return strings.Join(out, ", ")
}

// Edit opens the record's form with its values, read again: a sync may have moved it meanwhile.
func (d *DetailScreen) Edit() {
	u := d.u
	r, err := u.cfg.Store.FindRecordByID(u.ctx(), d.Record.ID)
	if err != nil {
		u.log.Error("read record for edit", "id", d.Record.ID, "err", err)
		u.inform(u.T("ui.error.title"), u.errText(err))
		return
	}
	if r.Outside {
		d.refuseOutside(r)
		return
	}
	openForm(u, r)
}

// refuseOutside shows r read-only and says why it cannot be changed here.
func (d *DetailScreen) refuseOutside(r localstore.Record) {
	d.u.log.Info("record moved out of scope is read-only", "id", r.ID, "unit", r.Unit)
	d.Set(r)
	d.u.Show(ScreenDetail)
	d.u.inform(d.u.T("ui.error.title"), d.u.errText(localstore.ErrOutsideScope))
}

// openForm opens the form of a record's entity, filled for editing; a record moved out of the
// inspector's soum is read-only, so its detail is shown instead.
func openForm(u *UI, r localstore.Record) {
	if r.Outside {
		u.Detail.Set(r)
		u.Show(ScreenDetail)
		return
	}
	if r.Entity == record.EntitySurvey {
		u.Survey.Load(r)
		u.Show(ScreenSurvey)
		return
	}
	u.Event.Load(r)
	u.Show(ScreenEvent)
}

// Delete asks for confirmation, deletes (a tombstone that syncs) and offers undo in the list.
func (d *DetailScreen) Delete() {
	if d.Record.Outside {
		d.refuseOutside(d.Record)
		return
	}
	id := d.Record.ID
	d.u.confirmDanger(d.u.T("ui.delete.title"), d.u.T("ui.delete.question"), d.u.T("ui.action.delete"), func() {
		d.DeleteNow(id)
	})
}

// DeleteNow deletes without asking: the confirmation's answer.
func (d *DetailScreen) DeleteNow(id string) {
	if err := d.u.cfg.Store.Delete(d.u.ctx(), id); err != nil {
		d.u.log.Error("delete record", "err", err)
		d.u.inform(d.u.T("ui.error.title"), d.u.errText(err))
		return
	}
	d.u.Records.deleted(id)
	d.u.Show(ScreenRecords)
	d.u.afterSave()
}
