// The SDK marks its dashboard (v1) types deprecated in favour of dashboardv2,
// the schema of Grafana 12's new dashboard API behind feature flags; v1 JSON
// is what Grafana 9–12 load from file provisioning, so pmo writes v1.
//
//lint:file-ignore SA1019 v1 dashboards are what file provisioning loads (see above)

package dashboards

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// noTeamValues are the team-aware panels whose KPIs have no team values
// (releases belong to projects): in the team view they must be empty, not
// show project series.
var noTeamValues = map[string]bool{
	"pmo-schedule-cost / Release adherence":           true,
	"pmo-schedule-cost / Release on-time probability": true,
	"pmo-schedule-cost / Release remaining items":     true,
}

// teamView checks the team view of every committed dashboard against the
// live environment, whose KPIs are computed with kpi.teams (simTeams).
func (e *live) teamView(t *testing.T, files map[string][]byte) {
	teams, err := e.labelValues(`label_values(pmo_kpi_rag{scope="team"}, team)`)
	if err != nil || len(teams) == 0 {
		t.Fatalf("the team series of pmo serve: %v %v (want the teams of simTeams)", teams, err)
	}
	var want []string
	for _, tm := range e.kpi.Teams {
		want = append(want, tm.Name)
	}
	slices.Sort(want)
	if !slices.Equal(teams, want) {
		t.Errorf("teams with rated KPI values %v, want the teams of kpi.teams %v", teams, want)
	}
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	slices.Sort(names)
	for _, f := range names {
		t.Run(f, func(t *testing.T) {
			d, err := load(files[f])
			if err != nil {
				t.Fatal(err)
			}
			for _, err := range e.teamErrors(d, teams, true) {
				t.Error(err)
			}
		})
	}
}

