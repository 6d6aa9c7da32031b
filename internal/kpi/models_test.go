package kpi

import (
	"maps"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
)

// modelExtras are the parameters of the relation models beyond the
// settings' (modelParams), with sample values.
var modelExtras = map[string]any{
	"in_texts": []string{"is blocked by"}, "out_texts": []string{"blocks"},
	"version_keys": []string{"4:jira10"}, "version_tbs": []int64{0},
	"samples": []int64{1, 2}, "n_samples": 2, "zone_key": int64(1 << 40), "earliest": int64(0), "keep_all": 0, "keep": []string{"project:jira/A"},
	"w_from": time.Unix(0, 0), "w_to": time.Unix(86400, 0),
	"scope": "jira/A", "baseline": "v1", "baseline_at": time.Unix(0, 0), "created_at": time.Unix(0, 0), "version": uint64(1),
	"e_day": int64(20000), "end": time.Unix(86400, 0), "risk_types": []string{"Risk"},
	"h_lo": int64(19900), "prio_sep": prioSep, "severity_names": []string{"", "High"}, "severity_weights": []float64{0, 3},
	"high_w": 3.0, "top_w": 5.0, "stale_s": int64(14 * 86400), "keys": []string{"PAY-1"}, "status_ids": 0,
}

// callerRelations are the relations some models leave to their caller (a
// model's rows cut to a scope, and the rows to cut).
var callerRelations = map[string]string{"rows": "(SELECT 1)", "scoped": "(SELECT 1)", "ready": "(1)"}

// TestRelationModels: every model of models/*.sql renders with the
// settings' parameters and the extras above — no placeholder, reference or
// parameter left over — and the change kinds the models name are the
// vocabulary's (model.ChangeKind), so a typo cannot silently select nothing.
func TestRelationModels(t *testing.T) {
	ms, err := relationModels()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms.Names()) < 10 {
		t.Fatalf("only %d relation models found", len(ms.Names()))
	}
	asOf := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	s, err := DefaultConfig().resolve(ScopePortfolio, "all", "", "")
	if err != nil {
		t.Fatal(err)
	}
	// The aggregate models read the populations' sets and values, bound
	// with the populations' parameters.
	pop, err := (&computation{s: s, asOf: asOf}).population(trailingWeeks(asOf, 4, s.loc), sleDays{})
	if err != nil {
		t.Fatal(err)
	}
	rels, err := popRelations()
	if err != nil {
		t.Fatal(err)
	}
	maps.Copy(rels, callerRelations)
	params := withParams(withParams(s.modelParams(asOf), pop.params), modelExtras)
	used := map[string]bool{}
	kindLit := regexp.MustCompile(`change_kind (?:= ('[^']*')|IN \(([^)]*)\))`)
	known := map[string]bool{}
	for _, k := range model.ChangeKinds {
		known[string(k)] = true
	}
	for _, name := range ms.Names() {
		text, _ := ms.Text(name)
		q, err := modelSQL(name, rels, params)
		if err != nil {
			t.Errorf("model %s: %v", name, err)
			continue
		}
		if strings.Contains(q, "{{") || regexp.MustCompile(`\{[a-z_0-9]+\}`).MatchString(q) {
			t.Errorf("model %s: a placeholder is left after rendering:\n%s", name, q)
		}
		for p := range params {
			if strings.Contains(text, "{"+p+"}") {
				used[p] = true
			}
		}
		for _, m := range kindLit.FindAllStringSubmatch(text, -1) {
			for _, lit := range strings.Split(m[1]+m[2], ",") {
				k := strings.Trim(strings.TrimSpace(lit), "'")
				if !known[k] {
					t.Errorf("model %s selects change_kind %q, which is not a model.ChangeKind", name, k)
				}
			}
		}
	}
	for p := range modelExtras {
		if !used[p] {
			t.Errorf("parameter %s is in modelExtras but no model reads it", p)
		}
	}
}
