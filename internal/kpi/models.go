package kpi

import (
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Relation models: the KPI engine's queries, one SQL file per building
// block or KPI family under models/ ("-- model NAME: what it is" followed by
// one SELECT). A model selects from another with {{name}}, which stands for
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

// modelSource is where a relation model is defined.
type modelSource struct{ file, sql string }

var relationModels = sync.OnceValues(func() (map[string]modelSource, error) {
	out := map[string]modelSource{}
	files, err := fs.Glob(modelFiles, "models/*.sql")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := modelFiles.ReadFile(f)
		if err != nil {
			return nil, err
		}
		m, err := parseModel(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for name, q := range m.models {
			if prev, dup := out[name]; dup {
				return nil, fmt.Errorf("kpi model %s is defined in %s and %s", name, prev.file, f)
			}
			out[name] = modelSource{file: f, sql: q}
		}
	}
	return out, nil
})

var modelRef = regexp.MustCompile(`\{\{([a-z_0-9]+)\}\}`)

// modelSQL renders relation model name: each {{ref}} becomes rels[ref] when
// the caller has it (a materialized table), else the referenced model's
// rendered SELECT in parentheses; then the {param}s are bound from params.
func modelSQL(name string, rels map[string]string, params map[string]any) (string, error) {
	ms, err := relationModels()
	if err != nil {
		return "", err
	}
	text, err := expandModel(ms, name, rels, nil)
	if err != nil {
		return "", err
	}
	q, err := warehouse.BindNamed(text, params)
	if err != nil {
		return "", fmt.Errorf("kpi: model %s (%s): %w", name, ms[name].file, err)
	}
	return q, nil
}

func expandModel(ms map[string]modelSource, name string, rels map[string]string, stack []string) (string, error) {
	if slices.Contains(stack, name) {
		return "", fmt.Errorf("kpi: model %s refers to itself through %s", name, strings.Join(stack, " → "))
	}
	m, ok := ms[name]
	if !ok {
		return "", fmt.Errorf("kpi: no model %q in models/*.sql", name)
	}
	var err error
	out := modelRef.ReplaceAllStringFunc(m.sql, func(ref string) string {
		r := ref[2 : len(ref)-2]
		if t, ok := rels[r]; ok {
			return t
		}
		sub, e := expandModel(ms, r, rels, append(stack, name))
		if e != nil && err == nil {
			err = e
		}
		return "(" + strings.TrimSpace(sub) + ")"
	})
	return out, err
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
		"tz":                  s.TZ,
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