// teamErrors runs the team-aware queries of d (those using $team or $view)
// with each team selected, in the team view where d has one, and returns
// what is wrong (ClickHouse queries only with withSQL):
//
//   - a PromQL panel returning a series of another scope kind or of
//     another team than the one selected, or none for any team (unless
//     noTeamValues says the KPI has none, and then it must return none);
//   - in the project view with a team selected, a panel returning no
//     series or a team series (the team variable is the team view's);
//   - a ClickHouse table of KPI history (sprint amounts) returning rows of
//     another scope than the selected team, or none for any team;
//   - a RAID table returning rows in the team view (it is the project
//     view's);
//   - a drill-down table returning rows in the team view: the committed
//     SQL is generated without kpi.teams, so it knows no team and must
//     list nothing rather than every project's issues (on the server, so
//     the team branch also runs on 18.16; the first drill-down of each
//     dashboard only: every drill-down has the same variableFilter, and a
//     population query takes about a second).
func (e *live) teamErrors(d dashboard.Dashboard, teams []string, withSQL bool) []error {
	ctx := context.Background()
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	base := allSelected(d)
	base.from, base.to = e.promFrom, time.Now()
	hasView := slices.ContainsFunc(d.Templating.List, func(v dashboard.VariableModel) bool { return v.Name == "view" })
	teamView, projectView := base, base
	if hasView {
		teamView, projectView = base.with("view", "team"), base.with("view", "project")
	}
	drillChecked := false
	for _, p := range panels(d) {
		where := deref(d.Uid) + " / " + deref(p.Title)
		for _, tg := range p.Targets {
			switch x := tg.(type) {
			case *prometheus.Dataquery:
				if !strings.Contains(x.Expr, "$team") && !strings.Contains(x.Expr, "$view") {
					continue
				}
				at := where + " " + deref(x.RefId)
				instant := x.Instant != nil && *x.Instant
				run := func(g grafana) []map[string]string {
					q, err := g.promQL(x.Expr)
					if err != nil {
						add("%s: %v", at, err)
						return nil
					}
					s, err := e.promSeries(g, q, instant)
					if err != nil {
						add("%s with %v: %v", at, g.vars, err)
					}
					return s
				}
				withData := 0
				for _, tm := range append([]string{""}, teams...) {
					g, sel := teamView, "All teams"
					if tm != "" {
						g, sel = teamView.with("team", tm), "team "+tm
					}
					series := run(g)
					if tm != "" && len(series) > 0 {
						withData++
					}
					for _, s := range series {
						if s["scope"] != "" && s["scope"] != "team" || tm != "" && s["team"] != tm || tm == "" && s["team"] == "" {
							add("%s, team view with %s: a series of scope %q team %q (%v)", at, sel, s["scope"], s["team"], s)
							break
						}
					}
				}
				switch {
				case noTeamValues[where] && withData > 0:
					add("%s: %d teams have series, but noTeamValues says the KPI has no team values (update it)", at, withData)
				case !noTeamValues[where] && withData == 0:
					add("%s: no series for any team in the team view", at)
				}
				if hasView {
					series := run(projectView.with("team", teams[0]))
					if len(series) == 0 {
						add("%s, project view with team %s selected: no series (the project view must ignore the team variable)", at, teams[0])
					}
					for _, s := range series {
						if s["scope"] == "team" || s["team"] != "" {
							add("%s, project view: a team series %v", at, s)
							break
						}
					}
				}
			case ClickHouseQuery:
				if !withSQL || !strings.Contains(x.RawSQL, "${view") {
					continue
				}
				at := where + " " + x.RefID
				run := func(g grafana, engine string) []string {
					g.from, g.to = sqlFrom, sqlTo
					q, err := g.sql(x.RawSQL)
					if err != nil {
						add("%s: %v", at, err)
						return nil
					}
					rows, err := e.sqlRows(ctx, e.warehouses[engine], q)
					if err != nil {
						add("%s on %s with %v: %v", at, engine, g.vars, err)
					}
					return rows
				}
				if _, ok := raidRegister(deref(p.Title)); ok {
					// The RAID tables are the project view's (their
					// registers carry no team in SQL): none in the team view,
					// at the end of a range with open risks (raidTo).
					g := teamView
					g.from, g.to = raidTo.AddDate(0, 0, -28), raidTo
					q, err := g.sql(x.RawSQL)
					if err != nil {
						add("%s: %v", at, err)
						continue
					}
					rows, err := e.sqlRows(ctx, e.warehouses["server"], q)
					switch {
					case err != nil:
						add("%s on server, team view: %v", at, err)
					case len(rows) > 0:
						add("%s on server, team view: %d rows (%s, …), want none: a RAID table lists the project view", at, len(rows), rows[0])
					}
					continue
				}
				if strings.Contains(x.RawSQL, "notEmpty(teams)") {
					if drillChecked {
						continue
					}
					drillChecked = true
					if rows := run(teamView, "server"); len(rows) > 0 {
						add("%s on server, team view: %d rows (%s, …), want none: the committed drill-down SQL knows no kpi.teams", at, len(rows), rows[0])
					}
					continue
				}
				withData := 0
				for _, tm := range teams {
					rows := run(teamView.with("team", tm), "chdb")
					if len(rows) > 0 {
						withData++
					}
					for _, r := range rows {
						if r != tm {
							add("%s on chdb, team view with team %s: a row of scope %q", at, tm, r)
							break
						}
					}
				}
				if withData == 0 {
					add("%s on chdb: no rows for any team in the team view", at)
				}
			}
		}
	}
	return errs
}

