package kpi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
)

// ErrNoData: the warehouse holds no issue created before the as-of asked
// for (or none at all).
var ErrNoData = errors.New("no data")

// Match reports whether the scope kind:name passes the filter (a project
// also by its key without the source prefix).
func (f ScopeFilter) Match(kind, name string) bool {
	return f.match(scopeRef{Kind: kind, Name: name})
}

// Holds reports whether the scope f selects an issue of project
// ("source/KEY") in program that belongs to teams (kpi.teams, from
// IssueTeams): the portfolio (or no kind) holds every issue, a source its
// projects, a program its projects, a project itself (KEY or source/KEY),
// a team its members. An empty name holds every scope of the kind (every
// team: an issue of any team).
func (f ScopeFilter) Holds(project, program string, teams []string) bool {
	source, _, _ := strings.Cut(project, "/")
	switch f.Kind {
	case "", ScopePortfolio:
		return true
	case ScopeSource:
		return f.Name == "" || f.Name == source
	case ScopeProgram:
		return f.Name == "" || f.Name == program
	case ScopeProject:
		return f.Match(ScopeProject, project)
	case ScopeTeam:
		if f.Name == "" {
			return len(teams) > 0
		}
		return slices.Contains(teams, f.Name)
	}
	return false
}

// String is the filter as written: "", "program", "project:ALPHA".
func (f ScopeFilter) String() string {
	if f.Name == "" {
		return f.Kind
	}
	return f.Kind + ":" + f.Name
}

// ScopeName is how a scope is written on the command line: "portfolio",
// "program:Core", "project:jira/ALPHA".
func ScopeName(kind, name string) string {
	if kind == ScopePortfolio {
		return ScopePortfolio
	}
	return kind + ":" + name
}

// Scopes lists every scope with issues created before asOf, as ScopeName
// writes them: the portfolio, then sources, programs and projects (teams:
// ConfigScopes).
func Scopes(ctx context.Context, w *warehouse.Warehouse, asOf time.Time) ([]string, error) {
	return ConfigScopes(ctx, w, Config{}, asOf)
}

// ConfigScopes is Scopes with the teams of cfg (kpi.teams) that hold
// issues created before asOf, after the projects, in config order.
func ConfigScopes(ctx context.Context, w *warehouse.Warehouse, cfg Config, asOf time.Time) ([]string, error) {
	teams, err := scopeTeams(ctx, w, cfg, asOf)
	if err != nil {
		return nil, err
	}
	q, err := scopeProjectsSQL(asOf)
	if err != nil {
		return nil, err
	}
	rows, err := w.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("kpi: listing scopes: %w", err)
	}
	defer rows.Close()
	out := []string{ScopePortfolio}
	var sources, programs, projects []string
	seen := map[string]bool{}
	add := func(list *[]string, kind, name string) {
		if name != "" && !seen[kind+":"+name] {
			seen[kind+":"+name] = true
			*list = append(*list, ScopeName(kind, name))
		}
	}
	for rows.Next() {
		var src, key, prog string
		if err := rows.Scan(&src, &key, &prog); err != nil {
			return nil, fmt.Errorf("kpi: listing scopes: %w", err)
		}
		add(&sources, ScopeSource, src)
		add(&programs, ScopeProgram, prog)
		add(&projects, ScopeProject, src+"/"+key)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("kpi: listing scopes: %w", err)
	}
	out = append(append(append(out, sources...), programs...), projects...)
	for _, t := range teams {
		out = append(out, ScopeName(ScopeTeam, t))
	}
	return out, nil
}

// scopeTeams lists the teams of cfg with issues created before asOf, in
// config order (none without kpi.teams: no query).
func scopeTeams(ctx context.Context, w *warehouse.Warehouse, cfg Config, asOf time.Time) ([]string, error) {
	if len(cfg.Teams) == 0 {
		return nil, nil
	}
	params := teamParams(cfg.Teams, cfg.MultiTeam)
	params["as_of"] = asOf.UTC()
	q, err := modelSQL("scope_teams", nil, params)
	if err != nil {
		return nil, err
	}
	rows, err := w.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("kpi: listing the teams of kpi.teams: %w", err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("kpi: listing the teams of kpi.teams: %w", err)
		}
		have[t] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("kpi: listing the teams of kpi.teams: %w", err)
	}
	var out []string
	for _, t := range cfg.Teams {
		if have[t.Name] {
			out = append(out, t.Name)
		}
	}
	return out, nil
}

// CheckScope returns nil when the filter matches one of the known scopes
// (or selects everything), else an ErrNoScope error that names the scope
// and lists the known ones: the one message of pmo kpi, report, email and
// explain for a scope that is not there.
func CheckScope(f ScopeFilter, known []string, asOf time.Time) error {
	if f.Kind == "" || f.Kind == ScopePortfolio {
		return nil
	}
	for _, k := range known {
		kind, name, _ := strings.Cut(k, ":")
		if f.Match(kind, name) {
			return nil
		}
	}
	return NoScopeError(f.String(), known, asOf)
}

// NoScopeError is the ErrNoScope error for scope: it lists the known
// scopes (the first 15 and how many in all).
func NoScopeError(scope string, known []string, asOf time.Time) error {
	list := known
	more := ""
	if len(list) > 15 {
		list, more = list[:15], fmt.Sprintf(" … (%d in all)", len(known))
	}
	when := ""
	if !asOf.IsZero() {
		when = " with issues created before " + asOf.Format(time.DateOnly)
	}
	return fmt.Errorf("%w %q%s; known scopes: %s%s", ErrNoScope, scope, when, strings.Join(list, ", "), more)
}

// FirstData returns when the warehouse's first issue was created; ok is
// false when it holds none.
func FirstData(ctx context.Context, w *warehouse.Warehouse) (first time.Time, ok bool, err error) {
	rows, err := w.Query(ctx, "SELECT toInt64(count()), toInt64(min(created)) FROM v_issues")
	if err != nil {
		return time.Time{}, false, fmt.Errorf("kpi: reading the first issue's creation: %w", err)
	}
	defer rows.Close()
	var n, sec int64
	if rows.Next() {
		if err := rows.Scan(&n, &sec); err != nil {
			return time.Time{}, false, fmt.Errorf("kpi: reading the first issue's creation: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return time.Time{}, false, fmt.Errorf("kpi: reading the first issue's creation: %w", err)
	}
	if n == 0 {
		return time.Time{}, false, nil
	}
	return time.Unix(sec, 0).UTC(), true, nil
}

// CheckAsOf returns an ErrNoData error when no issue was created before
// asOf: the message names the first data day (in loc) to use instead.
func CheckAsOf(ctx context.Context, w *warehouse.Warehouse, asOf time.Time, loc *time.Location) error {
	first, ok, err := FirstData(ctx, w)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: the warehouse holds no issues yet; run pmo collect first", ErrNoData)
	}
	if !first.Before(asOf) {
		day := first.In(loc)
		return fmt.Errorf("%w before %s (the warehouse's first issue was created then): as of %s there is nothing to report; use a date after %s",
			ErrNoData, day.Format(time.DateOnly), asOf.In(loc).Format(time.DateOnly), day.Format(time.DateOnly))
	}
	return nil
}
