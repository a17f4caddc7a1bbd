package ui

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"talbar/fieldapp/localstore"
	"talbar/shared/i18n"
	"talbar/shared/record"
	"talbar/syncproto"
)

// activityForm is an enrolled app on the event form.
func activityForm(t *testing.T, lang string) (*env, *EventForm) {
	t.Helper()
	e := newEnv(t, lang, laptop)
	enrollOffline(t, e.db, "MN6501")
	e.ui.loadUnits()
	e.ui.Event.ensureUnits()
	e.ui.Show(ScreenEvent)
	return e, e.ui.Event
}

// TestEventFormOffersEveryKind: to a division officer the kind drop-down offers every activity
// the programme names, in the interface's language, and each kind's own block shows for it alone.
func TestEventFormOffersEveryKind(t *testing.T) {
	for _, lang := range []string{i18n.MN, i18n.EN} {
		e, f := activityForm(t, lang)
		enrollOfflineAs(t, e.db, "MN65", syncproto.RoleOfficer)
		f.startNew()
		for _, k := range record.EventKinds {
			if !slices.Contains(f.Kind.Options, catalog.T(lang, "kind."+k.Code)) {
				t.Errorf("%s: the kind drop-down lacks %s", lang, k.Code)
			}
		}
		if len(f.Kind.Options) != len(record.EventKinds) {
			t.Errorf("%s: %d kinds offered, want %d", lang, len(f.Kind.Options), len(record.EventKinds))
		}
		if f.smsBox.Visible() || f.otherBox.Visible() || f.broadcastBox.Visible() || f.entriesBox.Visible() {
			t.Fatalf("%s: a kind's block shows before a kind is chosen", lang)
		}
		for kind, box := range map[string]interface{ Visible() bool }{record.KindSMSCampaign: f.smsBox, record.KindOther: f.otherBox,
			record.KindBroadcast: f.broadcastBox, record.KindEssayContest: f.entriesBox, record.KindStudentConference: f.entriesBox} {
			f.Kind.setCode(kind)
			if !box.Visible() {
				t.Errorf("%s: the block of %s is hidden when it is chosen", lang, kind)
			}
			f.Kind.setCode(record.KindLecture)
			if box.Visible() {
				t.Errorf("%s: the block of %s shows for a lecture", lang, kind)
			}
		}
		// A block that holds a value stays in sight whatever the kind.
		f.Kind.setCode(record.KindBroadcast)
		test.Type(f.Minutes.entry, "30")
		f.Kind.setCode(record.KindLecture)
		if !f.broadcastBox.Visible() {
			t.Errorf("%s: the broadcast's minutes were hidden while they hold a value", lang)
		}
	}
}

// TestEventFormBroadcastDivisionOnly: local TV and radio broadcasts are division-level work
// (Annex 1 2.5, level "О"): a soum inspector is not offered the kind, in either language; the
// same device enrolled as a division officer is; an inspector's event of another kind keeps its
// kind when opened for editing.
func TestEventFormBroadcastDivisionOnly(t *testing.T) {
	for _, lang := range []string{i18n.MN, i18n.EN} {
		e, f := activityForm(t, lang)
		label := catalog.T(lang, "kind."+record.KindBroadcast)
		if slices.Contains(f.Kind.Options, label) {
			t.Errorf("%s: a soum inspector is offered %q", lang, label)
		}
		if len(f.Kind.Options) != len(record.EventKinds)-1 || !slices.Contains(f.Kind.Options, catalog.T(lang, "kind."+record.KindLecture)) {
			t.Errorf("%s: a soum inspector is offered %d kinds, want every kind but the broadcast", lang, len(f.Kind.Options))
		}
		if f.Kind.setCode(record.KindBroadcast); f.Kind.code() != "" {
			t.Errorf("%s: a soum inspector's form took the broadcast kind", lang)
		}
		enrollOfflineAs(t, e.db, "MN65", syncproto.RoleOfficer)
		f.startNew()
		if !slices.Contains(f.Kind.Options, label) {
			t.Errorf("%s: a division officer is not offered %q", lang, label)
		}
		if f.Kind.setCode(record.KindBroadcast); f.Kind.code() != record.KindBroadcast {
			t.Errorf("%s: a division officer cannot choose the broadcast kind", lang)
		}
	}
}

// TestEventFormOtherNeedsDescription: an "other" activity is not saved without saying what it
// was; the message is under the description, in the user's language; with it, it is saved.
func TestEventFormOtherNeedsDescription(t *testing.T) {
	e, f := activityForm(t, i18n.MN)
	f.Kind.setCode(record.KindOther)
	test.Type(f.Total.entry, "12")
	test.Tap(f.SaveButton)
	if _, n, _ := e.db.FindRecords(context.Background(), localstore.Filter{}); n != 0 {
		t.Fatalf("an other activity without a description was saved")
	}
	if got, want := f.KindOtherErr.Text, "ямар арга хэмжээ болохыг бичнэ үү"; got != want || !f.KindOtherErr.Visible() {
		t.Fatalf("message under the description %q (shown %v), want %q", got, f.KindOtherErr.Visible(), want)
	}
	if !strings.Contains(f.Status.Text, catalog.N(i18n.MN, "ui.form.fix_count", 1, 1)) {
		t.Errorf("banner %q", f.Status.Text)
	}
	test.Type(f.KindOther, "Эмнэлгийн ажилтнуудтай уулзалт")
	if f.KindOtherErr.Visible() {
		t.Errorf("the message stays after the description is typed: %q", f.KindOtherErr.Text)
	}
	test.Tap(f.SaveButton)
	recs, n, _ := e.db.FindRecords(context.Background(), localstore.Filter{})
	if n != 1 || jsonStr(recs[0].Values["kind_other"]) != "Эмнэлгийн ажилтнуудтай уулзалт" || string(recs[0].Values["reached_total"]) != "12" {
		t.Fatalf("saved %d: %v", n, recs)
	}
}

