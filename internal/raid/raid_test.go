package raid

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/collectors/jira/jiratest"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid/raidtest"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// The rows of a log as one line each, so expected rows read by hand.
func riskRows(l Log) []string {
	var out []string
	for _, r := range l.Risks {
		out = append(out, fmt.Sprintf("%s %s %s sev=%g prev=%g owner=%s %s age=%d idle=%d stale=%v %s",
			r.Key, r.Project, r.Priority, r.Severity, r.PrevSeverity, r.Owner, r.Status, r.AgeDays, r.DaysSinceUpdate, r.Stale, r.Trend))
	}
	return out
}

func entryRows(l Log) []string {
	var out []string
	for _, e := range l.Assumptions {
		out = append(out, fmt.Sprintf("%s %s %s owner=%s %s age=%d idle=%d stale=%v", e.Kind, e.Key, e.Project, e.Owner, e.Status, e.AgeDays, e.DaysSinceUpdate, e.Stale))
	}
	return out
}

func itemRows(l Log) []string {
	var out []string
	for _, i := range l.Issues {
		days := "?"
		if i.DaysBlocked != nil {
			days = fmt.Sprint(*i.DaysBlocked)
		}
		if len(i.BlockedBy) == 0 {
			days = "-"
		}
		out = append(out, fmt.Sprintf("%s %s %s owner=%s %s blocked_by=%s days_blocked=%s due=%s overdue=%d idle=%d stale=%v",
			i.Key, i.Project, i.Priority, i.Owner, i.Status, strings.Join(i.BlockedBy, ","), days, i.Due, i.DaysOverdue, i.DaysSinceUpdate, i.Stale))
	}
	return out
}

func depRows(l Log) []string {
	var out []string
	for _, d := range l.Dependencies {
		days := "?"
		if d.DaysOpen != nil {
			days = fmt.Sprint(*d.DaysOpen)
		}
		out = append(out, fmt.Sprintf("%s (%s, %s) blocks %s (%s, %s) days=%s", d.FromKey, d.FromProject, d.FromProgram, d.ToKey, d.ToProject, d.ToProgram, days))
	}
	return out
}

func sameRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// Expected rows of testdata/raid.yaml, by hand (see the comments there).
var (
	wantRisks = map[string]string{
		"ALPHA-2": "ALPHA-2 jira/ALPHA Highest sev=5 prev=3 owner=bob open age=34 idle=4 stale=false up",
		"ALPHA-1": "ALPHA-1 jira/ALPHA High sev=4 prev=4 owner=alice open age=43 idle=6 stale=false unchanged",
		"BETA-2":  "BETA-2 jira/BETA Medium sev=3 prev=3 owner= open age=74 idle=43 stale=true unchanged",
		"BETA-3":  "BETA-3 jira/BETA Low sev=2 prev=4 owner=alice open age=43 idle=2 stale=false down",
		"BETA-1":  "BETA-1 jira/BETA Low sev=2 prev=2 owner=carol open age=5 idle=5 stale=false new",
		"GAMMA-1": "GAMMA-1 jira/GAMMA High sev=4 prev=4 owner=dave closed age=60 idle=4 stale=false closed",
	}
	wantEntries = map[string]string{
		"ALPHA-10": "assumption ALPHA-10 jira/ALPHA owner=bob open age=15 idle=15 stale=true",
		"GAMMA-10": "decision GAMMA-10 jira/GAMMA owner=dave open age=6 idle=1 stale=false",
		"BETA-10":  "decision BETA-10 jira/BETA owner=carol closed age=24 idle=11 stale=false",
	}
	wantItems = map[string]string{
		"ALPHA-20": "ALPHA-20 jira/ALPHA Medium owner=alice in progress blocked_by=BETA-20 days_blocked=10 due= overdue=0 idle=10 stale=false",
		"ALPHA-21": "ALPHA-21 jira/ALPHA High owner= open blocked_by= days_blocked=- due=2026-03-10 overdue=6 idle=43 stale=true",
		"BETA-20":  "BETA-20 jira/BETA Medium owner=bob open blocked_by= days_blocked=- due=2026-03-13 overdue=3 idle=15 stale=true",
		"GAMMA-21": "GAMMA-21 jira/GAMMA Low owner=dave in progress blocked_by=ALPHA-23,GAMMA-22 days_blocked=? due= overdue=0 idle=2 stale=false",
	}
	wantDeps = map[string]string{
		"BETA-20":  "BETA-20 (jira/BETA, Core) blocks ALPHA-20 (jira/ALPHA, Core) days=10",
		"ALPHA-23": "ALPHA-23 (jira/ALPHA, Core) blocks GAMMA-21 (jira/GAMMA, Edge) days=2",
	}
)

func pick(m map[string]string, keys ...string) []string {
	var out []string
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}

