package dashboard

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"talbar/server/store"
	"talbar/shared/indicator"
	"talbar/shared/record"
	"talbar/shared/tally"
	"talbar/shared/unit"
)

// table is an export: a header and rows produced on demand, so a million records stream out
// page by page instead of sitting in memory.
type table struct {
	Sheet  string
	Header []string
	// Widths are the XLSX column widths in characters, by column; a missing or zero one is
	// taken from the header.
	Widths []float64
	Rows   func(ctx context.Context, emit func([]any) error) error
}

// dateCell is a calendar date (YYYY-MM-DD): text in the CSV, a real date in the XLSX so a
// spreadsheet sorts, filters and adds to it as a date.
type dateCell string

// xlsxDate is the day as excelize writes a date, or false for text that is not a date.
func (d dateCell) xlsxDate() (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, string(d))
	return t, err == nil
}

// writeCSV writes a UTF-8 CSV with a byte-order mark, which spreadsheet programs need to read
// Cyrillic correctly. It quotes more than encoding/csv does (see csvField), so a spreadsheet that
// splits on semicolons, as those set up for a decimal comma do, still sees one cell per field.
func writeCSV(ctx context.Context, w io.Writer, t table) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString("\ufeff"); err != nil {
		return err
	}
	writeRow := func(fields []string) error {
		for i, f := range fields {
			if i > 0 {
				bw.WriteByte(',')
			}
			csvField(bw, f)
		}
		_, err := bw.WriteString("\r\n")
		return err
	}
	if err := writeRow(t.Header); err != nil {
		return fmt.Errorf("write csv header: %w", err)
	}
	rec := make([]string, len(t.Header))
	err := t.Rows(ctx, func(row []any) error {
		for i, x := range row {
			rec[i] = cellText(x)
		}
		return writeRow(rec[:len(row)])
	})
	if err != nil {
		return fmt.Errorf("write csv rows: %w", err)
	}
	return bw.Flush()
}

// csvField writes one field, in double quotes (doubled inside) when it holds a comma, semicolon,
// quote, tab or line break, or starts or ends with a space: every separator a spreadsheet might
// split on stays inside the cell.
func csvField(w *bufio.Writer, f string) {
	if !strings.ContainsAny(f, ",;\"\t\r\n") && strings.TrimSpace(f) == f {
		w.WriteString(f)
		return
	}
	w.WriteByte('"')
	w.WriteString(strings.ReplaceAll(f, `"`, `""`))
	w.WriteByte('"')
}

// cellText is a CSV cell: plain digits for numbers so spreadsheets read them as numbers, and
// text made safe from formula injection (see safeText).
func cellText(x any) string {
	switch v := x.(type) {
	case nil:
		return ""
	case string:
		return safeText(v)
	case dateCell:
		return safeText(string(v))
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case *float64:
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	return safeText(fmt.Sprint(x))
}

// safeText defuses text a spreadsheet would run as a formula: wherever a cell could begin (at
// the start, or after a ; or , for a spreadsheet that splits on those, as ones set up for a
// decimal comma do) and the first character after any spaces is = + - @, a tab or a carriage
// return ("=HYPERLINK(…)", "Bazaar;=1+1"), a single quote goes before it, which Excel and
// LibreOffice take as "this is text" (OWASP's advice for CSV injection). Numbers never reach here
// as text, so negative figures stay numbers. The XLSX export needs none of this: excelize writes
// strings as string cells, never as formulas.
func safeText(s string) string {
	var b strings.Builder
	start := true // a cell could begin here
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case start && c == ' ':
		case start && strings.IndexByte("=+-@\t\r", c) >= 0:
			b.WriteByte('\'')
			start = false
		default:
			start = c == ';' || c == ','
		}
		b.WriteByte(c)
	}
	return b.String()
}

