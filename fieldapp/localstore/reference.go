package localstore

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"sync"

	"talbar/assets"
	"talbar/shared/record"
	"talbar/shared/unit"
	"talbar/syncproto"
)

type unitChecker = record.UnitChecker

// leafSet is a UnitChecker over the units the server sent.
type leafSet map[string]bool

func (s leafSet) IsLeaf(code string) bool { return s[code] }

var embedded = sync.OnceValues(func() (*unit.Tree, error) {
	return unit.Parse(bytes.NewReader(assets.UnitsCSV()))
})

// units returns the checker validation uses: the units received from the server, or the units
// embedded in the app until the first pull brings them.
func (db *DB) units(ctx context.Context) record.UnitChecker {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.unitsChk != nil {
		return db.unitsChk
	}
	set := leafSet{}
	rows, err := db.read.QueryContext(ctx, `SELECT code FROM units WHERE level IN ('soum', 'district')`)
	if err == nil {
		for rows.Next() {
			var c string
			if rows.Scan(&c) == nil {
				set[c] = true
			}
		}
		rows.Close()
	}
	if len(set) > 0 {
		db.unitsChk = set
		return set
	}
	t, err := embedded()
	if err != nil {
		db.logger.Error("embedded units unreadable; unit codes not checked", "err", err)
		return nil
	}
	db.unitsChk = t
	return t
}

func (db *DB) invalidateUnits() {
	db.mu.Lock()
	db.unitsChk = nil
	db.mu.Unlock()
}

// storeReference replaces the units and targets with the server's. The targets are kept as the
// issue asks of the store, for a screen that shows the indicators; none reads them yet.
func (db *DB) storeReference(ctx context.Context, tx *sql.Tx, ref *syncproto.Reference) error {
	if len(ref.Units) > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM units`); err != nil {
			return fmt.Errorf("replace units: %w", err)
		}
		for i, u := range ref.Units {
			if _, err := tx.ExecContext(ctx, `INSERT INTO units (code, parent, level, name_mn, name_en, lat, lon, seq)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, string(u.Code), string(u.Parent), string(u.Level), u.NameMN, u.NameEN, u.Lat, u.Lon, i); err != nil {
				return fmt.Errorf("replace units: %w", err)
			}
		}
	}
	if ref.Survey != nil {
		if err := db.storeSurveyCatalogue(ctx, tx, ref.Survey); err != nil {
			return err
		}
	}
	if ref.Targets != nil {
		if _, err := tx.ExecContext(ctx, `DELETE FROM targets`); err != nil {
			return fmt.Errorf("replace targets: %w", err)
		}
		for _, t := range ref.Targets {
			if _, err := tx.ExecContext(ctx, `INSERT INTO targets (indicator, year, target, actual) VALUES (?, ?, ?, ?)
				ON CONFLICT (indicator, year) DO UPDATE SET target = excluded.target, actual = excluded.actual`,
				t.Indicator, t.Year, t.Target, t.Actual); err != nil {
				return fmt.Errorf("replace targets: %w", err)
			}
		}
	}
	return nil
}

// Units returns the unit tree the forms offer: the server's, or the embedded one before the first
// pull.
func (db *DB) Units(ctx context.Context) ([]unit.Unit, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT code, parent, level, name_mn, name_en, lat, lon FROM units ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("read units: %w", err)
	}
	defer rows.Close()
	var out []unit.Unit
	for rows.Next() {
		var u unit.Unit
		if err := rows.Scan(&u.Code, &u.Parent, &u.Level, &u.NameMN, &u.NameEN, &u.Lat, &u.Lon); err != nil {
			return nil, fmt.Errorf("read units: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read units: %w", err)
	}
	if len(out) > 0 {
		return out, nil
	}
	t, err := embedded()
	if err != nil {
		return nil, fmt.Errorf("read embedded units: %w", err)
	}
	return t.All(), nil
}