// teamDrillDowns generates drill-down SQL with the live environment's
// kpi.teams (DrillDownSQL with cfg.Teams: what dashboards generated for a
// configuration with teams list) and runs it in the team view on chDB:
// each selected team's rows are issues of that team (kpi.IssueTeams, the
// report's team membership), and there are some.
func (e *live) teamDrillDowns(t *testing.T, kpis ...string) {
	ctx := context.Background()
	w := e.warehouses["chdb"]
	member, err := kpi.IssueTeams(ctx, w, e.kpi, sqlTo)
	if err != nil {
		t.Fatal(err)
	}
	g := teamViewAll(sqlTo)
	for _, id := range kpis {
		raw, err := DrillDownSQL(ctx, w, e.kpi, id, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, tm := range []string{"Backend", ""} {
			rows, sel := e.teamRows(t, w, g, raw, tm, id)
			if len(rows) == 0 {
				t.Errorf("%s drill-down with kpi.teams, team view with %s: no rows", id, sel)
			}
			for _, key := range rows {
				if ts := member[key]; len(ts) == 0 || tm != "" && !slices.Contains(ts, tm) {
					t.Errorf("%s drill-down with kpi.teams, team view with %s: issue %s of teams %v", id, sel, key, ts)
					break
				}
			}
		}
	}
}

// teamRAID checks the RAID tables generated with kpi.teams (pmo dashboards
// with the simulated organisation's teams) in the team view, on chDB at the
// end of a range with open risks (raidTo): with each team selected they
// list exactly the keys of that team's register (pmo raid --scope
// team:NAME), with All teams those of every team's, and some team has rows.
func (e *live) teamRAID(t *testing.T) {
	ctx := context.Background()
	w := e.warehouses["chdb"]
	l, err := raid.Build(ctx, w, raid.Options{KPI: e.kpi, RAID: raid.DefaultConfig(), AsOf: raidTo})
	if err != nil {
		t.Fatal(err)
	}
	g := teamViewAll(raidTo)
	for _, reg := range []string{"risks", "issues"} {
		raw, err := RAIDSQL(e.kpi, raid.DefaultConfig(), reg)
		if err != nil {
			t.Fatal(err)
		}
		var all []string // the rows of every team's register
		withRows := 0
		for _, tm := range append(teamNames(e.kpi), "") { // each team, then All
			got, sel := e.teamRows(t, w, g, raw, tm, "RAID "+reg)
			slices.Sort(got)
			want := all
			if tm != "" {
				want, _ = registerKeys(l.For(kpi.ScopeTeam, tm), reg)
				all = append(all, want...)
				if len(got) > 0 {
					withRows++
				}
			} else {
				slices.Sort(all)
				want = slices.Compact(all)
			}
			if !slices.Equal(got, want) {
				t.Errorf("RAID %s with kpi.teams, team view with %s: %v, want pmo raid's %v", reg, sel, got, want)
			}
		}
		if withRows == 0 {
			t.Errorf("RAID %s with kpi.teams: no team has rows at %s (the check is empty)", reg, raidTo.Format(time.DateOnly))
		}
	}
}

// teamViewAll is the team view with every variable on All, over the 28
// days ending at to.
func teamViewAll(to time.Time) grafana {
	return grafana{vars: map[string]variable{
		"source": {all: true, allValue: ".*"}, "program": {all: true, allValue: ".*"}, "project": {all: true, allValue: ".*"},
		"view": {values: []string{"team"}}, "team": {all: true, allValue: ".*"},
	}, from: to.AddDate(0, 0, -28), to: to, interval: defaultInterval, scrape: scrapeInterval}
}

// teamRows runs the ClickHouse query raw (of what) with g and team tm
// selected ("": All teams) on w; it returns the first column and how the
// selection reads.
func (e *live) teamRows(t *testing.T, w *warehouse.Warehouse, g grafana, raw, tm, what string) ([]string, string) {
	t.Helper()
	sel := "All teams"
	if tm != "" {
		g, sel = g.with("team", tm), "team "+tm
	}
	q, err := g.sql(raw)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	rows, err := e.sqlRows(context.Background(), w, q)
	if err != nil {
		t.Fatalf("%s, %s: %v", what, sel, err)
	}
	return rows, sel
}

func teamNames(c kpi.Config) []string {
	var out []string
	for _, tm := range c.Teams {
		out = append(out, tm.Name)
	}
	return out
}

// brokenTeamSelectors plants the team-selector mistakes a dashboard edit
// could make into a dashboard (raw, delivery flow) and checks that
// teamErrors finds each: the team view must show the selected team only,
// and the project view must ignore the team variable.
func (e *live) brokenTeamSelectors(t *testing.T, raw []byte) {
	teams, err := e.labelValues(`label_values(pmo_kpi_rag{scope="team"}, team)`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"no team filter", `, team=~"$team|"`, "", "team view with team Backend: a series of scope \"team\" team \""},
		{"team filter without the empty alternative", `team=~"$team|"`, `team=~"$team"`, "project view with team Backend selected: no series"},
		{"fixed project scope", `scope="$view"`, `scope="project"`, "team view with team Backend: a series of scope \"project\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := load(raw)
			if err != nil {
				t.Fatal(err)
			}
			planted := 0
			for _, p := range panels(d) {
				for _, tg := range p.Targets {
					if x, ok := tg.(*prometheus.Dataquery); ok && strings.Contains(x.Expr, tc.from) {
						x.Expr = strings.ReplaceAll(x.Expr, tc.from, tc.to)
						planted++
					}
				}
			}
			if planted == 0 {
				t.Fatalf("no query of the dashboard contains %q", tc.from)
			}
			var got []string
			for _, err := range e.teamErrors(d, teams, false) {
				got = append(got, err.Error())
			}
			if all := strings.Join(got, "\n"); !strings.Contains(all, tc.want) {
				t.Errorf("no error mentions %q; the errors:\n%s", tc.want, all)
			}
		})
	}
}
