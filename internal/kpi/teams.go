package kpi

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Team is one entry of kpi.teams: a named set of boards, projects,
// components and assignees (any mix). An issue belongs to the team when it
// matches any of its selectors: its project (source/KEY or KEY), one of its
// components, its assignee (id or name), or a board (id or name) that holds
// one of its sprints or whose project is the issue's project.
type Team struct {
	Name       string   `yaml:"name"`
	Boards     []string `yaml:"boards,omitempty"`
	Projects   []string `yaml:"projects,omitempty"`
	Components []string `yaml:"components,omitempty"`
	Assignees  []string `yaml:"assignees,omitempty"`
	// Program is the program the team rolls up to on the report (its
	// page is linked from the program's); optional.
	Program string `yaml:"program,omitempty"`
}

// ScopeTeam is the team scope kind (kpi.teams).
const ScopeTeam = "team"

// Selector kinds of a team, in the order a team's selectors are tried.
const (
	selProject   = "project"
	selComponent = "component"
	selAssignee  = "assignee"
	selBoard     = "board"
)

func (t Team) selectors() [][2]string {
	var out [][2]string
	for _, l := range []struct {
		kind string
		vals []string
	}{{selProject, t.Projects}, {selComponent, t.Components}, {selAssignee, t.Assignees}, {selBoard, t.Boards}} {
		for _, v := range l.vals {
			out = append(out, [2]string{l.kind, v})
		}
	}
	return out
}

// teamParams are the lifecycle model's team parameters: the team names
// and their selectors as parallel arrays (sel_team is the 1-based index of
// the team in team_names), in config order, so the first matching team is
// the first of the issue's matches.
func teamParams(teams []Team, multi bool) map[string]any {
	names := []string{}
	selTeam := []int64{}
	selKind, selValue := []string{}, []string{}
	boards := 0
	for i, t := range teams {
		names = append(names, t.Name)
		for _, s := range t.selectors() {
			selTeam = append(selTeam, int64(i+1))
			selKind = append(selKind, s[0])
			selValue = append(selValue, s[1])
			if s[0] == selBoard {
				boards = 1
			}
		}
	}
	m := 0
	if multi {
		m = 1
	}
	return map[string]any{
		"k_team":     ScopeTeam,
		"team_names": names,
		"sel_team":   selTeam,
		"sel_kind":   selKind,
		"sel_value":  selValue,
		"has_boards": boards,
		"multi_team": m,
	}
}

// validateTeams checks kpi.teams: names present and unique, each team with
// at least one selector, no empty selector.
func (c Config) validateTeams() []error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	seen := map[string]int{}
	for i, t := range c.Teams {
		p := fmt.Sprintf("kpi.teams[%d]", i)
		switch {
		case strings.TrimSpace(t.Name) == "":
			add("%s.name: missing; name the team (it is the scope team:NAME and the /metrics label team)", p)
		case strings.ContainsAny(t.Name, ":,"):
			add("%s.name: %q contains ':' or ','; a team name is written team:NAME on the command line", p, t.Name)
		}
		if j, dup := seen[t.Name]; dup && t.Name != "" {
			add("%s.name: %q is also kpi.teams[%d].name; team names must be unique", p, t.Name, j)
		}
		seen[t.Name] = i
		if len(t.selectors()) == 0 {
			add("%s: selects no issue; give boards, projects, components or assignees", p)
		}
		for _, l := range []struct {
			key  string
			vals []string
		}{{"projects", t.Projects}, {"components", t.Components}, {"assignees", t.Assignees}, {"boards", t.Boards}} {
			for k, v := range l.vals {
				if strings.TrimSpace(v) == "" {
					add("%s.%s[%d]: empty", p, l.key, k)
				}
			}
		}
	}
	return errs
}

// TeamWarnings are what pmo config check warns about kpi.teams: without
// kpi.multi_team an issue belongs to the first team that matches it, so
// two teams that can select the same issue are named with the selectors
// they share (or that may overlap: a project and a component, assignee or
// board of another team).
func (c Config) TeamWarnings() []string {
	out := c.teamZoneWarnings()
	if c.MultiTeam {
		return out
	}
	for i, a := range c.Teams {
		for j := i + 1; j < len(c.Teams); j++ {
			b := c.Teams[j]
			for _, sa := range a.selectors() {
				for _, sb := range b.selectors() {
					switch {
					case sa == sb:
						out = append(out, fmt.Sprintf("kpi.teams: %q and %q both select %s %q; an issue belongs to the first, %q (set kpi.multi_team: true to count it in both)",
							a.Name, b.Name, sa[0], sa[1], a.Name))
					case sa[0] == selProject && sb[0] != selProject, sb[0] == selProject && sa[0] != selProject:
						out = append(out, fmt.Sprintf("kpi.teams: %q (%s %q) and %q (%s %q) may share issues; an issue that matches both belongs to the first, %q (set kpi.multi_team: true to count it in both)",
							a.Name, sa[0], sa[1], b.Name, sb[0], sb[1], a.Name))
					}
				}
			}
		}
	}
	return slices.Compact(out)
}

