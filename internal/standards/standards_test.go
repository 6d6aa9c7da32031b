package standards_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	. "github.com/pmo-oss/pmo/internal/standards"
	"github.com/pmo-oss/pmo/internal/standards/stdtest"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

func passFail(b bool) string {
	if b {
		return "pass"
	}
	return "FAIL"
}

// resultRows writes a scorecard one standard a line, so expected results
// read by hand.
func resultRows(s Scorecard) []string {
	var out []string
	for _, r := range s.Standards {
		prev := "-"
		if r.PrevPass != nil {
			prev = fmt.Sprintf("%s/%d", passFail(*r.PrevPass), *r.PrevCount)
		}
		out = append(out, fmt.Sprintf("%s %s %d projects=%d/%d prev=%s %s", r.ID, passFail(r.Pass), r.Count, r.ProjectsPassing, r.Projects, prev, r.Trend))
	}
	return out
}

func itemRows(s Scorecard) []string {
	var out []string
	for _, r := range s.Standards {
		for _, o := range r.Items {
			out = append(out, fmt.Sprintf("%s %s %s: %s", r.ID, o.Key, o.Project, o.Reason))
		}
	}
	return out
}

func sameRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// The offending items of testdata/standards.yaml at as_of, by hand (see
// the comments there).
var wantItems = map[string]string{
	"ALPHA-2 fields": "required_fields ALPHA-2 jira/ALPHA: missing assignee",
	"ALPHA-3 fields": "required_fields ALPHA-3 jira/ALPHA: missing estimate",
	"ALPHA-8 fields": "required_fields ALPHA-8 jira/ALPHA: missing estimate",
	"ALPHA-5":        "workflow ALPHA-5 jira/ALPHA: done on 2026-03-10 without being in progress",
	"BETA-2":         `workflow BETA-2 jira/BETA: status "Review" has no known category`,
	"ALPHA-1 wip":    "wip ALPHA-1 jira/ALPHA: in progress (In Progress)",
	"ALPHA-2 wip":    "wip ALPHA-2 jira/ALPHA: in progress (In Progress)",
	"ALPHA-7 wip":    "wip ALPHA-7 jira/ALPHA: in progress (In Progress)",
	"ALPHA-8 wip":    "wip ALPHA-8 jira/ALPHA: in progress (In Progress)",
	"BETA-1 wip":     "wip BETA-1 jira/BETA: in progress (In Progress)",
	"GAMMA-1 wip":    "wip GAMMA-1 jira/GAMMA: in progress (In Progress)",
	"ALPHA-3 est":    "estimates ALPHA-3 jira/ALPHA: ready (To Do) without an estimate",
	"BETA-3 est":     "estimates BETA-3 jira/BETA: ready (Ready) without an estimate",
	"ALPHA-2 due":    "due_dates ALPHA-2 jira/ALPHA: in an active sprint without a due date",
	"ALPHA-8 due":    "due_dates ALPHA-8 jira/ALPHA: in an active sprint without a due date",
	"Beta Sprint 7":  "sprint_length Beta Sprint 7 jira/BETA: planned for 21 days (2026-03-02 – 2026-03-23)",
	"ALPHA-6":        "stale ALPHA-6 jira/ALPHA: not updated for 55 days (To Do)",
}

func pick(keys ...string) []string {
	var out []string
	for _, k := range keys {
		if _, ok := wantItems[k]; !ok {
			panic("no expected item " + k)
		}
		out = append(out, wantItems[k])
	}
	return out
}

