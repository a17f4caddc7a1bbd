package ui

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"talbar/assets"
	"talbar/fieldapp/localstore"
	"talbar/shared/numfmt"
	"talbar/shared/record"
	"talbar/shared/survey"
)

// SurveyForm takes one respondent after another at an event: every question on one screen, and
// "save and next" keeps the event, date and soum and counts the responses of the event. Who
// answered (target group, age band, sex, insurance) is fixed; the questions come from the survey
// catalogue the server sent (shared/survey), rendered from its newest version, or from the
// version an edited response was asked under, so a new question needs no new app.
type SurveyForm struct {
	u       *UI
	content fyne.CanvasObject
	scroll  *container.Scroll

	id     string                       // the response edited; "" for a new one
	base   map[string]json.RawMessage   // what the form showed when the response was loaded
	events map[string]localstore.Record // the events offered, by id
	picked bool                         // an event was chosen once, by the inspector or for them
	clean  map[string]json.RawMessage   // Fields when the form was last emptied or loaded: Dirty
	rows   map[string]fyne.CanvasObject // each field's block, for scrolling to the first problem
	banner *banner

	// Version is the catalogue version whose questions the form shows; Questions holds them.
	Version   survey.Version
	Questions *fyne.Container
	Answers   map[string]*Answer // by question id

	Title          *widget.Label
	Event          *codeSelect // "" for none
	Date           *dateField
	Unit           *codeSelect
	UnitErr        fieldError
	TargetGroup    *codeSelect
	TargetGroupErr fieldError
	AgeBand        *codeRadio
	AgeBandErr     fieldError
	Sex            *codeRadio
	Insurance      *codeRadio
	InsuranceErr   fieldError
	// The widgets of the questions the programme's indicators and reports read, nil when the
	// version shown lacks one (info_access and satisfaction are in every version).
	InfoAccess      *codeRadio
	InfoAccessErr   fieldError
	InfoSources     *codeChecks
	Satisfaction    *codeRadio
	SatisfactionErr fieldError
	Suggestion      *widget.Entry
	SuggestionErr   fieldError
	Count           *widget.Label
	Status          *widget.Label
	SaveNextButton  *widget.Button
	SaveButton      *widget.Button
}

// Answer is the input of one catalogue question: one of Radio, Checks and Entry is set, by kind.
type Answer struct {
	Question survey.Question
	Heading  *widget.Label
	Radio    *codeRadio
	Checks   *codeChecks
	Entry    *widget.Entry
	Err      fieldError
}

// value is the answer as the form saves it, null when not answered.
func (a *Answer) value() json.RawMessage {
	switch {
	case a.Radio != nil && a.Question.Kind == record.QuestionScale:
		return numberJSON(a.Radio.code(), false)
	case a.Radio != nil:
		return textJSON(a.Radio.code())
	case a.Checks != nil:
		return listJSON(a.Checks.selectedCodes())
	default:
		return textJSON(a.Entry.Text)
	}
}

// set shows a stored answer (nil clears it).
func (a *Answer) set(raw json.RawMessage) {
	switch {
	case a.Radio != nil && a.Question.Kind == record.QuestionScale:
		a.Radio.setCode(string(raw))
		if raw == nil {
			a.Radio.SetSelected("")
		}
	case a.Radio != nil:
		a.Radio.setCode(jsonStr(raw))
		if raw == nil {
			a.Radio.SetSelected("")
		}
	case a.Checks != nil:
		a.Checks.setCodes(jsonStrs(raw))
	default:
		a.Entry.SetText(jsonStr(raw))
	}
}

