package record

import "strings"

// Counts objects (reached, materials) are merged count by count: on the wire and in both stores
// each count is its own field, a leaf named "reached.herders", with its own hlc and writer, so an
// inspector's correction of one count and an officer's of another both stand (protocol 2).

// countsLists are the counts objects and the codes each may hold.
var countsLists = map[string][]Label{"reached": TargetGroups, "materials": Materials,
	"reached_sex": Sexes, "reached_age": ParticipantAges, "messages": TargetGroups}

// countsListNames name the closed list of each counts object's codes, the catalogue's key prefix.
var countsListNames = map[string]string{"reached": "target_group", "materials": "material",
	"reached_sex": "sex", "reached_age": "participant_age", "messages": "target_group"}

// CountsFields are the counts objects, in a stable order.
var CountsFields = []string{"materials", "messages", "reached", "reached_age", "reached_sex"}

// CountsList is the name of the closed list a counts object's codes come from ("target_group"
// for reached), "" for any other field.
func CountsList(name string) string { return countsListNames[name] }

// IsCounts reports whether name is a counts object (reached, materials, …).
func IsCounts(name string) bool { _, ok := countsLists[name]; return ok }

// CountsCodes returns the codes a counts object may hold, in the programme's order.
func CountsCodes(name string) []string { return Codes(countsLists[name]) }

// Leaf names one count of a counts object: Leaf("reached", "herders") is "reached.herders".
func Leaf(parent, code string) string { return parent + "." + code }

// LeafOf splits a leaf name into its counts object and code; ok is false for any other name,
// including a code the object does not know.
func LeafOf(name string) (parent, code string, ok bool) {
	parent, code, found := strings.Cut(name, ".")
	if !found {
		return "", "", false
	}
	list, isCounts := countsLists[parent]
	if !isCounts || !Has(list, code) {
		return "", "", false
	}
	return parent, code, true
}

// CountsLabel is the label of one code of a counts object.
func CountsLabel(parent, code string) (Label, bool) {
	for _, l := range countsLists[parent] {
		if l.Code == code {
			return l, true
		}
	}
	return Label{}, false
}