// TestEventFormGroupAboveTotal: a target group above the total is marked as it is typed and
// refused at Save with a message that names the field, in both languages; sexes adding up to more
// than the total are refused too; groups that overlap but stay within the total are saved, and
// the form's "people reached" is the total, not their sum.
func TestEventFormGroupAboveTotal(t *testing.T) {
	for _, lang := range []string{i18n.MN, i18n.EN} {
		e, f := activityForm(t, lang)
		f.Kind.setCode(record.KindLecture)
		test.Type(f.Total.entry, "30")
		test.Type(f.Reached["herders"].entry, "31")
		over := catalog.T(lang, "err.over_total")
		if got := f.Reached["herders"].err.Text; got != over || !f.Reached["herders"].err.Visible() {
			t.Fatalf("%s: message under herders %q, want %q", lang, got, over)
		}
		test.Tap(f.SaveButton)
		if _, n, _ := e.db.FindRecords(context.Background(), localstore.Filter{}); n != 0 {
			t.Fatalf("%s: a group above the total was saved", lang)
		}
		named := catalog.T(lang, "field.reached") + " / " + catalog.T(lang, "target_group.herders") + ": " + over
		if !strings.Contains(f.Status.Text, named) {
			t.Errorf("%s: banner %q does not name the field (%q)", lang, f.Status.Text, named)
		}
		// Raising the total clears the message under the group.
		f.Total.entry.SetText("")
		test.Type(f.Total.entry, "40")
		if f.Reached["herders"].err.Visible() {
			t.Errorf("%s: the message stays once the total is 40: %q", lang, f.Reached["herders"].err.Text)
		}
		test.Type(f.Sex["female"].entry, "25")
		test.Type(f.Sex["male"].entry, "16")
		if got, want := f.SexErr.Text, catalog.T(lang, "err.over_total.reached_sex"); got != want || !f.SexErr.Visible() {
			t.Errorf("%s: sexes adding up to 41 of 40: %q, want %q", lang, got, want)
		}
		f.Sex["male"].entry.SetText("")
		test.Type(f.Sex["male"].entry, "15")
		test.Type(f.Reached["near_pension"].entry, "35")
		test.Type(f.Age["55_plus"].entry, "20")
		if got, want := f.ReachedTotal.Text, catalog.T(lang, "ui.event.reached_total", f.u.num(40)); got != want {
			t.Errorf("%s: people reached %q, want %q (the total, not 31+35)", lang, got, want)
		}
		test.Tap(f.SaveButton)
		recs, n, _ := e.db.FindRecords(context.Background(), localstore.Filter{})
		if n != 1 {
			t.Fatalf("%s: saved %d, banner %q", lang, n, f.Status.Text)
		}
		v := recs[0].Values
		var sex, age map[string]int
		json.Unmarshal(v["reached_sex"], &sex)
		json.Unmarshal(v["reached_age"], &age)
		if string(v["reached_total"]) != "40" || sex["female"] != 25 || sex["male"] != 15 || age["55_plus"] != 20 {
			t.Errorf("%s: stored %s %s %s", lang, v["reached_total"], v["reached_sex"], v["reached_age"])
		}
	}
}

// TestEventFormSMSCampaign: an SMS campaign with its purpose, messages by group, topics and
// channels is saved as typed, and loads back into the form for an edit.
func TestEventFormSMSCampaign(t *testing.T) {
	e, f := activityForm(t, i18n.EN)
	f.Kind.setCode(record.KindSMSCampaign)
	f.SMSPurpose.setCode("pre_retirement")
	test.Type(f.MessagesSent.entry, "500")
	test.Type(f.Messages["near_pension"].entry, "501")
	if !f.Messages["near_pension"].err.Visible() {
		t.Fatal("501 messages to one group of 500 sent is not marked")
	}
	f.Messages["near_pension"].entry.SetText("")
	test.Type(f.Messages["near_pension"].entry, "480")
	f.Topics.setCodes([]string{"pensions", "contributions_check"})
	f.Channels.setCodes([]string{"sms"})
	f.Partners.setCodes([]string{"social_worker"})
	test.Type(f.Bagh, "5-р хороо")
	test.Tap(f.SaveButton)
	recs, n, _ := e.db.FindRecords(context.Background(), localstore.Filter{})
	if n != 1 {
		t.Fatalf("saved %d; banner %q", n, f.Status.Text)
	}
	v := recs[0].Values
	if jsonStr(v["sms_purpose"]) != "pre_retirement" || string(v["messages_sent"]) != "500" || !slices.Equal(jsonStrs(v["topics"]), []string{"pensions", "contributions_check"}) ||
		!slices.Equal(jsonStrs(v["channels"]), []string{"sms"}) || jsonStr(v["bagh"]) != "5-р хороо" || !slices.Equal(jsonStrs(v["partners"]), []string{"social_worker"}) {
		t.Fatalf("stored %v", v)
	}
	f.Load(recs[0])
	if f.SMSPurpose.code() != "pre_retirement" || f.Messages["near_pension"].entry.Text != "480" || !f.smsBox.Visible() ||
		!slices.Equal(f.Topics.selectedCodes(), []string{"pensions", "contributions_check"}) || f.Bagh.Text != "5-р хороо" {
		t.Fatalf("loaded: purpose %q, messages %q, topics %v", f.SMSPurpose.code(), f.Messages["near_pension"].entry.Text, f.Topics.selectedCodes())
	}
}