// TestBuild holds the scorecard of the hand-made fixture to the results and
// items written by hand, per scope — each project by its rule, a roll-up
// passing only when all its projects pass, the trend against the previous
// report — on both engines (the SQL is the subject). Every standard's
// explain list has the length of its count.
func TestBuild(t *testing.T) {
	f := stdtest.Read(t)
	cases := []struct {
		scope          string
		results, items []string
	}{
		{scope: "portfolio",
			results: []string{
				"required_fields FAIL 3 projects=2/3 prev=pass/0 worse",
				"workflow FAIL 2 projects=1/3 prev=pass/0 worse",
				"wip FAIL 6 projects=2/3 prev=pass/3 worse",
				"estimates FAIL 2 projects=1/3 prev=FAIL/2 unchanged",
				"due_dates FAIL 2 projects=2/3 prev=pass/0 worse",
				"sprint_length FAIL 1 projects=2/3 prev=FAIL/1 unchanged",
				"stale FAIL 1 projects=2/3 prev=FAIL/2 better"},
			items: pick("ALPHA-2 fields", "ALPHA-3 fields", "ALPHA-8 fields", "ALPHA-5", "BETA-2", "ALPHA-1 wip", "ALPHA-2 wip", "ALPHA-7 wip",
				"ALPHA-8 wip", "BETA-1 wip", "GAMMA-1 wip", "ALPHA-3 est", "BETA-3 est", "ALPHA-2 due", "ALPHA-8 due", "Beta Sprint 7", "ALPHA-6")},
		{scope: "program:Core",
			results: []string{
				"required_fields FAIL 3 projects=1/2 prev=pass/0 worse",
				"workflow FAIL 2 projects=0/2 prev=pass/0 worse",
				"wip FAIL 5 projects=1/2 prev=pass/1 worse",
				"estimates FAIL 2 projects=0/2 prev=FAIL/2 unchanged",
				"due_dates FAIL 2 projects=1/2 prev=pass/0 worse",
				"sprint_length FAIL 1 projects=1/2 prev=FAIL/1 unchanged",
				"stale FAIL 1 projects=1/2 prev=FAIL/1 unchanged"},
			items: pick("ALPHA-2 fields", "ALPHA-3 fields", "ALPHA-8 fields", "ALPHA-5", "BETA-2", "ALPHA-1 wip", "ALPHA-2 wip", "ALPHA-7 wip",
				"ALPHA-8 wip", "BETA-1 wip", "ALPHA-3 est", "BETA-3 est", "ALPHA-2 due", "ALPHA-8 due", "Beta Sprint 7", "ALPHA-6")},
		{scope: "program:Edge",
			results: []string{
				"required_fields pass 0 projects=1/1 prev=pass/0 unchanged",
				"workflow pass 0 projects=1/1 prev=pass/0 unchanged",
				"wip pass 1 projects=1/1 prev=pass/2 better",
				"estimates pass 0 projects=1/1 prev=pass/0 unchanged",
				"due_dates pass 0 projects=1/1 prev=pass/0 unchanged",
				"sprint_length pass 0 projects=1/1 prev=pass/0 unchanged",
				"stale pass 0 projects=1/1 prev=FAIL/1 better"},
			items: pick("GAMMA-1 wip")},
		{scope: "project:ALPHA",
			results: []string{
				"required_fields FAIL 3 projects=0/1 prev=pass/0 worse",
				"workflow FAIL 1 projects=0/1 prev=pass/0 worse",
				"wip FAIL 4 projects=0/1 prev=pass/0 worse",
				"estimates FAIL 1 projects=0/1 prev=FAIL/2 better",
				"due_dates FAIL 2 projects=0/1 prev=pass/0 worse",
				"sprint_length pass 0 projects=1/1 prev=pass/0 unchanged",
				"stale FAIL 1 projects=0/1 prev=FAIL/1 unchanged"},
			items: pick("ALPHA-2 fields", "ALPHA-3 fields", "ALPHA-8 fields", "ALPHA-5", "ALPHA-1 wip", "ALPHA-2 wip", "ALPHA-7 wip", "ALPHA-8 wip",
				"ALPHA-3 est", "ALPHA-2 due", "ALPHA-8 due", "ALPHA-6")},
		{scope: "project:jira/BETA",
			results: []string{
				"required_fields pass 0 projects=1/1 prev=pass/0 unchanged",
				"workflow FAIL 1 projects=0/1 prev=pass/0 worse",
				"wip pass 1 projects=1/1 prev=pass/1 unchanged",
				"estimates FAIL 1 projects=0/1 prev=pass/0 worse",
				"due_dates pass 0 projects=1/1 prev=pass/0 unchanged",
				"sprint_length FAIL 1 projects=0/1 prev=FAIL/1 unchanged",
				"stale pass 0 projects=1/1 prev=pass/0 unchanged"},
			items: pick("BETA-2", "BETA-1 wip", "BETA-3 est", "Beta Sprint 7")},
		// The teams of stdtest.Teams, each judged as one unit over its own
		// items: Web (component web, no board: the sprints holding its
		// items, Beta Sprint 7 through BETA-1) fails WIP with 4 of its
		// items in progress (2 at the previous report) and the workflow
		// tolerance with ALPHA-5 skipped of its 1 done item; Apps (board
		// Beta board: its sprints) has BETA-2's unknown status and BETA-3.
		{scope: "team:Web",
			results: []string{
				"required_fields FAIL 1 projects=0/0 prev=pass/0 worse",
				"workflow FAIL 1 projects=0/0 prev=pass/0 worse",
				"wip FAIL 4 projects=0/0 prev=pass/2 worse",
				"estimates pass 0 projects=0/0 prev=pass/0 unchanged",
				"due_dates FAIL 1 projects=0/0 prev=pass/0 worse",
				"sprint_length FAIL 1 projects=0/0 prev=FAIL/1 unchanged",
				"stale pass 0 projects=0/0 prev=pass/0 unchanged"},
			items: pick("ALPHA-2 fields", "ALPHA-5", "ALPHA-1 wip", "ALPHA-2 wip", "BETA-1 wip", "GAMMA-1 wip", "ALPHA-2 due", "Beta Sprint 7")},
		{scope: "team:Apps",
			results: []string{
				"required_fields pass 0 projects=0/0 prev=pass/0 unchanged",
				"workflow FAIL 1 projects=0/0 prev=pass/0 worse",
				"wip pass 0 projects=0/0 prev=pass/0 unchanged",
				"estimates FAIL 1 projects=0/0 prev=pass/0 worse",
				"due_dates pass 0 projects=0/0 prev=pass/0 unchanged",
				"sprint_length FAIL 1 projects=0/0 prev=FAIL/1 unchanged",
				"stale pass 0 projects=0/0 prev=pass/0 unchanged"},
			items: pick("BETA-2", "BETA-3 est", "Beta Sprint 7")},
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		d, err := Read(t.Context(), w, Options{KPI: stdtest.KPI(), Standards: stdtest.Config(), AsOf: f.AsOf})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(c.scope, func(t *testing.T) {
				sf, err := kpi.ParseScopeFilter(c.scope)
				if err != nil {
					t.Fatal(err)
				}
				s := d.For(sf.Kind, sf.Name)
				if unit := map[bool]string{true: "team", false: "project"}[sf.Kind == kpi.ScopeTeam]; s.Unit != unit {
					t.Errorf("unit %q, want %q", s.Unit, unit)
				}
				if s.Scope != c.scope || !s.AsOf.Equal(f.AsOf) || !s.Previous.Equal(f.AsOf.AddDate(0, 0, -7)) || len(s.Disabled) != 0 {
					t.Errorf("header: scope %q as of %v previous %v disabled %v", s.Scope, s.AsOf, s.Previous, s.Disabled)
				}
				sameRows(t, "results", resultRows(s), c.results)
				sameRows(t, "items", itemRows(s), c.items)
				checkExplain(t, s)
			})
		}
		t.Run("replay", func(t *testing.T) { checkReplay(t, w, f) })
		if w.Engine() == warehouse.EngineChDB {
			t.Run("config", func(t *testing.T) { checkConfig(t, w, f) })
			t.Run("write", func(t *testing.T) { checkWrite(t, d) })
		}
	})
}

