package changelog

import (
	"fmt"
	"testing"

	"github.com/pmo-oss/pmo/internal/changelog/changelogtest"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid/raidtest"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestTeamChanges: on raidtest's teams fixture (teams sharing project WEB by
// component) the sprint add after the start (WEB-15, Catalog's) and the
// priority escalation (WEB-1, Checkout's) land on their teams only — by a
// scoped Build (pmo changes --scope team:NAME) and by the portfolio's log
// cut per team (the report); the sprint add before the start (WEB-16) is
// no entry. On both engines.
func TestTeamChanges(t *testing.T) {
	f := raidtest.ReadTeams(t)
	const (
		sprintAdd = "03-11 10:00 sprint added WEB-15 [Catalog] | added to Web S1 after it started"
		priority  = "03-12 00:00 priority up WEB-1 [Checkout] | priority Medium → High"
	)
	cases := []struct {
		scope string
		want  []string
	}{
		{"portfolio", []string{sprintAdd, priority}},
		{"team:Checkout", []string{priority}},
		{"team:Catalog", []string{sprintAdd}},
		{"team:Ops", nil},
		{"program:Shop", []string{sprintAdd, priority}},
	}
	teamRows := func(l Log) []string {
		var out []string
		for _, e := range l.Entries {
			out = append(out, fmt.Sprintf("%s %s %s %s %v | %s", e.At.Format("01-02 15:04"), e.Kind, e.Change, e.Key, e.Teams, e.What()))
		}
		return out
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		cfg := raidtest.TeamsConfig(false)
		all, err := Build(t.Context(), w, Options{KPI: cfg, To: f.AsOf})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(c.scope, func(t *testing.T) {
				sf, err := kpi.ParseScopeFilter(c.scope)
				if err != nil {
					t.Fatal(err)
				}
				sameRows(t, teamRows(all.For(sf.Kind, sf.Name)), c.want)
				if c.scope != "team:Catalog" {
					return // a scoped Build of one team: the same cut
				}
				l, err := Build(t.Context(), w, Options{KPI: cfg, To: f.AsOf, Scope: sf})
				if err != nil {
					t.Fatal(err)
				}
				sameRows(t, teamRows(l), c.want)
			})
		}
	})
}

// TestReleaseMoveTeams: a release-date move belongs to the teams of the
// issues its version holds — ALPHA 1.0 (ALPHA-2 of u-bob, ALPHA-9 and
// ALPHA-10 of nobody) to team Web (assignee u-bob) only; GAMMA 5 holds no
// issue and belongs to no team. On both engines, in the portfolio's log and
// in a scoped Build.
func TestReleaseMoveTeams(t *testing.T) {
	f := changelogtest.Read(t)
	cfg := kpi.DefaultConfig()
	cfg.Teams = []kpi.Team{{Name: "Web", Assignees: []string{"u-bob"}}, {Name: "Platform", Assignees: []string{"u-alice"}}}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		all, err := Build(t.Context(), w, Options{KPI: cfg, From: f.AsOf.AddDate(0, 0, -7), To: f.AsOf})
		if err != nil {
			t.Fatal(err)
		}
		l := all.Only(KindReleaseDate)
		var got []string
		for _, e := range l.Entries {
			got = append(got, fmt.Sprintf("%s %v", e.Key, e.Teams))
		}
		sameRows(t, got, []string{"ALPHA 1.0 [Web]", "GAMMA 5 []"})
		for team, want := range map[string][]string{"Web": {"ALPHA 1.0"}, "Platform": nil} {
			l, err := Build(t.Context(), w, Options{KPI: cfg, From: f.AsOf.AddDate(0, 0, -7), To: f.AsOf,
				Scope: kpi.ScopeFilter{Kind: kpi.ScopeTeam, Name: team}})
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, e := range l.Only(KindReleaseDate).Entries {
				keys = append(keys, e.Key)
			}
			sameRows(t, keys, want)
		}
	})
}
