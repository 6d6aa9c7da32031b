package kpi

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/collectors/jira/jiratest"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestDemoOrganisationTellsAStory collects pmo demo's simulated
// organisation (3,000 issues, seed 1, its projects as DemoProjects says)
// with the real collector, computes the catalog with the default
// configuration and checks that the organisation is believable and tells
// the story the simulator was built for: every project the simulator calls
// healthy is green, at risk amber, in trouble red (so the demo shows all
// three); work is finished at a human pace (the median cycle time within
// the SLE the engine derives, the mean age of work in progress within a
// few SLEs, at most three items in progress per person outside the
// project in trouble); the in-trouble project shows its causes (blocked
// items, late due dates, escaped bugs, an unreviewed critical risk) and
// the at-risk one its growing release.
func TestDemoOrganisationTellsAStory(t *testing.T) {
	if testing.Short() {
		t.Skip("collects a simulated Jira organisation; skipped with -short")
	}
	now := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC) // a Monday; any anchor works
	const issues = 3000
	whtest.OnEngine(t, "chdb", func(t *testing.T, w *warehouse.Warehouse) { // the demo's default engine; the KPI SQL is held equal on both by the other tests
		ctx := context.Background()
		sim, _ := jiratest.Collect(t, w, jirasim.Demo(jirasim.Cloud, issues, 1, now))
		snap, err := Compute(ctx, w, DefaultConfig(), now, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		get := func(scope, kpi, window, labels string) (float64, bool) {
			for _, v := range snap.Values {
				if v.ScopeKind == ScopeProject && v.Scope == scope && v.KPI == kpi && v.Window == window && v.Labels.String() == labels {
					if v.Value == nil {
						return 0, false
					}
					return *v.Value, true
				}
			}
			return 0, false
		}
		want := map[string]RAG{"healthy": Green, "at risk": Amber, "in trouble": Red}
		health := sim.Health()
		keys := make([]string, 0, len(health))
		for k := range health {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		seen := map[RAG]int{}
		for _, key := range keys {
			scope := "sim/" + key
			rag, ok := get(scope, "portfolio_rag", "snapshot", "measure=rag")
			if !ok {
				t.Errorf("%s: no portfolio_rag", scope)
				continue
			}
			var comps []string
			for _, c := range ragComponents {
				if x, ok := get(scope, "portfolio_rag", "snapshot", "component="+c); ok {
					comps = append(comps, fmt.Sprintf("%s %s", c, RAG(x)))
				}
			}
			sle, _ := get(scope, "work_item_age", "snapshot", "measure=sle_days")
			ct50, okCT := get(scope, "cycle_time", "12w", "method=nr,quantile=0.5,unit=dc")
			age, okAge := get(scope, "work_item_age", "snapshot", "measure=mean_age,unit=dc")
			wip, _ := get(scope, "wip", "snapshot", "measure=count")
			perPerson, _ := get(scope, "wip", "snapshot", "measure=per_assignee")
			tp, _ := get(scope, "throughput", "12w", "measure=per_week")
			sayDo, _ := get(scope, "say_do_ratio", "last5", "board="+key+" Scrum,variant=points")
			dd, _ := get(scope, "due_date_adherence", "12w", "measure=on_time_ratio")
			esc, _ := get(scope, "escaped_defect_rate", "12w", "")
			blocked, _ := get(scope, "blocked_ratio", "snapshot", "measure=ratio")
			hyg, _ := get(scope, "field_completeness", "12w", "field=composite")
			growth := 0.0 // the largest scope growth of a release still open
			for _, v := range snap.Values {
				if v.ScopeKind == ScopeProject && v.Scope == scope && v.KPI == "scope_growth" && v.Labels["variant"] == "points" && v.Value != nil {
					growth = max(growth, *v.Value)
				}
			}
			t.Logf("%s (%s): %s [%s]; throughput %.1f/wk, WIP %.0f (%.1f per person), cycle P50 %.0f d, mean age %.1f d, SLE %.0f d; say/do %.2f, on time %.2f, escaped %.2f, blocked %.2f, hygiene %.2f, release growth up to %.2f",
				key, health[key], RAG(rag), strings.Join(comps, ", "), tp, wip, perPerson, ct50, age, sle, sayDo, dd, esc, blocked, hyg, growth)
			seen[RAG(rag)]++
			if RAG(rag) != want[health[key]] {
				t.Errorf("%s is %s but rated %s; want %s", key, health[key], RAG(rag), want[health[key]])
			}
			if !okCT || sle <= 0 || ct50 > sle {
				t.Errorf("%s: median cycle time %.0f d beyond the SLE %.0f d (want within it)", key, ct50, sle)
			}
			if !okAge || age > 3*sle {
				t.Errorf("%s: mean age of work in progress %.1f d; want within three SLEs (%.0f d)", key, age, 3*sle)
			}
			if health[key] == "at risk" && growth <= 0.25 {
				t.Errorf("%s: no release grew more than 25 %% (largest %.2f); the at-risk project's story is a growing release", key, growth)
			}
			if health[key] != "in trouble" && (perPerson <= 0 || perPerson > 3) {
				t.Errorf("%s: %.1f items in progress per person; want 1 to 3", key, perPerson)
			}
		}
		if seen[Green] == 0 || seen[Amber] == 0 || seen[Red] == 0 {
			t.Errorf("projects by RAG %v; want green, amber and red ones", seen)
		}
	})
}
