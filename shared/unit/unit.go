// Package unit is Mongolia's administrative tree as the programme uses it: the nation, 21 aimags
// and the capital, the capital's districts and the aimags' soums. It parses the tree from CSV so
// the data itself lives in assets/ and this package stays free of I/O of its own.
package unit

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// Code is a unit's code: "MN", an ISO 3166-2 code for aimags and the capital, "MN"+NSO code below.
type Code string

// Nation is the root of the tree.
const Nation Code = "MN"

// Level of a unit in the tree.
type Level string

// Levels on the wire.
const (
	LevelNation   Level = "nation"
	LevelAimag    Level = "aimag"
	LevelCapital  Level = "capital"
	LevelDistrict Level = "district"
	LevelSoum     Level = "soum"
)

// LevelLabels gives each level's Mongolian and English word (GLOSSARY.md).
var LevelLabels = map[Level][2]string{
	LevelNation:   {"Улс", "Nation"},
	LevelAimag:    {"Аймаг", "Aimag"},
	LevelCapital:  {"Нийслэл", "Capital"},
	LevelDistrict: {"Дүүрэг", "District"},
	LevelSoum:     {"Сум", "Soum"},
}

// Unit is one node of the tree.
type Unit struct {
	Code   Code    `json:"code"`
	Parent Code    `json:"parent"`
	Level  Level   `json:"level"`
	NameMN string  `json:"name_mn"`
	NameEN string  `json:"name_en"`
	Lat    float64 `json:"lat,omitempty"`
	Lon    float64 `json:"lon,omitempty"`
}

// Leaf reports whether records can be filed against the unit (a soum or a district).
func (u Unit) Leaf() bool { return u.Level == LevelSoum || u.Level == LevelDistrict }

// Name returns the unit's name in lang ("mn" or "en").
func (u Unit) Name(lang string) string {
	if lang == "en" {
		return u.NameEN
	}
	return u.NameMN
}

// Tree is the whole set of units with fast look-ups by code and by parent.
type Tree struct {
	units    []Unit
	byCode   map[Code]int
	children map[Code][]Code
}

// Parse reads the tree from CSV with the header code,parent,level,name_mn,name_en[,lat,lon].
func Parse(r io.Reader) (*Tree, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read units csv: %w", err)
	}
	if len(rows) < 2 {
		return nil, errors.New("units csv: no rows")
	}
	var units []Unit
	for i, row := range rows[1:] {
		if len(row) < 5 {
			return nil, fmt.Errorf("units csv line %d: want at least 5 columns, got %d", i+2, len(row))
		}
		u := Unit{Code: Code(row[0]), Parent: Code(row[1]), Level: Level(row[2]), NameMN: row[3], NameEN: row[4]}
		if len(row) >= 7 && row[5] != "" && row[6] != "" {
			u.Lat, _ = strconv.ParseFloat(row[5], 64)
			u.Lon, _ = strconv.ParseFloat(row[6], 64)
		}
		units = append(units, u)
	}
	return New(units)
}

// New builds a tree and checks that every parent exists and levels are known.
func New(units []Unit) (*Tree, error) {
	t := &Tree{units: units, byCode: map[Code]int{}, children: map[Code][]Code{}}
	for i, u := range units {
		if _, dup := t.byCode[u.Code]; dup {
			return nil, fmt.Errorf("unit %s: duplicate code", u.Code)
		}
		if _, ok := LevelLabels[u.Level]; !ok {
			return nil, fmt.Errorf("unit %s: unknown level %q", u.Code, u.Level)
		}
		t.byCode[u.Code] = i
	}
	for _, u := range units {
		if u.Parent == "" {
			continue
		}
		if _, ok := t.byCode[u.Parent]; !ok {
			return nil, fmt.Errorf("unit %s: parent %s not found", u.Code, u.Parent)
		}
		t.children[u.Parent] = append(t.children[u.Parent], u.Code)
	}
	return t, nil
}

// All returns every unit in file order (hierarchical).
func (t *Tree) All() []Unit { return t.units }

// Get returns the unit with code.
func (t *Tree) Get(c Code) (Unit, bool) {
	i, ok := t.byCode[c]
	if !ok {
		return Unit{}, false
	}
	return t.units[i], true
}

// IsLeaf reports whether c is a soum or district, the units records are filed against.
func (t *Tree) IsLeaf(c string) bool {
	u, ok := t.Get(Code(c))
	return ok && u.Leaf()
}

// Children returns the direct children of c.
func (t *Tree) Children(c Code) []Code { return t.children[c] }

// Leaves returns the soums or districts at or below c, sorted.
func (t *Tree) Leaves(c Code) []Code {
	var out []Code
	var walk func(Code)
	walk = func(x Code) {
		u, ok := t.Get(x)
		if !ok {
			return
		}
		if u.Leaf() {
			out = append(out, x)
			return
		}
		for _, ch := range t.children[x] {
			walk(ch)
		}
	}
	walk(c)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Contains reports whether leaf lies at or below ancestor.
func (t *Tree) Contains(ancestor, leaf Code) bool {
	for c := leaf; c != ""; {
		if c == ancestor {
			return true
		}
		u, ok := t.Get(c)
		if !ok {
			return false
		}
		c = u.Parent
	}
	return false
}

// Division returns the first-level unit (aimag or capital) above c, or c itself at that level.
func (t *Tree) Division(c Code) Code {
	for x := c; x != ""; {
		u, ok := t.Get(x)
		if !ok {
			return ""
		}
		if u.Level == LevelAimag || u.Level == LevelCapital {
			return x
		}
		x = u.Parent
	}
	return ""
}
