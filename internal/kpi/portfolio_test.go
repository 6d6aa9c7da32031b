package kpi

import (
	"testing"
)

// The portfolio RAG moves as its components cross their thresholds; a
// missing component is n/a and dropped from the weights.
func TestPortfolioRAGTransitions(t *testing.T) {
	idx := map[string]Value{}
	const k = "project\x00jira/X\x00"
	ev := NewEvaluator(nil)
	set := func(kpi, win, labels string, v float64) {
		val := Value{ScopeKind: "project", Scope: "jira/X", KPI: kpi, Window: win, Labels: ParseLabels(labels), Value: fptr(v)}
		val.RAG = ev.Rate(val, nil)
		idx[k+kpi+"\x00"+win+"\x00"+labels] = val
	}
	set("evm_spi", "to_date", "variant=agile", 1.0)
	set("evm_cpi", "to_date", "variant=agile", 0.97)
	set("due_date_adherence", "12w", "measure=on_time_ratio", 0.95)
	set("escaped_defect_rate", "12w", "", 0.02)
	set("risk_exposure", "snapshot", "measure=red_flags", 0)
	set("risk_exposure", "snapshot", "measure=amber_flags", 0)
	set("field_completeness", "12w", "field=composite", 0.95)
	eval := func() ragResult {
		return portfolioRAG(ragInputs(idx, nil, "project", "jira/X", "12w", ev), DefaultRAGWeights())
	}
	steps := []struct {
		name    string
		change  func()
		rag     RAG
		score   float64
		lowConf bool
	}{
		{"all green", func() {}, ragGreen, 100, false},
		{"delivery crosses 0.90 → amber", func() { set("due_date_adherence", "12w", "measure=on_time_ratio", 0.85) }, ragAmber, 100 - 0.15*50, false},
		{"SPI below 0.90 → red", func() { set("evm_spi", "to_date", "variant=agile", 0.85) }, ragRed, (0.25*100 + 0.15*50 + 0.15*100 + 0.10*100 + 0.10*100), false},
		{"SPI back, hygiene red → low confidence", func() {
			set("evm_spi", "to_date", "variant=agile", 1.0)
			set("field_completeness", "12w", "field=composite", 0.5)
		}, ragRed, 0.25*100 + 0.25*100 + 0.15*50 + 0.15*100 + 0.10*100, true},
		{"cost missing → n/a, dropped from the weights", func() {
			delete(idx, k+"evm_cpi\x00to_date\x00variant=agile")
			set("field_completeness", "12w", "field=composite", 0.95)
		}, ragAmber, (0.25*100 + 0.15*50 + 0.15*100 + 0.10*100 + 0.10*100) / 0.75, false},
	}
	for _, s := range steps {
		s.change()
		r := eval()
		if r.Overall == nil || *r.Overall != s.rag || r.Score == nil || *r.Score-s.score > 1e-9 || s.score-*r.Score > 1e-9 || r.LowConfidence != s.lowConf {
			t.Errorf("%s: rag %v score %v low confidence %v; want %d %v %v", s.name, deref(r.Overall), deref(r.Score), r.LowConfidence, s.rag, s.score, s.lowConf)
		}
	}
	if c := eval().Components["cost"]; c != nil {
		t.Errorf("missing cost component = %d, want n/a", *c)
	}
}
