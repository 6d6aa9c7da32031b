package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/config"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/report"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// demoSourceName is the name the demo's simulated Jira is stored under:
// one per simulated organisation, so a re-run of the same demo is an
// incremental collection and a different one does not mix with it.
func demoSourceName(m jirasim.Mode, issues int, seed int64) string {
	name := fmt.Sprintf("demo-jira-%s-%d", m, issues)
	if seed != 1 {
		name += fmt.Sprintf("-seed%d", seed)
	}
	return name
}

// demoAnchor is the simulated organisation's "now": the start of today
// (UTC). Its year of history ends there, so the KPIs of today's date — the
// demo's, and those of pmo kpi, report and kpi explain run after it — read
// the whole of it.
func demoAnchor(now time.Time) time.Time { return now.UTC().Truncate(24 * time.Hour) }

// demoCollectFull says whether the demo collects its source in full: when
// the warehouse holds the organisation generated on another day (its
// updates end more than a day away from the anchor), an incremental
// collection would leave that day's timestamps on most issues. The
// organisation of each day is the same one shifted in time, with the same
// ids, so a full collection replaces it record by record.
func demoCollectFull(ctx context.Context, w *warehouse.Warehouse, source string, anchor time.Time) (bool, error) {
	rows, err := w.Query(ctx, "SELECT count(), toInt64(max(toUInt32(updated))) FROM v_issues WHERE source = ?", source)
	if err != nil {
		return false, fmt.Errorf("reading when the demo's organisation in the warehouse was last updated: %w", err)
	}
	defer rows.Close()
	var n uint64
	var last int64
	for rows.Next() {
		if err := rows.Scan(&n, &last); err != nil {
			return false, fmt.Errorf("reading when the demo's organisation in the warehouse was last updated: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("reading when the demo's organisation in the warehouse was last updated: %w", err)
	}
	if n == 0 {
		return false, nil
	}
	d := anchor.Sub(time.Unix(last, 0))
	return d > 24*time.Hour || d < -24*time.Hour, nil
}

// DemoListen is where pmo demo serves /metrics and /reports/ by default.
const DemoListen = "127.0.0.1:9477"

func (a *App) demoCommand() *cobra.Command {
	var (
		issues       int
		mode         string
		seed         int64
		serve        bool
		noServe      bool
		out          string
		listen       string
		trackers     []string
		historyWeeks int
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole pipeline on a simulated Jira: collect, KPIs, reports, serve",
		Long: `Demo runs pmo end to end without a Jira or credentials. It starts pmo's
built-in Jira simulator (a seeded organisation with several projects and
programs, sprints, worklogs, versions and full change histories) on a
loopback port and then:

  1. migrates the configured warehouse (by default the embedded one in
     ./.pmo/warehouse) and collects the simulator into it with the real Jira
     collector, as the source "demo-jira-<mode>-<issues>"; before that it
     stores the simulator's versions as daily collections of the 8 days
     before today would have seen them (trackers keep only the current
     release date; the change log's release-date moves need two
     observations);
  2. computes and stores a KPI snapshot and a weekly history of
     --history-weeks weeks (as pmo kpi and pmo kpi --from would);
  3. writes the HTML reports to --out (default report.out, else ./.pmo/reports);
  4. with --serve (the default) runs pmo serve on --listen: /metrics for
     Prometheus, the reports under /reports/, and hourly collections of the
     simulator, which keeps running in this process. Stop it with Ctrl-C.

The simulated organisation's year of history ends at the start of today
(UTC), so pmo kpi, pmo report and pmo kpi explain run after the demo see the
same numbers. Its projects tell a story: most are healthy (green); some are
at risk (amber: a release that keeps growing, sprints that slip, due dates
missed); one is in trouble (red: work blocked on other work, sprints and
due dates missed, bugs found in production, a critical risk left open).
Run it again the same day to see an incremental collection change nothing;
on a later day it collects the organisation of that day in full. The
sources of your configuration are not touched.`,
		Example: `  make demo                                  # set-up, build, pmo demo
  pmo demo
  pmo demo --issues 20000 --mode datacenter --listen 127.0.0.1:9999
  pmo demo --no-serve --out /tmp/pmo-reports
  pmo demo --trackers jira,github,gitlab     # one portfolio across trackers`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ctx := cmd.Context()
			m := jirasim.Mode(mode)
			if m != jirasim.Cloud && m != jirasim.DataCenter {
				return withCode(ExitUsage, fmt.Errorf("--mode %q: expected cloud or datacenter", mode))
			}
			if err := checkDemoTrackers(trackers); err != nil {
				return withCode(ExitUsage, err)
			}
			if issues < 100 || issues > 1_000_000 {
				return withCode(ExitUsage, fmt.Errorf("--issues %d: expected 100 to 1000000", issues))
			}
			if historyWeeks < 0 || historyWeeks > 260 {
				return withCode(ExitUsage, fmt.Errorf("--history-weeks %d: expected 0 to 260", historyWeeks))
			}
			if noServe {
				serve = false
			}
			cfg, err := a.loadConfig(false)
			if err != nil {
				return err
			}
			sc := cfg.Serve.WithDefaults()
			sc.Listen = listen
			if errs := sc.Validate(); len(errs) > 0 {
				return withCode(ExitUsage, fmt.Errorf("--listen: %w", errors.Join(errs...)))
			}
			if out == "" {
				out = cfg.Report.WithDefaults().Out
			}
			cfg.Report.Out = out
			if errs := cfg.KPI.Validate(); len(errs) > 0 {
				return withCode(ExitUsage, errors.Join(errs...))
			}
			asOf, err := defaultAsOf(cfg, a.Now())
			if err != nil {
				return err
			}
			anchor := demoAnchor(a.Now())
			sim, err := jirasim.New(jirasim.Demo(m, issues, seed, anchor))
			if err != nil {
				return fmt.Errorf("starting the Jira simulator: %w", err)
			}
			base, err := sim.Start()
			if err != nil {
				return fmt.Errorf("starting the Jira simulator: %w", err)
			}
			defer sim.Close()
			fmt.Fprintf(a.Stdout, "Jira simulator (%s, %d issues) at %s\n", m, issues, base)

			srcName := demoSourceName(m, issues, seed)
			src, programs, err := demoSourceConfig(ctx, base, m, srcName, "")
			if err != nil {
				return err
			}
			demoSrc, err := pipeline.NewSource(*src)
			if err != nil {
				return fmt.Errorf("setting up the demo source: %w", err)
			}
			sources := []pipeline.Source{demoSrc}
			more, lines, stopTrackers, err := demoTrackers(trackers, issues, seed, anchor, programs)
			defer stopTrackers()
			if err != nil {
				return err
			}
			for _, l := range lines {
				fmt.Fprintln(a.Stdout, l)
			}
			for _, s := range more {
				ps, err := pipeline.NewSource(s)
				if err != nil {
					return fmt.Errorf("setting up the demo's %s source: %w", s.Type, err)
				}
				sources = append(sources, ps)
			}
			w, err := a.openWarehouse(ctx, cfg)
			if err != nil {
				return err
			}
			defer closeWarehouse(w, &err)
			if err := a.migrate(ctx, w, cfg); err != nil {
				return err
			}
			full, err := demoCollectFull(ctx, w, srcName, anchor)
			if err != nil {
				return err
			}
			// The versions as the daily collections of the last days saw
			// them: their release-date moves are in the change log. These
			// short runs ask the in-process simulator without the source's
			// request-rate cap (requests_per_second), which would make them
			// take seconds each in a large organisation.
			hist, _, err := demoSourceConfig(ctx, base, m, srcName, "    requests_per_second: 0\n")
			if err != nil {
				return err
			}
			histSrc, err := pipeline.NewSource(*hist)
			if err != nil {
				return fmt.Errorf("setting up the demo source: %w", err)
			}
			nv, err := demoVersionHistory(ctx, sim, histSrc.Collector, w.Sink(), anchor, a.logger)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "versions observed on the %d days before %s (%d records): %d release dates moved\n",
				demoVersionDays, anchor.Format(time.DateOnly), nv, len(sim.ReleaseMoves()))
			// One pipeline for the whole demo: collection, KPIs, history,
			// reports and serve.
			p := a.newPipeline(cfg, w, sources)
			p.Now = a.Now
			if err := a.runCollection(ctx, p, full, ""); err != nil {
				return err
			}
			truth := sim.Truth()
			fmt.Fprintf(a.Stdout, "simulator ground truth: %d issues, %d changes, %d sprints, %d worklogs\n\n",
				truth.Issues, truth.Changes, truth.Sprints, truth.Worklogs)
			cfg.Sources = append(append(cfg.Sources, *src), more...)
			if err := a.printStatus(ctx, w, cfg); err != nil {
				return err
			}

			// KPIs: today's snapshot, then the weekly history before it.
			start := time.Now()
			snap, err := p.ComputeKPIs(ctx, asOf, kpi.ScopeFilter{})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "\nKPI snapshot as of %s: %d values for %s in %s\n", asOf.Format(time.DateOnly), len(snap.Values),
				scopeCounts(snap), time.Since(start).Round(time.Millisecond))
			if historyWeeks > 0 {
				from := asOf.AddDate(0, 0, -7*historyWeeks)
				if err := a.backfillKPIs(ctx, p, cfg, kpi.ScopeFilter{}, from, asOf.AddDate(0, 0, -7), 7); err != nil {
					return err
				}
			}

			// Reports.
			pub := &pipeline.Reports{Pipeline: p, Config: cfg.Report, Reserved: cfg.ReservedFolders(), Scrub: cfg.Scrub}
			reportsOK := true
			if err := pub.Generate(ctx); err != nil {
				if ctx.Err() != nil {
					return err
				}
				reportsOK = false
				fmt.Fprintf(a.Stdout, "\nno HTML reports: %v\n", cfg.Scrub(err.Error()))
			} else {
				fmt.Fprintf(a.Stdout, "\nreports written to %s\n  open %s\n", out, fileURL(filepath.Join(out, report.CurrentLink, "index.html")))
			}
			if !serve {
				fmt.Fprintf(a.Stdout, "\nNext: pmo kpi explain cycle_time --scope portfolio, pmo serve, or copy pmo.example.yaml to pmo.yaml and point a source at your Jira.\n")
				return nil
			}
			return a.demoServe(ctx, cfg, p, sc, out, reportsOK)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&issues, "issues", 3000, "size of the simulated organisation (100 to 1000000 issues)")
	fl.StringVar(&mode, "mode", "cloud", "simulate Jira cloud or datacenter")
	fl.Int64Var(&seed, "seed", 1, "seed of the simulated organisation")
	fl.BoolVar(&serve, "serve", true, "keep serving /metrics and /reports/ after the run, until Ctrl-C")
	fl.BoolVar(&noServe, "no-serve", false, "stop after writing the reports (same as --serve=false)")
	fl.StringVarP(&out, "out", "o", "", "report folder (default report.out, else "+report.DefaultOut+")")
	fl.StringVar(&listen, "listen", DemoListen, "address of /metrics and /reports/ with --serve (loopback; port 0 picks a free one)")
	fl.IntVar(&historyWeeks, "history-weeks", 12, "weeks of weekly KPI history to backfill (0: none)")
	fl.StringSliceVar(&trackers, "trackers", []string{"jira"}, "simulated trackers: jira, and github and gitlab to add a GitHub repository and a GitLab project to the programs (one portfolio across trackers)")
	return cmd
}