// checkExplain: every standard's explain list has the length of its count,
// and a failing standard lists at least one item.
func checkExplain(t *testing.T, s Scorecard) {
	t.Helper()
	for _, r := range s.Standards {
		if len(r.Items) != r.Count {
			t.Errorf("%s %s: count %d, explain lists %d", s.Scope, r.ID, r.Count, len(r.Items))
		}
		if !r.Pass && r.Count == 0 {
			t.Errorf("%s %s fails with no offending item", s.Scope, r.ID)
		}
	}
}

// TestValidate: validation names every bad key and what to write there.
func TestValidate(t *testing.T) {
	bad := DefaultConfig()
	bad.RequiredFields.Fields = []string{"assignee", "story_points"}
	bad.WIP.Limit = -1
	neg := 120.0
	bad.Workflow.TolerancePct = &neg
	bad.Estimates.ReadyStatuses = []string{" "}
	var got []string
	for _, err := range bad.Validate() {
		got = append(got, err.Error())
	}
	sameRows(t, "validation", got, []string{
		"kpi.standards.wip.limit: -1 is negative; use the most items in progress a project may have (default 15)",
		"kpi.standards.workflow.tolerance_pct: 120 is not a percentage; use 0 to 100 (default 10)",
		`kpi.standards.required_fields.fields[1]: unknown field "story_points"; use one of assignee, due_date, estimate, priority, components, fix_version`,
		"kpi.standards.estimates.ready_statuses[0]: empty name; remove it or name a status",
	})
	if errs := DefaultConfig().Validate(); len(errs) > 0 {
		t.Errorf("the defaults do not validate: %v", errs)
	}
}

