package report

import (
	"context"
	"html/template"

	"github.com/pmo-oss/pmo/internal/changelog"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// changeLog is the type of Scope.Changes (an alias, so that model.go needs
// no import of its own).
type changeLog = changelog.Log

// The change log section (templates/changes.html) is parsed into the page
// templates here, so that html.go's template list stays as it is.
func init() {
	template.Must(pageTmpl.ParseFS(templateFS, "templates/changes.html"))
}

// readChanges sets the change log of the report period (the kpi.raid
// period_days before as_of, 7 by default) on every scope with a page
// (internal/changelog: one read for the portfolio, cut per scope).
// Without it the pages show no change log; the report is still written.
func readChanges(ctx context.Context, w *warehouse.Warehouse, o Options, m *Model) error {
	days := o.RAID.WithDefaults().PeriodDays
	l, err := changelog.Build(ctx, w, changelog.Options{KPI: o.KPI, From: m.AsOf.AddDate(0, 0, -days), To: m.AsOf})
	if err != nil {
		return err
	}
	for _, s := range m.All() {
		if s.Page {
			sl := l.For(s.Kind, s.Name)
			s.Changes = &sl
		}
	}
	return nil
}