// demoServe runs pmo serve on the demo: the simulator stays up in this
// process for the scheduled collections.
func (a *App) demoServe(ctx context.Context, cfg *pipeline.Config, p *pipeline.Pipeline, sc pipeline.ServeConfig, out string, reportsOK bool) error {
	p.Progress = nil // scheduled collections report progress in the log, as pmo serve's do
	srv := pipeline.NewServer(p, sc)
	a.serveReports(cfg, p, srv)
	ln, err := net.Listen("tcp", sc.Listen)
	if err != nil {
		return withCode(ExitUsage, fmt.Errorf("--listen %s: %w (another pmo demo or serve running? pick another with --listen 127.0.0.1:0)", sc.Listen, err))
	}
	srv.Listener = ln
	root := "http://" + ln.Addr().String()
	fmt.Fprintf(a.Stdout, "\npmo serve is running (collecting the simulator %s):\n", sc.DefaultSchedule)
	fmt.Fprintf(a.Stdout, "  metrics  %s/metrics\n", root)
	if reportsOK {
		fmt.Fprintf(a.Stdout, "  reports  %s/reports/  (files in %s)\n", root, out)
	}
	fmt.Fprintf(a.Stdout, "  health   %s/healthz  %s/readyz\n", root, root)
	fmt.Fprintf(a.Stdout, "Stop it with Ctrl-C (or kill -TERM %d).\n", os.Getpid())
	return srv.Run(ctx)
}