// TestBuild holds the four registers of the hand-made fixture to the rows
// written by hand, per scope, on both engines (the SQL is the subject).
func TestBuild(t *testing.T) {
	f := raidtest.Read(t)
	cases := []struct {
		scope                       string
		risks, entries, items, deps []string
	}{
		{scope: "portfolio",
			risks:   pick(wantRisks, "ALPHA-2", "ALPHA-1", "BETA-2", "BETA-3", "BETA-1", "GAMMA-1"),
			entries: pick(wantEntries, "ALPHA-10", "GAMMA-10", "BETA-10"),
			items:   pick(wantItems, "ALPHA-20", "ALPHA-21", "BETA-20", "GAMMA-21"),
			deps:    pick(wantDeps, "BETA-20", "ALPHA-23")},
		{scope: "program:Core",
			risks:   pick(wantRisks, "ALPHA-2", "ALPHA-1", "BETA-2", "BETA-3", "BETA-1"),
			entries: pick(wantEntries, "ALPHA-10", "BETA-10"),
			items:   pick(wantItems, "ALPHA-20", "ALPHA-21", "BETA-20"),
			deps:    pick(wantDeps, "BETA-20", "ALPHA-23")},
		{scope: "project:GAMMA",
			risks:   pick(wantRisks, "GAMMA-1"),
			entries: pick(wantEntries, "GAMMA-10"),
			items:   pick(wantItems, "GAMMA-21"),
			deps:    pick(wantDeps, "ALPHA-23")},
		{scope: "source:jira",
			risks:   pick(wantRisks, "ALPHA-2", "ALPHA-1", "BETA-2", "BETA-3", "BETA-1", "GAMMA-1"),
			entries: pick(wantEntries, "ALPHA-10", "GAMMA-10", "BETA-10"),
			items:   pick(wantItems, "ALPHA-20", "ALPHA-21", "BETA-20", "GAMMA-21"),
			deps:    pick(wantDeps, "BETA-20", "ALPHA-23")},
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		all, err := Build(t.Context(), w, Options{KPI: kpi.DefaultConfig(), AsOf: f.AsOf})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(c.scope, func(t *testing.T) {
				sf, err := kpi.ParseScopeFilter(c.scope)
				if err != nil {
					t.Fatal(err)
				}
				l := all.For(sf.Kind, sf.Name)
				if l.Scope != c.scope || !l.AsOf.Equal(f.AsOf) || !l.Previous.Equal(f.AsOf.AddDate(0, 0, -7)) || l.StaleDays != 14 {
					t.Errorf("header: scope %q as of %v previous %v stale days %d", l.Scope, l.AsOf, l.Previous, l.StaleDays)
				}
				sameRows(t, "risks", riskRows(l), c.risks)
				sameRows(t, "assumptions", entryRows(l), c.entries)
				sameRows(t, "issues", itemRows(l), c.items)
				sameRows(t, "dependencies", depRows(l), c.deps)
			})
		}
	})
}

// TestSimulatorRAID: the Jira simulator's demo organisation, collected by
// the real collector, gives a full RAID log — open risks with each trend
// the week allows, assumptions and decisions, blocked and overdue items,
// dependencies across projects, stale entries — and each project's log is
// the portfolio's rows of that project. On the embedded engine (the SQL is
// held on both by TestBuild).
func TestSimulatorRAID(t *testing.T) {
	now := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
	whtest.OnEngine(t, "chdb", func(t *testing.T, w *warehouse.Warehouse) {
		jiratest.Collect(t, w, jirasim.Demo(jirasim.Cloud, 600, 1, now))
		t0 := time.Now()
		l, err := Build(t.Context(), w, Options{KPI: kpi.DefaultConfig(), AsOf: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("Build: %s", time.Since(t0).Round(time.Millisecond))
		count := map[string]int{}
		for _, r := range l.Risks {
			count["risk "+r.Status]++
			count["risk trend "+r.Trend]++
			if r.Stale {
				count["stale risk"]++
			}
		}
		for _, e := range l.Assumptions {
			count[e.Kind+" "+e.Status]++
		}
		for _, i := range l.Issues {
			if len(i.BlockedBy) > 0 {
				count["blocked"]++
			}
			if i.Due != "" {
				count["overdue"]++
			}
			if i.Stale {
				count["stale issue"]++
			}
		}
		for _, d := range l.Dependencies {
			count["dependency"]++
			if d.DaysOpen != nil {
				count["dependency since known"]++
			}
		}
		t.Logf("RAID log of the demo organisation (600 issues) as of %s: %v", now.Format(time.DateOnly), count)
		for _, k := range []string{"risk open", "risk trend unchanged", "stale risk", "assumption open", "assumption closed",
			"decision open", "decision closed", "blocked", "overdue", "dependency", "dependency since known"} {
			if count[k] == 0 {
				t.Errorf("no %q in the demo's RAID log", k)
			}
		}
		// A project's log is the portfolio's rows of that project.
		p := l.Risks[0].Project
		pl := l.For(kpi.ScopeProject, p)
		n := 0
		for _, r := range l.Risks {
			if r.Project == p {
				n++
			}
		}
		if len(pl.Risks) != n || n == 0 {
			t.Errorf("project %s: %d risks in its log, %d of the portfolio's are its", p, len(pl.Risks), n)
		}
	})
}
