package main

import (
	"fmt"

	"talbar/assets"
	"talbar/server/dashboard"
	"talbar/shared/i18n"
)

// mountDashboard wires the dashboard to the running store.
func mountDashboard(m *Main) error {
	cat, err := i18n.New(assets.Translations())
	if err != nil {
		return fmt.Errorf("dashboard catalogue: %w", err)
	}
	h, err := dashboard.New(dashboard.Config{
		Store: m.Store, Units: m.Units, Catalog: cat,
		Logger: m.Logger.With("part", "dashboard"), Vendor: assets.Web(), PublicURL: m.Config.PublicURL,
	}, assets.AimagsGeoJSON())
	if err != nil {
		return err
	}
	h.Mount(m.App)
	return nil
}