func newSurveyForm(u *UI) *SurveyForm {
	s := &SurveyForm{u: u, rows: map[string]fyne.CanvasObject{}}
	s.Title = heading(u.T("ui.survey.new"))
	s.Event = newCodeSelect(nil, nil, u.T("ui.survey.no_event"), s.eventChosen)
	s.Date = newDateField(u, nil)
	s.Unit = newCodeSelect(nil, nil, u.T("ui.choose"), nil)
	s.UnitErr = newFieldError()
	fillUnits(u, s.Unit)
	var gl, gc []string
	for _, g := range record.TargetGroups {
		gl, gc = append(gl, u.label("target_group", g.Code)), append(gc, g.Code)
	}
	s.TargetGroup = newCodeSelect(gl, gc, u.T("ui.choose"), nil)
	s.TargetGroupErr = newFieldError()
	s.AgeBand = newCodeRadio(u, "age_band", record.AgeBands, false)
	s.AgeBandErr = newFieldError()
	s.Sex = newCodeRadio(u, "sex", record.Sexes, true)
	s.Insurance = newCodeRadio(u, "insurance_status", record.InsuranceStatuses, false)
	s.InsuranceErr = newFieldError()
	s.Questions = container.NewVBox()
	s.Count = heading("")
	s.Status = wrapLabel("")
	s.banner = newBanner(s.Status)
	s.SaveNextButton = widget.NewButton(u.T("ui.action.save_next"), s.SaveAndNext)
	s.SaveNextButton.Importance = widget.HighImportance
	s.SaveButton = widget.NewButton(u.T("ui.action.save"), s.SaveAndClose)

	row := func(name string, obj fyne.CanvasObject) fyne.CanvasObject {
		s.rows[name] = obj
		return obj
	}
	form := container.NewVBox(
		s.Title,
		container.NewVBox(heading(u.T("field.event_id")), s.Event),
		row("date", field(u.T("field.date"), s.Date.box, s.Date.err)),
		row("unit", field(u.T("field.unit"), s.Unit, s.UnitErr)),
		s.Count,
		widget.NewSeparator(),
		row("target_group", field(u.T("field.target_group"), s.TargetGroup, s.TargetGroupErr)),
		row("age_band", field(u.T("field.age_band"), s.AgeBand, s.AgeBandErr)),
		container.NewVBox(heading(u.T("field.sex")), s.Sex),
		row("insurance_status", field(u.T("field.insurance_status"), s.Insurance, s.InsuranceErr)),
		s.Questions,
	)
	s.render(s.latest())
	s.scroll = container.NewVScroll(container.NewPadded(form))
	s.content = formFrame(s.banner, s.scroll, s.SaveNextButton, s.SaveButton)
	s.refreshEvents()
	s.markClean()
	return s
}

// catalogue is the device's survey catalogue (the server's, or the app's own before a pull).
func (s *SurveyForm) catalogue() *survey.Catalogue {
	cat, err := s.u.cfg.Store.SurveyCatalogue(s.u.ctx())
	if err != nil {
		s.u.log.Error("read survey catalogue; using the app's own", "err", err)
		return survey.MustParse(assets.SurveyCatalogue())
	}
	return cat
}

// latest is the version new responses are asked under.
func (s *SurveyForm) latest() survey.Version { return s.catalogue().Latest() }

// render shows the questions of version v in the catalogue's order, each in the interface's
// language; answers already typed into a question of the same id are kept.
func (s *SurveyForm) render(v survey.Version) {
	old := s.Answers
	s.Version, s.Answers = v, map[string]*Answer{}
	s.InfoAccess, s.InfoSources, s.Satisfaction, s.Suggestion = nil, nil, nil, nil
	s.InfoAccessErr, s.SatisfactionErr, s.SuggestionErr = newFieldError(), newFieldError(), newFieldError()
	lang := s.u.lang
	var objs []fyne.CanvasObject
	for _, q := range v.Questions {
		a := &Answer{Question: q, Heading: heading(q.Text.In(lang)), Err: newFieldError()}
		codes, labels := make([]string, len(q.Options)), make([]string, len(q.Options))
		short, runes := len(q.Options) <= 3, 0
		for i, o := range q.Options {
			codes[i], labels[i] = o.Code, o.Label(lang)
			if q.Kind == record.QuestionScale {
				// "4 — Satisfied": the number is what paper questionnaires carry.
				labels[i] = o.Code + " — " + labels[i]
			}
			runes += utf8.RuneCountInString(labels[i])
			short = short && runes <= 18 // side by side only while a phone's width holds them
		}
		var input fyne.CanvasObject
		switch q.Kind {
		case record.QuestionSingle, record.QuestionScale:
			a.Radio = &codeRadio{codes: codes, labels: labels}
			a.Radio.Options = labels
			a.Radio.Horizontal = short && q.Kind == record.QuestionSingle && fitsPhone(labels)
			a.Radio.ExtendBaseWidget(a.Radio)
			input = a.Radio
		case record.QuestionMulti:
			a.Checks = &codeChecks{Box: container.NewVBox()}
			for i := range codes {
				chk := widget.NewCheck("", nil)
				a.Checks.codes, a.Checks.labels = append(a.Checks.codes, codes[i]), append(a.Checks.labels, labels[i])
				a.Checks.checks = append(a.Checks.checks, chk)
				a.Checks.Box.Add(container.NewBorder(nil, nil, chk, nil, newTapLabel(labels[i], func() { chk.SetChecked(!chk.Checked) })))
			}
			input = a.Checks.Box
		default:
			a.Entry = widget.NewMultiLineEntry()
			a.Entry.Wrapping = fyne.TextWrapWord
			a.Entry.SetMinRowsVisible(2)
			input = a.Entry
		}
		if p, ok := old[q.ID]; ok && p.Question.Kind == q.Kind {
			a.set(p.value())
		}
		block := container.NewVBox(a.Heading)
		if q.AskText != nil {
			hint := wrapLabel(q.AskText.In(lang))
			hint.TextStyle = fyne.TextStyle{Italic: true}
			block.Add(hint)
		}
		block.Add(input)
		block.Add(a.Err.box)
		s.rows[q.ID] = block
		s.Answers[q.ID] = a
		objs = append(objs, block)
		switch q.ID {
		case "info_access":
			s.InfoAccess, s.InfoAccessErr = a.Radio, a.Err
		case "info_sources":
			s.InfoSources = a.Checks
		case "satisfaction":
			s.Satisfaction, s.SatisfactionErr = a.Radio, a.Err
		case "suggestion":
			s.Suggestion, s.SuggestionErr = a.Entry, a.Err
		}
	}
	s.Questions.Objects = objs
	s.Questions.Refresh()
}