// scopeCounts says how many projects, programs and sources a snapshot has.
func scopeCounts(s kpi.Snapshot) string {
	seen := map[string]map[string]bool{}
	for _, v := range s.Values {
		if seen[v.ScopeKind] == nil {
			seen[v.ScopeKind] = map[string]bool{}
		}
		seen[v.ScopeKind][v.Scope] = true
	}
	return fmt.Sprintf("%d projects, %d programs, %d sources and the portfolio", len(seen[kpi.ScopeProject]), len(seen[kpi.ScopeProgram]), len(seen[kpi.ScopeSource]))
}

// fileURL is a file:// URL of path, for a browser.
func fileURL(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}

// demoSourceConfig builds the demo source through the same strict
// configuration path a user's pmo.yaml takes; extra holds more keys of the
// source (YAML lines indented by four spaces).
func demoSourceConfig(ctx context.Context, base string, m jirasim.Mode, name, extra string) (*config.Source, []string, error) {
	keys, programs, err := simProjects(ctx, base)
	if err != nil {
		return nil, nil, err
	}
	auth := "{email: sim@example.com, api_token: sim-token}"
	if m == jirasim.DataCenter {
		auth = "{personal_access_token: sim-pat}"
	}
	yml := fmt.Sprintf("sources:\n  - name: %s\n    type: jira\n    url: %s\n    deployment: %s\n    auth: %s\n    projects: [%s]\n%s",
		name, base, m, auth, strings.Join(keys, ", "), extra)
	cfg, err := pipeline.ParseConfig([]byte(yml), "(demo source)", config.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("configuring the demo source: %w", err)
	}
	return &cfg.Sources[0], programs, nil
}

// simProjects asks the simulator for its projects, as a user would: their
// keys and the names of their programs (project categories), sorted.
func simProjects(ctx context.Context, base string) (keys, programs []string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/rest/api/2/project", nil)
	if err != nil {
		return nil, nil, err
	}
	req.SetBasicAuth("sim@example.com", "sim-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("listing the simulator's projects: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("listing the simulator's projects: %s", resp.Status)
	}
	var ps []struct {
		Key      string
		Category *struct{ Name string } `json:"projectCategory"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ps); err != nil {
		return nil, nil, fmt.Errorf("decoding the simulator's projects from %s/rest/api/2/project: %w", base, err)
	}
	for _, p := range ps {
		keys = append(keys, p.Key)
		if p.Category != nil && p.Category.Name != "" && !slices.Contains(programs, p.Category.Name) {
			programs = append(programs, p.Category.Name)
		}
	}
	if len(keys) == 0 {
		return nil, nil, fmt.Errorf("the simulator at %s has no projects", base)
	}
	slices.Sort(programs)
	return keys, programs, nil
}
