package surveyresult

import (
	"reflect"
	"testing"
)

// TestTopicsOf: stems match Mongolian words in their case forms and English ones; a suggestion
// may have several topics, and one naming none is "other".
func TestTopicsOf(t *testing.T) {
	for text, want := range map[string][]string{
		"Тэтгэврийн насны иргэдэд зөвлөгөө өгөх":    {"pension", "information"},
		"Шимтгэлээ цахимаар төлөх боломж":           {"contributions", "e_services"},
		"Please explain voluntary insurance better": {"voluntary", "information"},
		"Баярлалаа":                 {TopicOther},
		"Дараалал их, ажилтан цөөн": {"service"},
	} {
		if got := TopicsOf(text); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %v, want %v", text, got, want)
		}
	}
}