// checkConfig: on the same data, disabled standards are not checked and
// are listed as such; thresholds and fields change the verdicts.
func checkConfig(t *testing.T, w *warehouse.Warehouse, f stdtest.Fixture) {
	off := false
	c := stdtest.Config()
	c.DueDates.Enabled = &off
	c.Stale.Enabled = &off
	c.WIP.Limit = 3
	tol := 50.0
	c.Workflow.TolerancePct = &tol
	c.RequiredFields.Fields = []string{"due_date"}
	d, err := Read(t.Context(), w, Options{KPI: stdtest.KPI(), Standards: c, AsOf: f.AsOf})
	if err != nil {
		t.Fatal(err)
	}
	s := d.For(kpi.ScopeProject, "ALPHA")
	if strings.Join(s.Disabled, ",") != "due_dates,stale" {
		t.Errorf("disabled %v, want due_dates, stale", s.Disabled)
	}
	sameRows(t, "results", resultRows(s), []string{
		"required_fields FAIL 2 projects=0/1 prev=pass/0 worse",
		"workflow pass 1 projects=1/1 prev=pass/0 worse",
		"wip FAIL 4 projects=0/1 prev=pass/0 worse",
		"estimates FAIL 1 projects=0/1 prev=FAIL/2 better",
		"sprint_length pass 0 projects=1/1 prev=pass/0 unchanged"})
	if r, _ := s.Result("required_fields"); len(r.Items) != 2 || r.Items[0].Key != "ALPHA-2" || r.Items[0].Reason != "missing due_date" ||
		r.Items[1].Key != "ALPHA-8" || r.Items[1].Reason != "missing due_date" {
		t.Errorf("required_fields items %+v, want ALPHA-2 and ALPHA-8 missing due_date", r.Items)
	}
	checkExplain(t, s)
	// A team's workflow tolerance is a share of its own done items: at
	// 50 % ALPHA passes (1 skipped of its 2 done), but the team Web, whose
	// only done item is the skipped ALPHA-5, fails (4 done in the portfolio
	// would allow 2).
	s = d.For(kpi.ScopeTeam, "Web")
	if r, _ := s.Result("workflow"); r.Pass || r.Count != 1 {
		t.Errorf("team:Web workflow at 50 %%: pass %v, count %d; want FAIL, 1 (ALPHA-5 skipped of its 1 done item)", r.Pass, r.Count)
	}
	checkExplain(t, s)
}

