package cli

import (
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/internal/kpi"
)

// kpiCalibrationCommand is pmo kpi calibration: how often the stored
// release forecasts came true.
func (a *App) kpiCalibrationCommand() *cobra.Command {
	var f kpiFlags
	cmd := &cobra.Command{
		Use:   "calibration",
		Short: "Score the stored release forecasts: how often the release finished by the P50/P85 date forecast 2, 4, 8 weeks before",
		Long: `Calibration scores the release forecasts pmo stored in its KPI history
(monte_carlo_forecast when_days per release, at 50 % and 85 %) against the
actual finish of each version released by the as-of: the released date
release_schedule_adherence uses (the first daily observation with released =
true, or — for a version first seen already released — the last done day of
its issues). For each horizon (2, 4, 8 weeks) the forecast scored is the one
stored at the latest as-of on or before actual finish − horizon (at most 7 days
earlier); it is a hit when the release finished on or before the forecast
date. Per scope (and per release of a project): forecasts scored (n), hits, hit
rate and mean absolute error in days. The history comes from the refreshes
of pmo kpi and pmo serve made while the releases were open; a backfill does
not make it (release forecasts are computed for the versions unreleased now).`,
		Example: `  pmo kpi calibration
  pmo kpi calibration --scope project:ALPHA --format csv
  pmo kpi calibration --scope portfolio --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ctx := cmd.Context()
			cfg, err := a.loadConfig(false)
			if err != nil {
				return err
			}
			if err := checkFormat(f.format, kpi.Formats); err != nil {
				return err
			}
			sf, err := parseScope(f.scope)
			if err != nil {
				return err
			}
			var asOf time.Time
			if f.asOf != "" {
				asOf, err = parseKPIDate(cfg, "as-of", f.asOf)
			} else {
				asOf, err = defaultAsOf(cfg, time.Now())
			}
			if err != nil {
				return err
			}
			w, err := a.openMigrated(ctx, cfg)
			if err != nil {
				return err
			}
			defer closeWarehouse(w, &err)
			c, err := kpi.Calibrate(ctx, w, cfg.KPI, asOf)
			if err != nil {
				return err
			}
			c = c.Filter(sf)
			if len(c.Rows) == 0 {
				a.logger.Warn("no released version to score: calibration needs versions released by the as-of and forecasts stored before them", "as_of", asOf.Format(time.DateOnly))
			}
			return kpi.WriteCalibration(a.Stdout, c, f.format)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.asOf, "as-of", "", "score the releases finished before the start of this date in kpi.tz (YYYY-MM-DD; default today)")
	fl.StringVar(&f.scope, "scope", "", "limit to scopes: portfolio, source:NAME, program:NAME, project:KEY (or a kind alone)")
	fl.StringVar(&f.format, "format", "table", "output format: "+strings.Join(kpi.Formats, ", "))
	return cmd
}
