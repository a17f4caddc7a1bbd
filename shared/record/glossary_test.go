package record_test

import (
	"os"
	"strings"
	"testing"

	"talbar/shared/record"
)

// TestGlossaryHasFieldActivities: docs/glossary.md lists every code of the field-activity lists
// with the catalogue's labels in both languages, so the glossary cannot fall behind a new code.
func TestGlossaryHasFieldActivities(t *testing.T) {
	b, err := os.ReadFile("../../docs/glossary.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for name, list := range map[string][]record.Label{"kind": record.EventKinds, "topic": record.Topics, "channel": record.Channels,
		"partner": record.Partners, "sms_purpose": record.SMSPurposes, "participant_age": record.ParticipantAges} {
		for _, l := range list {
			if row := "| `" + l.Code + "` | " + l.MN + " | " + l.EN + " |"; !strings.Contains(doc, row) {
				t.Errorf("docs/glossary.md lacks the %s row %q", name, row)
			}
		}
	}
}
