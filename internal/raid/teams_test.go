package raid

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid/raidtest"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// teamRows writes a log's entries as "register KEY [teams]" and
// "dependency FROM [teams] → TO [teams] days=N", sorted, for the team
// tests.
func teamRows(l Log) []string {
	var out []string
	for _, r := range l.Risks {
		out = append(out, fmt.Sprintf("risk %s %v", r.Key, r.Teams))
	}
	for _, e := range l.Assumptions {
		out = append(out, fmt.Sprintf("%s %s %v", e.Kind, e.Key, e.Teams))
	}
	for _, i := range l.Issues {
		out = append(out, fmt.Sprintf("issue %s %v blocked_by=%s", i.Key, i.Teams, strings.Join(i.BlockedBy, ",")))
	}
	for _, d := range l.Dependencies {
		days := "?"
		if d.DaysOpen != nil {
			days = fmt.Sprint(*d.DaysOpen)
		}
		out = append(out, fmt.Sprintf("dependency %s %v → %s %v days=%s", d.FromKey, d.FromTeams, d.ToKey, d.ToTeams, days))
	}
	slices.Sort(out)
	return out
}

// TestTeamRegisters: on testdata/teams.yaml (raidtest.ReadTeams) each risk,
// blocked item and dependency lands on its issue's team — WEB is shared by
// Checkout and Catalog by component — and a dependency between two teams,
// inside one project or across two, is on both teams' logs; with
// kpi.multi_team WEB-14 (both components) is on both; without kpi.teams
// the dependencies register keeps only the links across projects. Both the
// portfolio log cut per scope (Log.For, as the report does) and a scoped
// Build (pmo raid --scope) give the rows; on both engines.
func TestTeamRegisters(t *testing.T) {
	f := raidtest.ReadTeams(t)
	const (
		r1   = "risk WEB-1 [Checkout]"
		r2   = "risk WEB-2 [Catalog]"
		r3   = "risk WEB-3 []"
		i11  = "issue WEB-11 [Catalog] blocked_by=WEB-10,WEB-20"
		i12  = "issue WEB-12 [Checkout] blocked_by=OPS-1"
		i14  = "issue WEB-14 [Checkout] blocked_by=OPS-2"
		i14m = "issue WEB-14 [Checkout Catalog] blocked_by=OPS-2"
		i22  = "issue WEB-22 [Checkout] blocked_by=WEB-21"
		d10  = "dependency WEB-10 [Checkout] → WEB-11 [Catalog] days=10"
		d1   = "dependency OPS-1 [Ops] → WEB-12 [Checkout] days=4"
		d2   = "dependency OPS-2 [Ops] → WEB-14 [Checkout] days=?"
		d2m  = "dependency OPS-2 [Ops] → WEB-14 [Checkout Catalog] days=?"
		d20  = "dependency WEB-20 [] → WEB-11 [Catalog] days=2"
	)
	cases := []struct {
		name  string
		cfg   kpi.Config
		scope string
		want  []string
	}{
		{"first team: portfolio", raidtest.TeamsConfig(false), "portfolio", []string{r1, r2, r3, i11, i12, i14, i22, d10, d1, d2, d20}},
		{"first team: Checkout", raidtest.TeamsConfig(false), "team:Checkout", []string{r1, i12, i14, i22, d10, d1, d2}},
		{"first team: Catalog", raidtest.TeamsConfig(false), "team:Catalog", []string{r2, i11, d10, d20}},
		{"first team: Ops", raidtest.TeamsConfig(false), "team:Ops", []string{d1, d2}},
		{"first team: program Shop", raidtest.TeamsConfig(false), "program:Shop", []string{r1, r2, r3, i11, i12, i14, i22, d10, d1, d2, d20}},
		{"multi team: Catalog", raidtest.TeamsConfig(true), "team:Catalog", []string{r2, i11, i14m, d10, d2m, d20}},
		{"multi team: Checkout", raidtest.TeamsConfig(true), "team:Checkout", []string{r1, i12, i14m, i22, d10, d1, d2m}},
		{"no teams: portfolio", kpi.DefaultConfig(), "portfolio", []string{"risk WEB-1 []", "risk WEB-2 []", r3,
			"issue WEB-11 [] blocked_by=WEB-10,WEB-20", "issue WEB-12 [] blocked_by=OPS-1", "issue WEB-14 [] blocked_by=OPS-2", "issue WEB-22 [] blocked_by=WEB-21",
			"dependency OPS-1 [] → WEB-12 [] days=4", "dependency OPS-2 [] → WEB-14 [] days=?"}},
	}
	for i := range cases {
		slices.Sort(cases[i].want)
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		logs := map[string]Log{} // by teams and multi_team
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				sf, err := kpi.ParseScopeFilter(c.scope)
				if err != nil {
					t.Fatal(err)
				}
				key := fmt.Sprint(len(c.cfg.Teams), c.cfg.MultiTeam)
				all, ok := logs[key]
				if !ok {
					if all, err = Build(t.Context(), w, Options{KPI: c.cfg, AsOf: f.AsOf}); err != nil {
						t.Fatal(err)
					}
					logs[key] = all
				}
				sameRows(t, "the portfolio's log cut for "+c.scope, teamRows(all.For(sf.Kind, sf.Name)), c.want)
				if !strings.Contains(c.name, "Catalog") {
					return // a scoped Build of one team per configuration: the same cut
				}
				l, err := Build(t.Context(), w, Options{KPI: c.cfg, AsOf: f.AsOf, Scope: sf})
				if err != nil {
					t.Fatal(err)
				}
				if l.Scope != c.scope {
					t.Errorf("scope %q, want %q", l.Scope, c.scope)
				}
				sameRows(t, "the log of "+c.scope, teamRows(l), c.want)
			})
		}
	})
}