// writeXLSX writes one sheet through excelize's stream writer, which keeps memory flat: a bold
// header row that stays in view (frozen) and carries an auto-filter, columns wide enough for
// their header, and dates as dates.
func writeXLSX(ctx context.Context, w io.Writer, t table) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", t.Sheet); err != nil {
		return fmt.Errorf("name sheet: %w", err)
	}
	sw, err := f.NewStreamWriter(t.Sheet)
	if err != nil {
		return fmt.Errorf("stream writer: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return fmt.Errorf("header style: %w", err)
	}
	dateFmt := "yyyy-mm-dd"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return fmt.Errorf("date style: %w", err)
	}
	for i, hd := range t.Header {
		wd := 0.0
		if i < len(t.Widths) {
			wd = t.Widths[i]
		}
		if wd == 0 {
			// A long header wraps onto two or three lines rather than making a wide column.
			wd = min(max(float64(utf8.RuneCountInString(hd))/2+2, 10), 24)
		}
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return fmt.Errorf("column width: %w", err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return fmt.Errorf("freeze header: %w", err)
	}
	head := make([]any, len(t.Header))
	for i, s := range t.Header {
		head[i] = excelize.Cell{StyleID: bold, Value: s}
	}
	if err := sw.SetRow("A1", head, excelize.RowOpts{}); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	n := 1
	err = t.Rows(ctx, func(row []any) error {
		n++
		if n > excelize.TotalRows {
			return fmt.Errorf("more than %d rows: use the CSV export", excelize.TotalRows)
		}
		cells := make([]any, len(row))
		for i, x := range row {
			switch v := x.(type) {
			case *float64:
				if v != nil {
					cells[i] = *v
				}
			case dateCell:
				if d, ok := v.xlsxDate(); ok {
					cells[i] = excelize.Cell{StyleID: dateStyle, Value: d}
				} else {
					cells[i] = string(v)
				}
			default:
				cells[i] = v
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, cells)
	})
	if err != nil {
		return fmt.Errorf("write rows: %w", err)
	}
	// The stream writer holds the sheet until Flush, which writes the filter set here.
	last, _ := excelize.CoordinatesToCellName(max(len(t.Header), 1), n)
	if err := f.AutoFilter(t.Sheet, "A1:"+last, nil); err != nil {
		return fmt.Errorf("auto-filter: %w", err)
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("flush sheet: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// send writes a table in the format of ext to a temporary file, then sends it as a download.
// Writing first costs a file as large as the export (never memory), but an export that fails
// part-way answers an error page instead of a 200 with a truncated file the user would trust.
func (h *Handler) send(c *fiber.Ctx, t table, name, ext string) error {
	var ctype string
	switch ext {
	case "csv":
		ctype = "text/csv; charset=utf-8"
	case "xlsx":
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	default:
		return h.fail(c, fiber.StatusNotFound, "error.not_found")
	}
	f, err := os.CreateTemp("", "talbar-export-*")
	if err != nil {
		return h.serverError(c, fmt.Errorf("export %s: %w", name, err))
	}
	os.Remove(f.Name()) // the open file stays readable; nothing is left behind
	if ext == "csv" {
		err = writeCSV(c.UserContext(), f, t)
	} else {
		err = writeXLSX(c.UserContext(), f, t)
	}
	var size int64
	if err == nil {
		size, err = f.Seek(0, io.SeekCurrent)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return h.serverError(c, fmt.Errorf("export %s: %w", name, err))
	}
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.%s"`, name, ext))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendStream(f, int(size)) // fasthttp closes f once sent
}

type exportsData struct {
	Unit    string
	Units   []string
	Year    int
	Years   []int
	Period  Period
	Periods []Period
}

func (h *Handler) exports(c *fiber.Ctx) error {
	code, st := h.scopeUnit(c, c.Query("unit"))
	if st != 0 {
		return h.scopeFail(c, st)
	}
	v := h.newView(c, "exports")
	v.Title = v.T("dash.nav.exports")
	v.Data = exportsData{Unit: code, Units: h.unitChoices(v), Year: h.yearQuery(c), Years: h.years(),
		Period: ParsePeriod(c.Query("period")), Periods: Periods}
	return h.render(c, "exports", v)
}

// totalsLead holds the catalogue keys of the totals export's first columns, before one column
// per tally metric and the two survey shares.
var totalsLead = []string{"dash.col.code", "dash.col.level", "dash.col.parent", "dash.col.name"}

// exportTotals writes the totals of the user's scope: the unit itself, every division below it
// and every soum or district, one row each.
func (h *Handler) exportTotals(c *fiber.Ctx) error {
	code, st := h.scopeUnit(c, c.Query("unit"))
	if st != 0 {
		return h.scopeFail(c, st)
	}
	v := h.newView(c, "exports")
	year, p := h.yearQuery(c), ParsePeriod(c.Query("period"))
	leaves, err := h.leafTotals(c.UserContext(), year, p)
	if err != nil {
		return h.serverError(c, err)
	}
	var header []string
	for _, k := range totalsLead {
		header = append(header, v.T(k))
	}
	for _, k := range tally.Metrics {
		label := metricLabel(v, k)
		switch {
		case strings.HasPrefix(k, "events."):
			label = v.T("dash.m.events") + ": " + label
		case strings.HasPrefix(k, "reached."):
			label = v.T("dash.m.reached") + ": " + label
		case strings.HasPrefix(k, "materials."):
			label = v.T("dash.m.materials") + ": " + label
		case strings.HasPrefix(k, "reached_sex."), strings.HasPrefix(k, "reached_age."):
			label = v.T("dash.m.reached") + ": " + label
		case strings.HasPrefix(k, "messages."):
			label = v.T("field.messages") + ": " + label
		case strings.HasPrefix(k, "messages_purpose."):
			label = v.T("dash.sms") + ": " + label
		case strings.HasPrefix(k, "topics."):
			label = v.T("dash.events_by_topic") + ": " + label
		case strings.HasPrefix(k, "channels."):
			label = v.T("dash.events_by_channel") + ": " + label
		}
		header = append(header, label)
	}
	header = append(header, metricLabel(v, "cannot_get_info_pct"), metricLabel(v, "satisfaction_pct"))
	var codes []unit.Code
	var walk func(unit.Code)
	walk = func(x unit.Code) {
		codes = append(codes, x)
		for _, ch := range h.cfg.Units.Children(x) {
			walk(ch)
		}
	}
	walk(unit.Code(code))
	t := table{Sheet: v.T("dash.sheet.totals"), Header: header, Widths: []float64{10, 12, 10, 22},
		Rows: func(_ context.Context, emit func([]any) error) error {
			for _, x := range codes {
				u, _ := h.cfg.Units.Get(x)
				tv := h.rollUp(leaves, string(x))
				row := []any{string(u.Code), v.T("level." + string(u.Level)), string(u.Parent), u.Name(v.Lang)}
				for i := range tally.Metrics {
					row = append(row, tv[i])
				}
				info, _ := indicator.Measure(indicator.CannotGetInfoPct, tv)
				sat, _ := indicator.Measure(indicator.SatisfactionPct, tv)
				row = append(row, info, sat)
				if err := emit(row); err != nil {
					return err
				}
			}
			return nil
		}}
	return h.send(c, t, fmt.Sprintf("talbar-totals-%s-%d-%s", code, year, p.Code), c.Params("ext"))
}

// exportRecords writes the merged events or surveys of a year in the user's scope. Surveys stay
// anonymous: the free-text suggestion is left out, since a respondent may write a name or phone
// number in it; no other survey field can identify a person.
func (h *Handler) exportRecords(c *fiber.Ctx) error {
	entity := map[string]string{"events": record.EntityEvent, "surveys": record.EntitySurvey}[c.Params("entity")]
	if entity == "" {
		return h.fail(c, fiber.StatusNotFound, "error.not_found")
	}
	code, st := h.scopeUnit(c, c.Query("unit"))
	if st != 0 {
		return h.scopeFail(c, st)
	}
	v := h.newView(c, "exports")
	year := h.yearQuery(c)
	var events map[string]string
	if entity == record.EntitySurvey {
		var err error
		if events, err = h.eventLabels(c.UserContext(), v, code); err != nil {
			return h.serverError(c, err)
		}
	}
	cols := recordColumns(v, entity, events)
	header := make([]string, len(cols))
	widths := make([]float64, len(cols))
	for i, col := range cols {
		header[i], widths[i] = col.label, col.width
	}
	s := h.cfg.Store
	t := table{Sheet: v.T("dash.sheet." + entity), Header: header, Widths: widths,
		Rows: func(ctx context.Context, emit func([]any) error) error {
			after := ""
			for {
				recs, err := s.Records(ctx, store.RecordFilter{Entity: entity, Unit: code, Year: year, Limit: 5000, After: after})
				if err != nil {
					return err
				}
				for _, r := range recs {
					if r.Deleted {
						continue
					}
					row := make([]any, len(cols))
					for i, col := range cols {
						row[i] = col.value(r)
					}
					if err := emit(row); err != nil {
						return err
					}
				}
				if len(recs) < 5000 {
					return nil
				}
				after = recs[len(recs)-1].ID
			}
		}}
	return h.send(c, t, fmt.Sprintf("talbar-%s-%s-%d", c.Params("entity"), code, year), c.Params("ext"))
}

type column struct {
	label string
	value func(store.Record) any
	width float64 // XLSX width in characters; 0 from the header
}

// eventLabel names an event as a person recognises it: its date, kind and place.
func eventLabel(v *view, r store.Record) string {
	parts := []string{v.FormatDate(r.Date)}
	if k, _ := r.Values["kind"].(string); k != "" {
		parts = append(parts, v.T("kind."+k))
	}
	if p, _ := r.Values["place"].(string); p != "" {
		parts = append(parts, p)
	}
	return strings.Join(parts, " · ")
}

// eventLabels names every event of a unit's scope by id, for the survey export: a survey points
// at its event by id, which means nothing to a reader. Events of every year are read, since a
// survey may be dated after its event's year ends.
func (h *Handler) eventLabels(ctx context.Context, v *view, code string) (map[string]string, error) {
	out := map[string]string{}
	after := ""
	for {
		recs, err := h.cfg.Store.Records(ctx, store.RecordFilter{Entity: record.EntityEvent, Unit: code, Limit: 5000, After: after})
		if err != nil {
			return nil, fmt.Errorf("events for the survey export: %w", err)
		}
		for _, r := range recs {
			out[r.ID] = eventLabel(v, r)
		}
		if len(recs) < 5000 {
			return out, nil
		}
		after = recs[len(recs)-1].ID
	}
}

// recordColumns lists an entity's export columns; code fields are written as their labels, and
// a survey's event as its date, kind and place (events names them by id).
func recordColumns(v *view, entity string, events map[string]string) []column {
	str := func(k string) func(store.Record) any {
		return func(r store.Record) any { s, _ := r.Values[k].(string); return s }
	}
	lbl := func(k, list string) func(store.Record) any {
		return func(r store.Record) any {
			if s, _ := r.Values[k].(string); s != "" {
				return v.T(list + "." + s)
			}
			return ""
		}
	}
	num := func(k string) func(store.Record) any {
		return func(r store.Record) any {
			if f, ok := r.Values[k].(float64); ok {
				return int64(f)
			}
			return nil
		}
	}
	cols := []column{
		{"ID", func(r store.Record) any { return r.ID }, 38},
		{v.T("field.date"), func(r store.Record) any { return dateCell(r.Date) }, 12},
		{v.T("dash.col.code"), func(r store.Record) any { return r.Unit }, 10},
		{v.T("field.unit"), func(r store.Record) any { return v.UnitName(r.Unit) }, 18},
		{v.T("dash.col.division"), func(r store.Record) any { return v.UnitName(string(v.h.cfg.Units.Division(unit.Code(r.Unit)))) }, 18},
	}
	list := func(k, listName string) func(store.Record) any {
		return func(r store.Record) any {
			xs, _ := r.Values[k].([]any)
			var out []string
			for _, x := range xs {
				if s, ok := x.(string); ok {
					out = append(out, v.T(listName+"."+s))
				}
			}
			return strings.Join(out, "; ")
		}
	}
	if entity == record.EntityEvent {
		cols = append(cols,
			column{v.T("field.kind"), lbl("kind", "kind"), 18},
			column{v.T("field.kind_other"), str("kind_other"), 24},
			column{v.T("field.bagh"), str("bagh"), 14},
			column{v.T("field.place"), str("place"), 24},
			column{v.T("field.occasion"), lbl("occasion", "occasion"), 20},
			column{v.T("field.partners"), list("partners", "partner"), 24},
			column{v.T("field.topics"), list("topics", "topic"), 24},
			column{v.T("field.channels"), list("channels", "channel"), 24},
			column{v.T("field.reached_total"), num("reached_total"), 0})
		counts := func(k, g string) func(store.Record) any {
			return func(r store.Record) any {
				m, _ := r.Values[k].(map[string]any)
				if f, ok := m[g].(float64); ok {
					return int64(f)
				}
				return int64(0)
			}
		}
		for _, g := range record.TargetGroups {
			cols = append(cols, column{v.T("dash.m.reached") + ": " + v.T("target_group."+g.Code), counts("reached", g.Code), 0})
		}
		for _, g := range record.Sexes {
			cols = append(cols, column{v.T("dash.m.reached") + ": " + v.T("sex."+g.Code), counts("reached_sex", g.Code), 0})
		}
		for _, g := range record.ParticipantAges {
			cols = append(cols, column{v.T("dash.m.reached") + ": " + v.T("participant_age."+g.Code), counts("reached_age", g.Code), 0})
		}
		for _, g := range record.Materials {
			cols = append(cols, column{v.T("dash.m.materials") + ": " + v.T("material."+g.Code), counts("materials", g.Code), 0})
		}
		cols = append(cols, column{v.T("field.sms_purpose"), lbl("sms_purpose", "sms_purpose"), 18},
			column{v.T("field.messages_sent"), num("messages_sent"), 0})
		for _, g := range record.TargetGroups {
			cols = append(cols, column{v.T("field.messages") + ": " + v.T("target_group."+g.Code), counts("messages", g.Code), 0})
		}
		cols = append(cols, column{v.T("field.broadcasts"), num("broadcasts"), 0},
			column{v.T("field.broadcast_minutes"), num("broadcast_minutes"), 0},
			column{v.T("field.entries"), num("entries"), 0})
		cols = append(cols,
			column{v.T("field.consultations"), num("consultations"), 0},
			column{v.T("field.contracts_signed"), num("contracts_signed"), 0},
			column{v.T("field.contributions_mnt"), num("contributions_mnt"), 14},
			column{v.T("field.notes"), str("notes"), 40})
		return cols
	}
	sat := func(r store.Record) any {
		if f, ok := r.Values["satisfaction"].(float64); ok {
			return int64(f)
		}
		return nil
	}
	event := func(r store.Record) any {
		id, _ := r.Values["event_id"].(string)
		if l, ok := events[id]; ok {
			return l
		}
		return id // an event outside the scope or deleted: its id is all there is
	}
	return append(cols,
		column{v.T("field.event_id"), event, 40},
		column{v.T("field.target_group"), lbl("target_group", "target_group"), 18},
		column{v.T("field.age_band"), lbl("age_band", "age_band"), 0},
		column{v.T("field.sex"), lbl("sex", "sex"), 0},
		column{v.T("field.insurance_status"), lbl("insurance_status", "insurance_status"), 18},
		column{v.T("field.info_access"), lbl("info_access", "info_access"), 18},
		column{v.T("field.info_sources"), list("info_sources", "info_source"), 24},
		column{v.T("field.satisfaction"), sat, 0},
		column{v.T("dash.col.event_ref"), str("event_id"), 38})
}