// checkReplay: the scorecard judges an item by the fields in force at the
// instant, replayed from its changes (testdata/standards.yaml, the
// field_changes): ALPHA-8's story points, due date and fix version, set on
// 2026-03-18, are missing at as_of (2026-03-16) and present a week later;
// ALPHA-9, put into the active sprint on 2026-03-17, is neither ready nor
// committed at as_of and both a week later. The week-later scorecard's
// previous report is as_of: its trend reads the replayed values too.
func checkReplay(t *testing.T, w *warehouse.Warehouse, f stdtest.Fixture) {
	c := stdtest.Config()
	c.RequiredFields.Fields = []string{"assignee", "priority", "estimate", "fix_version"}
	alpha := kpi.ScopeFilter{Kind: kpi.ScopeProject, Name: "ALPHA"}
	replayed := func(s Scorecard) []string {
		var out []string
		for _, r := range s.Standards {
			for _, o := range r.Items {
				if o.Key == "ALPHA-8" || o.Key == "ALPHA-9" {
					out = append(out, fmt.Sprintf("%s %s: %s", r.ID, o.Key, o.Reason))
				}
			}
		}
		return out
	}
	atAsOf := []string{
		"required_fields ALPHA-8: missing estimate, fix_version",
		"wip ALPHA-8: in progress (In Progress)",
		"due_dates ALPHA-8: in an active sprint without a due date"}
	weekLater := []string{
		"required_fields ALPHA-9: missing estimate, fix_version",
		"wip ALPHA-8: in progress (In Progress)",
		"estimates ALPHA-9: ready (To Do) without an estimate",
		"due_dates ALPHA-9: in an active sprint without a due date"}
	var first Scorecard
	for i, at := range []struct {
		asOf time.Time
		want []string
	}{{f.AsOf, atAsOf}, {f.AsOf.AddDate(0, 0, 7), weekLater}} {
		s, err := Build(t.Context(), w, Options{KPI: kpi.DefaultConfig(), Standards: c, AsOf: at.asOf, Scope: alpha})
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, "the replayed items as of "+at.asOf.Format(time.DateOnly), replayed(s), at.want)
		checkExplain(t, s)
		if i == 0 {
			first = s
			continue
		}
		// The week-later scorecard's previous report is as_of: each
		// standard's previous result is the as_of scorecard's.
		for j, r := range s.Standards {
			if p := first.Standards[j]; r.PrevPass == nil || *r.PrevPass != p.Pass || *r.PrevCount != p.Count {
				t.Errorf("%s a week later: previous %s, want the as_of result %s, %d", r.ID, r.PreviousText(), passFail(p.Pass), p.Count)
			}
		}
	}
}

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

// golden compares got with testdata/name (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (rerun with -update if the change is meant):\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

// checkWrite writes the fixture's scorecards and explain lists in each
// format against golden files (pmo standards prints them; its own test
// runs the command's flow).
func checkWrite(t *testing.T, d *Data) {
	for _, c := range []struct {
		golden, scope, format, explain string
	}{
		{"portfolio.table.golden", "portfolio", "table", ""},
		{"program_edge.json.golden", "program:Edge", "json", ""},
		{"program_core.csv.golden", "program:Core", "csv", ""},
		{"alpha_required_fields.table.golden", "project:ALPHA", "table", "required_fields"},
		{"core_sprint_length.json.golden", "program:Core", "json", "sprint_length"},
		{"portfolio_wip.csv.golden", "portfolio", "csv", "wip"},
		{"team_web.table.golden", "team:Web", "table", ""},
		{"team_apps_sprint_length.table.golden", "team:Apps", "table", "sprint_length"},
		{"team_web_wip.json.golden", "team:Web", "json", "wip"},
	} {
		t.Run(c.golden, func(t *testing.T) {
			sf, err := kpi.ParseScopeFilter(c.scope)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			if err := Write(&b, d.For(sf.Kind, sf.Name), c.format, c.explain, time.UTC); err != nil {
				t.Fatal(err)
			}
			golden(t, c.golden, b.String())
		})
	}
	var b strings.Builder
	for _, c := range []struct{ format, explain, want string }{
		{"xml", "", `standards: unknown output format "xml"; use one of table, json, csv`},
		{"table", "wips", `standards: unknown standard "wips"; expected one of required_fields, workflow, wip, estimates, due_dates, sprint_length, stale`},
	} {
		if err := Write(&b, d.For("", ""), c.format, c.explain, nil); err == nil || err.Error() != c.want {
			t.Errorf("Write(%q, %q): %v, want %s", c.format, c.explain, err, c.want)
		}
	}
}
