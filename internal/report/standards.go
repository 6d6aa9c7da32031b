package report

import (
	"context"

	"github.com/pmo-oss/pmo/internal/standards"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// readStandards sets the standards scorecard of every scope with a page
// (internal/standards: one read for the portfolio, cut per scope; a team
// page gets the team's scorecard, judged as one unit). Without
// it the pages show no scorecard; the report is still written.
func readStandards(ctx context.Context, w *warehouse.Warehouse, o Options, m *Model) error {
	d, err := standards.Read(ctx, w, standards.Options{KPI: o.KPI, Standards: o.Standards, AsOf: m.AsOf})
	if err != nil {
		return err
	}
	for _, s := range m.All() {
		if s.Page {
			sc := d.For(s.Kind, s.Name)
			s.Standards = &sc
		}
	}
	return nil
}