// refreshEvents offers the events of the last weeks as the survey's event, newest first, and the
// event chosen now even when it is older: a response of an older event keeps its event.
func (s *SurveyForm) refreshEvents() {
	if v := s.latest(); v.Version != s.Version.Version && s.id == "" && !s.Dirty() {
		// A pull brought a new catalogue version: the next respondent is asked its questions.
		s.render(v)
		s.markClean()
	}
	fillUnits(s.u, s.Unit)
	s.offerEvents(s.Event.code())
}

// offerEvents fills the event choice with the recent events and keep (when not ""), and chooses
// keep; with nothing to keep, today's event is offered once.
func (s *SurveyForm) offerEvents(keep string) {
	from := s.u.cfg.Now().AddDate(0, 0, -60).Format("2006-01-02")
	recs, _, err := s.u.cfg.Store.FindRecords(s.u.ctx(), localstore.Filter{Entity: record.EntityEvent, From: from, Limit: 50})
	if err != nil {
		s.u.log.Error("list events for survey", "err", err)
	}
	labels, codes := []string{s.u.T("ui.survey.no_event")}, []string{""}
	s.events = map[string]localstore.Record{}
	for _, r := range recs {
		labels = append(labels, s.eventLabel(r))
		codes = append(codes, r.ID)
		s.events[r.ID] = r
	}
	if _, ok := s.events[keep]; keep != "" && !ok {
		if r, err := s.u.cfg.Store.FindRecordByID(s.u.ctx(), keep); err == nil {
			labels = append(labels, s.eventLabel(r))
			s.events[r.ID] = r
		} else {
			s.u.log.Warn("survey's event not on this device", "event", keep, "err", err)
			labels = append(labels, keep)
		}
		codes = append(codes, keep)
	}
	s.Event.setOptions(labels, codes)
	switch {
	case keep != "":
		s.Event.setCode(keep)
	case !s.picked && len(recs) > 0 && recs[0].Date == s.u.cfg.Now().Format("2006-01-02"):
		// Surveys are mostly taken at today's event: offer it, once; "No event" stays a choice.
		s.Event.setCode(recs[0].ID)
	default:
		s.Event.setCode("")
	}
	s.updateCount()
}

// eventLabel names an event in the choice: date, kind, soum and, when typed, the place.
func (s *SurveyForm) eventLabel(r localstore.Record) string {
	parts := []string{numfmt.ISODate(s.u.lang, r.Date), s.u.label("kind", r.Kind), s.u.unitName(r.Unit)}
	if p := jsonStr(r.Values["place"]); p != "" {
		parts = append(parts, p)
	}
	return strings.Join(parts, " · ")
}

