package deps

import (
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid"
	"github.com/pmo-oss/pmo/internal/raid/raidtest"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestTeamMatrix: the team × team matrix of raidtest's teams fixture
// (teams sharing project WEB by component), by hand: a link inside one
// project between two teams counts, a link inside one team does not
// (WEB-21 → WEB-22), an issue of no team groups under "(no team)", and with
// kpi.multi_team WEB-14 (both components) counts for both its teams; teams
// in the order of kpi.teams. --scope team:NAME keeps the links with either
// issue in the team. On both engines.
func TestTeamMatrix(t *testing.T) {
	f := raidtest.ReadTeams(t)
	cases := []struct {
		name   string
		multi  bool
		scope  string
		groups string
		cells  []string
		edges  []string
	}{
		{name: "first team", scope: "portfolio", groups: "Checkout,Catalog,Ops,(no team)",
			cells: []string{
				"Checkout -> Catalog open=1 days=10 max=10 unknown=0 at_risk=0",
				"Ops -> Checkout open=2 days=4 max=4 unknown=1 at_risk=1",
				"(no team) -> Catalog open=1 days=2 max=2 unknown=0 at_risk=0",
			},
			edges: []string{
				"OPS-1 -> WEB-12 days=4 cycle=false", "OPS-2 -> WEB-14 days=? cycle=false", "WEB-10 -> WEB-11 days=10 cycle=false",
				"WEB-20 -> WEB-11 days=2 cycle=false", "WEB-21 -> WEB-22 days=? cycle=false",
			}},
		{name: "multi team", multi: true, scope: "portfolio", groups: "Checkout,Catalog,Ops,(no team)",
			cells: []string{
				"Checkout -> Catalog open=1 days=10 max=10 unknown=0 at_risk=0",
				"Ops -> Checkout open=2 days=4 max=4 unknown=1 at_risk=1",
				"Ops -> Catalog open=1 days=0 max=0 unknown=1 at_risk=0",
				"(no team) -> Catalog open=1 days=2 max=2 unknown=0 at_risk=0",
			}},
		{name: "first team: Catalog", scope: "team:Catalog", groups: "Checkout,Catalog,(no team)",
			cells: []string{
				"Checkout -> Catalog open=1 days=10 max=10 unknown=0 at_risk=0",
				"(no team) -> Catalog open=1 days=2 max=2 unknown=0 at_risk=0",
			},
			edges: []string{"WEB-10 -> WEB-11 days=10 cycle=false", "WEB-20 -> WEB-11 days=2 cycle=false"}},
		{name: "first team: Ops", scope: "team:Ops", groups: "Checkout,Ops",
			cells: []string{"Ops -> Checkout open=2 days=4 max=4 unknown=1 at_risk=1"},
			edges: []string{"OPS-1 -> WEB-12 days=4 cycle=false", "OPS-2 -> WEB-14 days=? cycle=false"}},
		{name: "multi team: Catalog", multi: true, scope: "team:Catalog", groups: "Checkout,Catalog,Ops,(no team)",
			cells: []string{
				"Checkout -> Catalog open=1 days=10 max=10 unknown=0 at_risk=0",
				"Ops -> Checkout open=1 days=0 max=0 unknown=1 at_risk=0",
				"Ops -> Catalog open=1 days=0 max=0 unknown=1 at_risk=0",
				"(no team) -> Catalog open=1 days=2 max=2 unknown=0 at_risk=0",
			}},
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		data := map[bool]raid.DepData{} // by kpi.multi_team: one read each
		for _, multi := range []bool{false, true} {
			d, err := raid.ReadDeps(t.Context(), w, raid.Options{KPI: raidtest.TeamsConfig(multi), AsOf: f.AsOf}, DefaultCycleWindow)
			if err != nil {
				t.Fatal(err)
			}
			data[multi] = d
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				sf, err := kpi.ParseScopeFilter(c.scope)
				if err != nil {
					t.Fatal(err)
				}
				opts := Options{KPI: raidtest.TeamsConfig(c.multi), AsOf: f.AsOf, Scope: sf, GroupBy: GroupTeam}
				r, err := Compute(data[c.multi], opts, time.UTC)
				if c.name == "first team: Catalog" { // and once through Build (pmo deps)
					r, err = Build(t.Context(), w, opts)
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := strings.Join(r.Matrix.Groups, ","); got != c.groups || r.Matrix.GroupBy != GroupTeam {
					t.Errorf("groups by %s: %s, want %s", r.Matrix.GroupBy, got, c.groups)
				}
				sameRows(t, "cells", cellRows(r.Matrix), c.cells)
				if c.edges != nil {
					sameRows(t, "links", edgeRows(r), c.edges)
				}
			})
		}
	})
}

// TestCheckGroupBy: team is a grouping, and the error of an unknown one
// lists every grouping.
func TestCheckGroupBy(t *testing.T) {
	for _, by := range []string{"", GroupProject, GroupProgram, GroupTeam} {
		if err := CheckGroupBy(by); err != nil {
			t.Errorf("%q: %v", by, err)
		}
	}
	err := CheckGroupBy("board")
	if err == nil || !strings.Contains(err.Error(), "project, program or team") {
		t.Errorf("board: %v; want an error listing project, program or team", err)
	}
}