// teamZoneWarnings: every issue counts its days in one zone (kpis.md C1,
// models/lifecycle.sql: its first team's, else its project's). With
// kpi.multi_team an issue two teams share counts them in the first team's
// zone in both; when the teams report in different zones, it says so.
func (c Config) teamZoneWarnings() []string {
	if !c.MultiTeam {
		return nil
	}
	var out []string
	for i, a := range c.Teams {
		za := c.resolveZone(ScopeTeam, a.Name)
		for _, b := range c.Teams[i+1:] {
			if zb := c.resolveZone(ScopeTeam, b.Name); zb != za {
				out = append(out, fmt.Sprintf("kpi.teams: %q reports in %s, %q in %s: an issue both select (kpi.multi_team) counts its days (windows, daily WIP, day counts) in the first team's zone, %s, in both teams (kpis.md C1: one team = one tz)",
					a.Name, za, b.Name, zb, za))
			}
		}
	}
	return out
}

// team returns the team named name.
func (c Config) team(name string) (Team, bool) {
	for _, t := range c.Teams {
		if t.Name == name {
			return t, true
		}
	}
	return Team{}, false
}

// TeamPrograms maps each team of kpi.teams to its program ("" when the
// team names none), for the program label of the team's /metrics series.
func (c Config) TeamPrograms() map[string]string {
	out := make(map[string]string, len(c.Teams))
	for _, t := range c.Teams {
		out[t.Name] = t.Program
	}
	return out
}

// IssueTeams maps the key of each issue created before asOf that belongs
// to a team of cfg (kpi.teams) to its teams, for the report's team pages;
// nil without kpi.teams (no query).
func IssueTeams(ctx context.Context, w *warehouse.Warehouse, cfg Config, asOf time.Time) (map[string][]string, error) {
	if len(cfg.Teams) == 0 {
		return nil, nil
	}
	params := teamParams(cfg.Teams, cfg.MultiTeam)
	params["as_of"] = asOf.UTC()
	q, err := modelSQL("issue_team_keys", nil, params)
	if err != nil {
		return nil, err
	}
	rows, err := w.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("kpi: reading the issues of kpi.teams: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var key string
		var teams []string
		if err := rows.Scan(&key, &teams); err != nil {
			return nil, fmt.Errorf("kpi: reading the issues of kpi.teams: %w", err)
		}
		out[key] = teams
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("kpi: reading the issues of kpi.teams: %w", err)
	}
	return out, nil
}

// IssueTeamsSQL returns the SQL of the teams (kpi.teams) of each issue
// created before asOf that has one (columns source, key, teams), as
// IssueTeams reads them; "" without kpi.teams.
func IssueTeamsSQL(cfg Config, asOf time.Time) (string, error) {
	if len(cfg.Teams) == 0 {
		return "", nil
	}
	params := teamParams(cfg.Teams, cfg.MultiTeam)
	params["as_of"] = asOf.UTC()
	return modelSQL("issue_team_refs", nil, params)
}

// teamSprintValues copies the sprint values of r's board, snap.Values[from:],
// to every team that selects the board (kpi.teams[].boards, id or name): a
// team owns the sprints of its boards.
func teamSprintValues(snap *Snapshot, cfg Config, r SprintReport, from int) {
	end := len(snap.Values)
	for _, t := range cfg.Teams {
		if !t.ownsBoard(r) {
			continue
		}
		for _, v := range snap.Values[from:end] {
			v.ScopeKind, v.Scope = ScopeTeam, t.Name
			v.Labels = maps.Clone(v.Labels)
			snap.Values = append(snap.Values, v)
		}
	}
}

// ownsBoard: a team owns the sprints of its boards (id or name).
func (t Team) ownsBoard(r SprintReport) bool {
	return slices.ContainsFunc(t.Boards, func(b string) bool { return b == r.BoardID || b == r.Board })
}

// teamSprintReports are the sprint reports of the boards of team name.
func teamSprintReports(ctx context.Context, w *warehouse.Warehouse, cfg Config, asOf time.Time, name string) ([]SprintReport, error) {
	t, ok := cfg.team(name)
	if !ok || len(t.Boards) == 0 {
		return nil, nil
	}
	reps, err := SprintReports(ctx, w, cfg, asOf, ScopeFilter{})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(reps, func(r SprintReport) bool { return !t.ownsBoard(r) }), nil
}

// computeTeamSprints is computeSprints for a team:NAME filter: a team's
// sprints are its boards' (any project's), so every board is computed and
// the team's values kept.
func computeTeamSprints(ctx context.Context, w *warehouse.Warehouse, cfg Config, asOf time.Time, f ScopeFilter, snap *Snapshot) error {
	var all Snapshot
	if err := computeSprints(ctx, w, cfg, asOf, ScopeFilter{}, &all); err != nil {
		return err
	}
	for _, v := range all.Values {
		if f.Match(v.ScopeKind, v.Scope) {
			snap.Values = append(snap.Values, v)
		}
	}
	snap.Checks = append(snap.Checks, all.Checks...)
	return nil
}
