package report

import (
	"context"
	"fmt"
	"html/template"
	"sort"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// The team pages (kpi.teams): a team is a page like a project's, with the
// team's KPI values, charts of its issues and the issues behind each
// value. Its program (kpi.teams[].program) lists and links it; the
// portfolio lists every team.

// The Teams table's template (templates/teams.html), added to the page
// templates.
var _ = template.Must(pageTmpl.ParseFS(templateFS, "templates/teams.html"))

// addTeam adds the page of team name to m (once).
func addTeam(m *Model, cfg kpi.Config, name string, slugs map[string]bool) {
	program := ""
	for _, t := range cfg.Teams {
		if t.Name == name {
			program = t.Program
		}
	}
	m.Teams = append(m.Teams, &Scope{Kind: kpi.ScopeTeam, Name: name, Label: name, Program: program, Slug: uniqueSlug(slugs, "team-"+name)})
}

// linkTeams orders the teams as kpi.teams lists them and gives each
// program its teams.
func linkTeams(m *Model, cfg kpi.Config, programs map[string]*Scope) {
	order := map[string]int{}
	for i, t := range cfg.Teams {
		order[t.Name] = i
	}
	sort.SliceStable(m.Teams, func(i, j int) bool { return order[m.Teams[i].Name] < order[m.Teams[j].Name] })
	for _, t := range m.Teams {
		if p := programs[t.Program]; p != nil {
			p.Teams = append(p.Teams, t)
		}
	}
	m.Portfolio.Teams = m.Teams
}

// filterTeams keeps the teams a scope filter selects: team:NAME that team,
// a program its teams, the kind team every team.
func filterTeams(teams, programs []*Scope, f kpi.ScopeFilter) []*Scope {
	picked := map[string]bool{}
	for _, p := range programs {
		picked[p.Name] = true
	}
	var out []*Scope
	for _, t := range teams {
		if (f.Kind == kpi.ScopeTeam && f.Match(t.Kind, t.Name)) || (f.Kind == kpi.ScopeProgram && picked[t.Program]) {
			out = append(out, t)
		}
	}
	return out
}

// sprintOfTeam: a team owns the sprints of its boards (kpi.teams[].boards,
// by id or name).
func sprintOfTeam(cfg kpi.Config, team string, r kpi.SprintReport) bool {
	for _, t := range cfg.Teams {
		if t.Name != team {
			continue
		}
		for _, b := range t.Boards {
			if b == r.BoardID || b == r.Board {
				return true
			}
		}
	}
	return false
}

// readIssueZones sets the time zone of the issues whose days do not count
// in kpi.tz (kpi.IssueZones).
func readIssueZones(ctx context.Context, w *warehouse.Warehouse, cfg kpi.Config, asOf time.Time, issues []*issue) error {
	byKey, _, err := kpi.IssueZones(ctx, w, cfg, asOf)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if len(byKey) == 0 {
		return nil
	}
	for _, is := range issues {
		is.loc = byKey[[2]string{is.source, is.Key}]
	}
	return nil
}

// readIssueTeams sets the teams of the issues (kpi.IssueTeams).
func readIssueTeams(ctx context.Context, w *warehouse.Warehouse, cfg kpi.Config, asOf time.Time, issues []*issue) error {
	byKey, err := kpi.IssueTeams(ctx, w, cfg, asOf)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	for _, is := range issues {
		is.teams = byKey[is.Key]
	}
	return nil
}