// eventChosen takes the date and soum of the chosen event.
func (s *SurveyForm) eventChosen() {
	s.picked = true
	if r, ok := s.events[s.Event.code()]; ok {
		s.Date.entry.SetText(r.Date)
		s.Unit.setCode(r.Unit)
	}
	s.updateCount()
}

// updateCount shows how many responses the chosen event has.
func (s *SurveyForm) updateCount() {
	if s.Count == nil {
		return
	}
	ev := s.Event.code()
	if ev == "" {
		s.Count.SetText(s.u.T("ui.survey.count_none"))
		return
	}
	s.Count.SetText(s.u.T("ui.survey.count", s.responsesFor(ev)))
}

// responsesFor counts the stored, non-deleted responses of an event. localstore's Filter has no
// event id, so it lists the surveys of the event's date and unit and looks at their event_id.
func (s *SurveyForm) responsesFor(eventID string) int {
	ev, ok := s.events[eventID]
	if !ok {
		return 0
	}
	recs, _, err := s.u.cfg.Store.FindRecords(s.u.ctx(), localstore.Filter{Entity: record.EntitySurvey, Unit: ev.Unit})
	if err != nil {
		s.u.log.Error("count survey responses", "err", err)
		return 0
	}
	n := 0
	for _, r := range recs {
		if jsonStr(r.Values["event_id"]) == eventID {
			n++
		}
	}
	return n
}

// Fields is what the form would save: every field, nil for the empty ones, and the catalogue
// version the questions shown belong to.
func (s *SurveyForm) Fields() map[string]json.RawMessage {
	out := map[string]json.RawMessage{
		"event_id":                   textJSON(s.Event.code()),
		"date":                       textJSON(s.Date.text()),
		"unit":                       textJSON(s.Unit.code()),
		"target_group":               textJSON(s.TargetGroup.code()),
		"age_band":                   textJSON(s.AgeBand.code()),
		"sex":                        textJSON(s.Sex.code()),
		"insurance_status":           textJSON(s.Insurance.code()),
		record.FieldCatalogueVersion: json.RawMessage(strconv.Itoa(s.Version.Version)),
	}
	for id, a := range s.Answers {
		out[id] = a.value()
	}
	return out
}

func (s *SurveyForm) errs() map[string]fieldError {
	out := map[string]fieldError{"date": s.Date.err, "unit": s.UnitErr, "target_group": s.TargetGroupErr,
		"age_band": s.AgeBandErr, "insurance_status": s.InsuranceErr}
	for id, a := range s.Answers {
		out[id] = a.Err
	}
	return out
}

// order is the form's fields from top to bottom, for scrolling to the first problem.
func (s *SurveyForm) order() []string {
	out := []string{"date", "unit", "target_group", "age_band", "insurance_status"}
	for _, q := range s.Version.Questions {
		out = append(out, q.ID)
	}
	return out
}

// clearAnswers empties the respondent's answers and keeps event, date and soum.
func (s *SurveyForm) clearAnswers() {
	s.id = ""
	s.base = nil
	s.Title.SetText(s.u.T("ui.survey.new"))
	s.TargetGroup.ClearSelected()
	s.AgeBand.SetSelected("")
	s.Sex.SetSelected("")
	s.Insurance.SetSelected("")
	for _, a := range s.Answers {
		a.set(nil)
	}
	for _, e := range s.errs() {
		e.set("")
	}
}

// save writes the response; it reports whether it was saved.
func (s *SurveyForm) save() bool {
	for _, e := range s.errs() {
		e.set("")
	}
	_, problems, err := saveDraft(s.u, record.EntitySurvey, s.id, s.Fields(), s.base)
	if err != nil {
		s.banner.set(s.u.errText(err), widget.DangerImportance)
		return false
	}
	if len(problems) > 0 {
		errs := s.errs()
		by := problemsByField(s.u.cfg.Catalog, s.u.lang, problems)
		for name, text := range by {
			if e, ok := errs[name]; ok {
				e.set(text)
			}
		}
		has := func(name string) bool { _, ok := errs[name]; return ok }
		s.banner.set(fixMessage(s.u, by, problems, has), widget.DangerImportance)
		for _, name := range s.order() {
			if _, bad := by[name]; bad {
				scrollToShow(s.scroll, s.rows[name])
				break
			}
		}
		return false
	}
	return true
}

