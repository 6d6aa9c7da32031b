package kpi

import (
	"slices"
	"strings"
)

// RAG statuses (the exporter's pmo_kpi_rag uses the same numbers).
const (
	ragGreen = 0
	ragAmber = 1
	ragRed   = 2
)

// ragComponents are the portfolio RAG components (kpis.md X1) in order.
var ragComponents = []string{"schedule", "cost", "delivery", "quality", "risk", "hygiene"}

// DefaultRAGWeights are the default component weights of portfolio_rag.
func DefaultRAGWeights() map[string]float64 {
	return map[string]float64{"schedule": 0.25, "cost": 0.25, "delivery": 0.15, "quality": 0.15, "risk": 0.10, "hygiene": 0.10}
}

// ragResult is the portfolio RAG of one scope.
type ragResult struct {
	Overall       *RAG // nil: no component available
	Score         *float64
	LowConfidence bool
	Components    map[string]*RAG // nil = n/a
}

// portfolioRAG combines component statuses: overall = worst of the
// available components; score = Σ w·v / Σ w over the available ones with
// v(G)=100, v(A)=50, v(R)=0 (a missing component is dropped from the
// weights); low confidence when hygiene is red.
func portfolioRAG(comp map[string]*RAG, weights map[string]float64) ragResult {
	r := ragResult{Components: comp}
	var num, den float64
	for _, name := range ragComponents {
		s := comp[name]
		if s == nil {
			continue
		}
		if r.Overall == nil || *s > *r.Overall {
			r.Overall = ragPtr(*s)
		}
		w := weights[name]
		num += w * float64(100-50*int(*s))
		den += w
	}
	if den > 0 {
		r.Score = fptr(num / den)
	}
	if h := comp["hygiene"]; h != nil && *h == Red {
		r.LowConfidence = true
	}
	return r
}

// ragInputs picks each component's status of one scope from the rated
// values of the snapshot (kpis.md X1 defaults): schedule = SPI, else say/do
// (mean of the scope's boards, rated with the say_do_ratio thresholds),
// else due-date adherence; cost = CPI; delivery = due-date adherence, else
// release_schedule_adherence; quality = escaped defect rate, else reopen
// rate; risk = worst of the K1 red/amber flag statuses; hygiene =
// field_completeness composite. Windowed components use the longest flow
// window. A value without a status (NULL, unrated) is n/a.
func ragInputs(idx map[string]Value, sayDo map[string][]float64, kind, scope, win string, ev Evaluator) map[string]*RAG {
	get := func(kpi, w, labels string) *RAG {
		v, ok := idx[kind+"\x00"+scope+"\x00"+kpi+"\x00"+w+"\x00"+labels]
		if !ok {
			return nil
		}
		return v.RAG
	}
	evm := func(kpi string) *RAG { // effort mode first, then AgileEVM
		if r := get(kpi, "to_date", "variant=effort"); r != nil {
			return r
		}
		return get(kpi, "to_date", "variant=agile")
	}
	comp := map[string]*RAG{}
	set := func(name string, r *RAG) {
		if r != nil {
			comp[name] = r
		}
	}
	dd := get("due_date_adherence", win, "measure=on_time_ratio")
	var sayDoRAG *RAG
	if sd := sayDo[kind+"\x00"+scope]; len(sd) > 0 {
		m := 0.0
		for _, x := range sd {
			m += x
		}
		sayDoRAG = ev.rate("say_do_ratio", Labels{"variant": "points"}, m/float64(len(sd)), nil)
	}
	set("schedule", firstRAG(evm("evm_spi"), sayDoRAG, dd))
	set("cost", evm("evm_cpi"))
	set("delivery", firstRAG(dd, get("release_schedule_adherence", "26w", "measure=on_time_ratio")))
	set("quality", firstRAG(get("escaped_defect_rate", win, ""), get("reopen_rate", win, "")))
	if red := get("risk_exposure", "snapshot", "measure=red_flags"); red != nil {
		r := *red
		if a := get("risk_exposure", "snapshot", "measure=amber_flags"); a != nil && *a > r {
			r = *a
		}
		set("risk", &r)
	}
	set("hygiene", get("field_completeness", win, "field=composite"))
	return comp
}

func firstRAG(rs ...*RAG) *RAG {
	for _, r := range rs {
		if r != nil {
			return r
		}
	}
	return nil
}

// portfolioRAGValues adds portfolio_rag for every scope of the snapshot
// that has flow values; win(kind, scope) is the scope's longest flow window.
func portfolioRAGValues(snap *Snapshot, win func(kind, scope string) (string, map[string]float64), ev func(kind, scope string) Evaluator) {
	idx := map[string]Value{}
	sayDo := map[string][]float64{}
	var scopes []string
	seen := map[string]bool{}
	for _, v := range snap.Values {
		k := v.ScopeKind + "\x00" + v.Scope
		if !seen[k] {
			seen[k] = true
			scopes = append(scopes, k)
		}
		ls := v.Labels.String()
		idx[k+"\x00"+v.KPI+"\x00"+v.Window+"\x00"+ls] = v
		if v.KPI == "say_do_ratio" && v.Labels["board"] != "" && v.Labels["variant"] == "points" && strings.HasPrefix(v.Window, "last") && v.Value != nil {
			sayDo[k] = append(sayDo[k], *v.Value)
		}
	}
	slices.Sort(scopes)
	for _, k := range scopes {
		kind, scope, _ := strings.Cut(k, "\x00")
		w, weights := win(kind, scope)
		if w == "" {
			continue
		}
		comp := ragInputs(idx, sayDo, kind, scope, w, ev(kind, scope))
		r := portfolioRAG(comp, weights)
		n := uint64(0)
		for _, s := range comp {
			if s != nil {
				n++
			}
		}
		add := func(l Labels, v *float64) {
			snap.Values = append(snap.Values, Value{ScopeKind: kind, Scope: scope, KPI: "portfolio_rag", Window: "snapshot", Labels: l, Value: v, N: n})
		}
		var overall *float64
		if r.Overall != nil {
			overall = fptr(float64(*r.Overall))
		}
		add(Labels{"measure": "rag"}, overall)
		add(Labels{"measure": "score"}, r.Score)
		lc := 0.0
		if r.LowConfidence {
			lc = 1
		}
		add(Labels{"measure": "low_confidence"}, fptr(lc))
		for _, name := range ragComponents {
			var v *float64
			if s := comp[name]; s != nil {
				v = fptr(float64(*s))
			}
			add(Labels{"component": name}, v)
		}
	}
}
