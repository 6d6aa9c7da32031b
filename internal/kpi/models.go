package kpi

import (
	"embed"
	"maps"
	"sync"
	"time"

	"github.com/pmo-oss/pmo/internal/sqlmodel"
)

// Relation models: the KPI engine's queries, one SQL file per building
// block or KPI family under models/ ("-- model NAME: what it is" followed by
// one SELECT; read by internal/sqlmodel). A model selects from another with {{name}}, which stands for
// that model's relation — its own SELECT in parentheses, or the table the
// engine materialized it into — and takes its parameters as {name}, bound
// as literals by warehouse.BindNamed: values are never spliced into SQL as
// text. Go code only names a model, the relations it materialized and the
// parameters (modelSQL); `pmo kpi sql` prints the result.
//
// The models speak the tracker-neutral vocabulary of internal/model: they
// select history by change_kind (model.ChangeKind; TestRelationModels
// checks every kind they name), never by a tracker's field names; a change's
// value is `from`/`to` when set, else from_string/to_string (the model's
// contract); and changes are taken in history order: the instant, then the
// tracker's change id as a number (ids are sequence numbers in Jira, GitHub,
// GitLab and Redmine; without it two changes of one issue in the same second
// would be taken in whatever order the rows come in), then the item.

//go:embed models/*.sql
var modelFiles embed.FS

var relationModels = sync.OnceValues(func() (*sqlmodel.Set, error) { return sqlmodel.Load("kpi", modelFiles, "models/*.sql") })

// modelSQL renders relation model name: each {{ref}} becomes rels[ref] when
// the caller has it (a materialized table), else the referenced model's
// rendered SELECT in parentheses; then the {param}s are bound from params
// (sqlmodel.Set.SQL).
func modelSQL(name string, rels map[string]string, params map[string]any) (string, error) {
	ms, err := relationModels()
	if err != nil {
		return "", err
	}
	if names, ok := params["team_names"].([]string); ok && len(names) == 0 && rels["issue_team_match"] == "" {
		// Without kpi.teams no issue has a team: {{issue_team_match}} is
		// then model issue_team_match_none (no board join, no selector
		// matching).
		none, err := ms.Expand("issue_team_match_none", rels)
		if err != nil {
			return "", err
		}
		rels = maps.Clone(rels)
		if rels == nil {
			rels = map[string]string{}
		}
		rels["issue_team_match"] = "(" + none + ")"
	}
	return ms.SQL(name, rels, params)
}

// modelParams are the parameters every model takes from the scope settings
// at as_of (see the header of models/lifecycle.sql).
func (s settings) modelParams(asOf time.Time) map[string]any {
	startFirst := 0
	if s.StartPolicy == "first" {
		startFirst = 1
	}
	params := map[string]any{
		"as_of":               asOf.UTC(),
		"as_of_s":             asOf.Unix(),
		"start_first":         startFirst,
		"active_ids":          s.ActiveStatusIDs,
		"cc_ids":              s.CycleTimeStatusIDs,
		"flow_types":          s.FlowItemTypes,
		"bug_types":           s.BugTypes,
		"escaped_types":       s.EscapedTypes,
		"escaped_labels":      s.EscapedLabels,
		"escaped_envs":        lower(s.EscapedEnvironments),
		"discard_resolutions": s.DiscardResolutions,
		"defect_link_types":   s.DefectLinkTypes,
		"blocking_types":      s.BlockingLinkTypes,
		"k_portfolio":         ScopePortfolio,
		"k_source":            ScopeSource,
		"k_program":           ScopeProgram,
		"k_project":           ScopeProject,
	}
	teams := s.teams
	if teams == nil {
		teams = teamParams(nil, false)
	}
	maps.Copy(params, teams)
	zp := s.zoneParams
	if zp == nil {
		zp, _ = Config{TZ: s.TZ}.zoneParams(s.zonePlan())
	}
	maps.Copy(params, zp)
	return params
}

// model renders relation model name for this computation: the lifecycle
// and planning source it derived stand for {{lifecycle}} and
// {{planning_source}}; the parameters are the settings' at as_of and extra.
func (c *computation) model(name string, extra map[string]any) (string, error) {
	return c.modelWith(name, nil, extra)
}

// modelWith is model with more relations given by the caller.
func (c *computation) modelWith(name string, given map[string]string, extra map[string]any) (string, error) {
	rels := maps.Clone(given)
	if rels == nil {
		rels = map[string]string{}
	}
	if c.lc != "" {
		rels["lifecycle"] = "(" + c.lc + ")"
	}
	if c.plan != "" {
		rels["planning_source"] = "(" + c.plan + ")"
	}
	return modelSQL(name, rels, withParams(c.s.modelParams(c.asOf), extra))
}

// keepParams are the {keep_all} and {keep} parameters of the scopes this
// computation computes (keep_all when it computes every scope).
func (c *computation) keepParams() map[string]any {
	all := 0
	if c.keep == nil {
		all = 1
	}
	return map[string]any{"keep_all": all, "keep": c.keep}
}

// withParams returns params with extra added (params is not changed).
func withParams(params map[string]any, extra map[string]any) map[string]any {
	out := maps.Clone(params)
	maps.Copy(out, extra)
	return out
}