// SaveAndNext saves the response and readies the form for the next respondent of the same event.
func (s *SurveyForm) SaveAndNext() {
	edited := s.id != ""
	if !s.save() {
		return
	}
	if edited {
		// The edited response is done with: the form is a new one again, not one of its event.
		s.startNew()
		s.u.afterSave()
		s.u.Show(ScreenRecords)
		return
	}
	s.clearAnswers()
	s.updateCount()
	s.banner.set(s.u.T("ui.survey.saved_next"), widget.SuccessImportance)
	s.scroll.ScrollToTop()
	s.markClean()
	s.u.afterSave()
}

// SaveAndClose saves the response and goes to the records list.
func (s *SurveyForm) SaveAndClose() {
	edited := s.id != ""
	if !s.save() {
		return
	}
	if edited {
		s.startNew()
	} else {
		s.clearAnswers()
	}
	s.banner.set("", widget.MediumImportance)
	s.markClean()
	s.u.afterSave()
	s.u.Show(ScreenRecords)
}

// startNew makes the form a new response: no answers, today's date and the inspector's soum, and
// today's event offered again. The nav button opens it so after an edit left unsaved.
func (s *SurveyForm) startNew() {
	s.clearAnswers()
	if v := s.latest(); v.Version != s.Version.Version {
		s.render(v)
	}
	s.picked = false
	s.Date.setTime(s.u.cfg.Now())
	s.Unit.ClearSelected()
	fillUnits(s.u, s.Unit)
	s.offerEvents("")
	s.banner.set("", widget.MediumImportance)
	s.scroll.ScrollToTop()
	s.markClean()
}

// markClean takes what the form shows now as its unedited state.
func (s *SurveyForm) markClean() { s.clean = copyFields(s.Fields()) }

// Dirty reports whether the form holds answers typed and not saved. The event, date and soum
// alone, which the form fills itself, are no unsaved work.
func (s *SurveyForm) Dirty() bool {
	return dirtyFields(s.Fields(), s.clean, s.id == "", "event_id", "date", "unit", record.FieldCatalogueVersion)
}

// Editing reports whether the form edits a stored response.
func (s *SurveyForm) Editing() bool { return s.id != "" }

// Load fills the form with a stored response for editing. Its event stays offered even when it is
// older than the events of the last weeks.
func (s *SurveyForm) Load(r localstore.Record) {
	v := r.Values
	if want := survey.VersionOf(v); want != s.Version.Version {
		// Old answers keep their version: the form shows the questions the respondent was asked.
		if ver, ok := s.catalogue().Version(want); ok {
			s.render(ver)
		} else {
			s.u.log.Warn("survey's catalogue version not on this device; showing the newest", "version", want)
			s.render(s.latest())
		}
	}
	s.clearAnswers()
	fillUnits(s.u, s.Unit)
	s.picked = true
	s.offerEvents(jsonStr(v["event_id"]))
	s.id = r.ID
	s.Title.SetText(s.u.T("ui.survey.edit"))
	s.Date.entry.SetText(jsonStr(v["date"]))
	s.Unit.setCodeOffering(r.Unit, s.u.unitName(r.Unit))
	s.TargetGroup.setCode(jsonStr(v["target_group"]))
	s.AgeBand.setCode(jsonStr(v["age_band"]))
	s.Sex.setCode(jsonStr(v["sex"]))
	s.Insurance.setCode(jsonStr(v["insurance_status"]))
	for id, a := range s.Answers {
		a.set(v[id])
	}
	s.banner.set("", widget.MediumImportance)
	s.updateCount()
	s.base = loaded(s.Fields())
	s.markClean()
}

// phoneRadioWidth is the widest a row of radio options may be and still fit a 360-point phone
// window beside the form's padding and scroll bar.
const phoneRadioWidth = 330

// fitsPhone reports whether labels side by side fit a phone's width. Letters differ in width
// ("Шийдээгүй" is wider than "Хэсэгчлэн"), so a count of letters let a row grow the window by 7
// points in the real window; the row is measured as Fyne lays it out instead.
func fitsPhone(labels []string) bool {
	probe := widget.NewRadioGroup(labels, nil)
	probe.Horizontal = true
	return probe.MinSize().Width <= phoneRadioWidth
}
