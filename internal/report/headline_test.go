package report

import (
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
)

// TestHeadlinesUseStoredRAG: the RAG table shows the status the engine
// stored with the value (here a project override made a 5 % reopen rate
// green, amber under the catalog), and the rule text is the scope's band.
func TestHeadlinesUseStoredRAG(t *testing.T) {
	asOf := time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC)
	cfg := kpi.DefaultConfig()
	cfg.Scopes = []kpi.ScopeConfig{{Kind: kpi.ScopeProject, Name: "PAY", Knobs: kpi.Knobs{Thresholds: map[string][]kpi.ThresholdBand{
		"reopen_rate": {{Green: "≤ 0.05", Amber: "0.05–0.2", Red: "> 0.2"}},
	}}}}
	snap := kpi.Snapshot{AsOf: asOf}
	for _, scope := range []string{"jira/PAY", "jira/OPS"} {
		snap.Values = append(snap.Values,
			kpi.Value{ScopeKind: kpi.ScopeProject, Scope: scope, KPI: "reopen_rate", Window: "4w", Labels: kpi.Labels{}, Value: ptr(0.05), N: 20},
			kpi.Value{ScopeKind: kpi.ScopeProject, Scope: scope, KPI: "wip", Window: "snapshot", Labels: kpi.Labels{"measure": "count"}, Value: ptr(7.0), N: 7})
	}
	cfg.Rate(&snap)
	for _, c := range []struct {
		scope, rag, rule string
	}{
		{"jira/PAY", "green", "green ≤ 0.05, amber 0.05–0.2, red > 0.2 (kpi.thresholds)"},
		{"jira/OPS", "amber", "green < 0.02, amber 0.02–0.10, red ≥ 0.10 (SRC)"},
	} {
		s := &Scope{Kind: kpi.ScopeProject, Name: c.scope}
		rs := rows(headlines, s, snap, nil, cfg.Evaluator(s.Kind, s.Name, "", ""))
		for _, r := range rs {
			switch r.ID {
			case "reopen_rate":
				if string(r.RAG) != c.rag || r.Rule != c.rule {
					t.Errorf("%s reopen_rate: RAG %q rule %q; want %q, %q", c.scope, r.RAG, r.Rule, c.rag, c.rule)
				}
			case "wip":
				if r.RAG != Unrated || !strings.HasPrefix(r.Rule, "not rated") {
					t.Errorf("%s wip: RAG %q rule %q; want unrated", c.scope, r.RAG, r.Rule)
				}
			}
		}
	}
	// A value stored without a RAG (unrated, e.g. before migration 104)
	// is shown unrated, not re-rated by the report.
	snap.Values[0].RAG = nil
	rs := rows(headlines, &Scope{Kind: kpi.ScopeProject, Name: "jira/PAY"}, snap, nil, kpi.NewEvaluator(nil))
	for _, r := range rs {
		if r.ID == "reopen_rate" && r.RAG != Unrated {
			t.Errorf("reopen_rate without a stored RAG shows %q", r.RAG)
		}
	}
}

// TestHealthFromPortfolioRAG: a scope's overall status is the engine's
// portfolio_rag (worst of the components, with n/a components, score and
// low confidence), not a rule of the report's own; a snapshot without
// portfolio_rag falls back to the headline cards.
func TestHealthFromPortfolioRAG(t *testing.T) {
	pr := func(labels kpi.Labels, x *float64) kpi.Value {
		return kpi.Value{ScopeKind: kpi.ScopeProject, Scope: "jira/PAY", KPI: "portfolio_rag", Window: "snapshot", Labels: labels, Value: x}
	}
	snap := kpi.Snapshot{Values: []kpi.Value{
		pr(kpi.Labels{"measure": "rag"}, ptr(1.0)),
		pr(kpi.Labels{"measure": "score"}, ptr(62.5)),
		pr(kpi.Labels{"measure": "low_confidence"}, ptr(1.0)),
		pr(kpi.Labels{"component": "schedule"}, ptr(0.0)),
		pr(kpi.Labels{"component": "cost"}, nil), // n/a: no EVM inputs
		pr(kpi.Labels{"component": "delivery"}, ptr(1.0)),
		pr(kpi.Labels{"component": "quality"}, ptr(0.0)),
		pr(kpi.Labels{"component": "risk"}, ptr(0.0)),
		pr(kpi.Labels{"component": "hygiene"}, ptr(2.0)),
	}}
	got, h := health(&Scope{Kind: kpi.ScopeProject, Name: "jira/PAY"}, snap)
	if got != Amber || !h.FromEngine || h.Score == nil || *h.Score != 62.5 || !h.LowConfidence {
		t.Errorf("health = %s %+v, want amber from the engine, score 62.5, low confidence", got, h)
	}
	want := []HealthComponent{{"schedule", Green}, {"cost", Unrated}, {"delivery", Amber}, {"quality", Green}, {"risk", Green}, {"hygiene", Red}}
	if len(h.Components) != len(want) {
		t.Fatalf("components %+v, want %+v", h.Components, want)
	}
	for i, c := range want {
		if h.Components[i] != c {
			t.Errorf("component %d = %+v, want %+v", i, h.Components[i], c)
		}
	}
	if got, h := health(&Scope{Kind: kpi.ScopeProject, Name: "jira/OPS"}, snap); got != Unrated || h.FromEngine {
		t.Errorf("a scope without portfolio_rag: %s %+v, want the fallback", got, h)
	}
}
