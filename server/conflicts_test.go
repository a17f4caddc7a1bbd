package main

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"talbar/server/store"
	"talbar/syncproto"
)

// conflictSetup has an inspector create a herder meeting with 20 herders and then, from the same
// version, the inspector write 25 and the aimag's officer 30 later: 30 wins everywhere and the
// inspector's 25 is kept as a conflict.
func conflictSetup(t *testing.T, m *Main) (insp, off *client, recordID string) {
	t.Helper()
	insp = enrollDevice(t, m, "MN6501", syncproto.RoleInspector)
	off = enrollDevice(t, m, "MN-073", syncproto.RoleOfficer)
	create := insp.event("MN6501", "herder_meeting", 20, "")
	if r := insp.push(create); len(r.Accepted) != 1 {
		t.Fatalf("create: %+v", r)
	}
	base := map[string]string{"reached.herders": create.HLC, syncproto.BaseRecord: create.HLC}
	a := insp.change(create.RecordID, "event", syncproto.OpUpsert, `{"reached.herders":25}`)
	a.Base = base
	time.Sleep(2 * time.Millisecond)
	b := off.change(create.RecordID, "event", syncproto.OpUpsert, `{"reached.herders":30}`)
	b.Base = base
	if r := insp.push(a); len(r.Accepted) != 1 {
		t.Fatalf("inspector's edit: %+v", r)
	}
	if r := off.push(b); len(r.Accepted) != 1 {
		t.Fatalf("officer's edit: %+v", r)
	}
	return insp, off, create.RecordID
}

// pulledHerders is what a device pulls last for reached.herders of a record, and who wrote it.
func pulledHerders(t *testing.T, c *client, recordID string) (value, writer string) {
	t.Helper()
	var page syncproto.PullResponse
	if st := c.do("GET", "/api/v1/pull?since=0", nil, &page); st != 200 {
		t.Fatalf("pull: %d", st)
	}
	for _, ch := range page.Changes {
		if v, ok := ch.Fields["reached.herders"]; ok && ch.RecordID == recordID {
			value, writer = string(v), ch.WriterName
		}
	}
	return value, writer
}

var conflictRow = regexp.MustCompile(`data-conflict="(\d+)"`)

var currentField = regexp.MustCompile(`name="current" value="([0-9a-f]*)"`)

// currentOf is the version of the current value a conflict row's forms were shown with.
func currentOf(t *testing.T, tr string) string {
	t.Helper()
	m := currentField.FindStringSubmatch(tr)
	if m == nil || m[1] == "" {
		t.Fatalf("the row's forms carry no current version: %s", tr)
	}
	return m[1]
}

// The review list over HTTP: the division's officer and headquarters see the conflict, a viewer
// and another division's officer do not; restoring the other value is a change devices pull,
// which moves the totals, and the conflict leaves the list.
func TestDashboardConflicts(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	insp, off, id := conflictSetup(t, m)
	if n, _ := m.Store.OpenConflicts(context.Background()); n["MN6501"] != 1 {
		t.Fatalf("open conflicts %v, want one in MN6501", n)
	}
	dashUser(t, m, "sara", store.WebOfficer, "MN-073")
	dashUser(t, m, "other", store.WebOfficer, "MN-046")
	dashUser(t, m, "view", store.WebViewer, "")
	if st, _ := dashSignIn(t, m, "view").get("/dashboard/conflicts"); st != 403 {
		t.Fatalf("viewer: %d", st)
	}
	if _, body := dashSignIn(t, m, "other").get("/dashboard/conflicts"); conflictRow.MatchString(body) {
		t.Fatal("another division's officer sees the conflict")
	}
	w := dashSignIn(t, m, "sara")
	_, body := w.get("/dashboard/conflicts?lang=en")
	row := conflictRow.FindStringSubmatch(body)
	if row == nil {
		t.Fatalf("no conflict listed: %.2000s", body)
	}
	i := strings.Index(body, `data-conflict="`+row[1])
	tr := body[i : i+strings.Index(body[i:], "</tr>")]
	for _, want := range []string{"Herders", `data-col="kept"><strong>30</strong>`, "Test MN-073", `data-col="lost"><strong>25</strong>`, "Test MN6501"} {
		if !strings.Contains(tr, want) {
			t.Errorf("conflict row lacks %q: %s", want, tr)
		}
	}
	if !strings.Contains(body, `id="nav-conflicts"`) {
		t.Error("no navigation link to the conflicts")
	}
	cur := currentOf(t, tr)
	if st, _ := w.post("/dashboard/conflicts/resolve", url.Values{"id": {row[1]}, "choice": {"replaced"}, "value": {"-3"}, "current": {cur}}); st != 400 {
		t.Fatalf("a negative third value: %d", st)
	}

	// The officer corrects the count again, from the 30 they saw: the row's value becomes 35 (the
	// inspector's 25 is still overwritten, now by 35), and a choice made on the page that showed
	// 30 is refused with a clear message, writing nothing.
	again := off.change(id, "event", syncproto.OpUpsert, `{"reached.herders":35}`)
	again.Base = map[string]string{"reached.herders": cur, syncproto.BaseRecord: cur}
	if r := off.push(again); len(r.Accepted) != 1 {
		t.Fatalf("officer's second edit: %+v", r)
	}
	st, body := w.post("/dashboard/conflicts/resolve?lang=en", url.Values{"id": {row[1]}, "choice": {"restored"}, "current": {cur}})
	if st != 400 || !strings.Contains(body, "changed after the page was shown") {
		t.Fatalf("restore from a stale page: %d %.3000s", st, body)
	}
	if v, _ := pulledHerders(t, insp, id); v != "35" {
		t.Fatalf("after a refused stale choice the inspector pulls herders=%s, want 35", v)
	}
	i = strings.Index(body, `data-conflict="`+row[1])
	if i < 0 {
		t.Fatalf("the conflict left the list after a stale choice: %.3000s", body)
	}
	tr = body[i : i+strings.Index(body[i:], "</tr>")]
	if !strings.Contains(tr, `data-col="kept"><strong>35</strong>`) || !strings.Contains(tr, `data-col="lost"><strong>25</strong>`) {
		t.Fatalf("the row does not show the current 35 against the lost 25: %s", tr)
	}
	if cs, _ := m.Store.Conflicts(context.Background(), store.ConflictFilter{}); len(cs) != 1 || string(cs[0].Kept.Value) != "35" || cs[0].Kept.HLC != again.HLC {
		t.Fatalf("kept conflicts %+v, want one kept against the current 35", cs)
	}
	if st, _ := w.post("/dashboard/conflicts/resolve", url.Values{"id": {row[1]}, "choice": {"restored"}}); st != 400 {
		t.Fatalf("restore from a form without the value it was shown: %d", st)
	}
	if st, _ := w.post("/dashboard/conflicts/resolve", url.Values{"id": {row[1]}, "choice": {"restored"}, "current": {currentOf(t, tr)}}); st != 303 {
		t.Fatalf("restore: %d", st)
	}
	if v, who := pulledHerders(t, insp, id); v != "25" || who != "sara" {
		t.Fatalf("the inspector pulls herders=%s by %q, want 25 by sara", v, who)
	}
	if got := num(insp.totals("MN6501", 2026), "reached.herders"); got != 25 {
		t.Fatalf("totals herders %v, want 25", got)
	}
	if _, body = w.get("/dashboard/conflicts"); conflictRow.MatchString(body) {
		t.Fatal("the settled conflict is still listed")
	}
	if n, _ := m.Store.OpenConflicts(context.Background()); n["MN6501"] != 0 {
		t.Fatalf("open conflicts after settling: %v", n)
	}
}

// The review list in headless Chromium: an officer restores the overwritten value and the
// device pulls it.
func TestDashboardConflictsBrowser(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	insp, _, id := conflictSetup(t, m)
	dashUser(t, m, "sara", store.WebOfficer, "MN-073")
	ctx := newBrowser(t, 1280, 900)
	base := "http://" + m.Addr()
	browserSignIn(t, ctx, base, "sara")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("nav-conflicts")),
		chromedp.WaitVisible(chromedp.CSS(`#conflicts-table button[data-action="restore"]`)),
		chromedp.Click(chromedp.CSS(`#conflicts-table button[data-action="restore"]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.ok[role="status"]`)),
	); err != nil {
		t.Fatalf("restore in the browser: %v", err)
	}
	status, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(`p.ok[role="status"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status, "шийдэгдлээ") {
		t.Errorf("status after restoring: %q", status)
	}
	if v, who := pulledHerders(t, insp, id); v != "25" || who != "sara" {
		t.Fatalf("the inspector pulls herders=%s by %q, want 25 by sara", v, who)
	}
}
