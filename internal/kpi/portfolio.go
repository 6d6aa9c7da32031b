package kpi

import (
	"context"
	"fmt"
	"slices"
	"strconv"
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
	comp, _ := ragInputsFrom(idx, sayDo, kind, scope, win, ev)
	return comp
}

// ragKPIs are the KPIs ragInputsFrom reads (say/do comes from ragIndex's
// sayDo): ragIndex indexes only their values.
var ragKPIs = map[string]bool{"evm_spi": true, "evm_cpi": true, "due_date_adherence": true, "release_schedule_adherence": true,
	"escaped_defect_rate": true, "reopen_rate": true, "risk_exposure": true, "field_completeness": true, "say_do_ratio": true}

// ragSource is the value a RAG component was read from.
type ragSource struct {
	KPI, Window, Labels string
	Value               *float64
}

// ragInputsFrom is ragInputs with the value each component was read from.
func ragInputsFrom(idx map[string]Value, sayDo map[string][]float64, kind, scope, win string, ev Evaluator) (map[string]*RAG, map[string]ragSource) {
	from := map[string]ragSource{}
	picked := map[*RAG]ragSource{}
	get := func(kpi, w, labels string) *RAG {
		v, ok := idx[kind+"\x00"+scope+"\x00"+kpi+"\x00"+w+"\x00"+labels]
		if !ok || v.RAG == nil {
			return nil
		}
		r := ragPtr(*v.RAG)
		picked[r] = ragSource{KPI: kpi, Window: w, Labels: labels, Value: v.Value}
		return r
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
			from[name] = picked[r]
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
		if sayDoRAG != nil {
			picked[sayDoRAG] = ragSource{KPI: "say_do_ratio", Window: "last", Labels: "mean of the boards' variant=points", Value: fptr(m / float64(len(sd)))}
		}
	}
	set("schedule", firstRAG(evm("evm_spi"), sayDoRAG, dd))
	set("cost", evm("evm_cpi"))
	set("delivery", firstRAG(dd, get("release_schedule_adherence", "26w", "measure=on_time_ratio")))
	set("quality", firstRAG(get("escaped_defect_rate", win, ""), get("reopen_rate", win, "")))
	if red := get("risk_exposure", "snapshot", "measure=red_flags"); red != nil {
		r := red
		if a := get("risk_exposure", "snapshot", "measure=amber_flags"); a != nil && *a > *r {
			r = a
		}
		set("risk", r)
	}
	set("hygiene", get("field_completeness", win, "field=composite"))
	return comp, from
}

// ragIndex indexes a snapshot's values for ragInputs: by scope, KPI,
// window and labels, and each scope's say/do ratios of its boards.
func ragIndex(snap *Snapshot) (idx map[string]Value, sayDo map[string][]float64, scopes []string) {
	idx = map[string]Value{}
	sayDo = map[string][]float64{}
	seen := map[string]bool{}
	for _, v := range snap.Values {
		k := v.ScopeKind + "\x00" + v.Scope
		if !seen[k] {
			seen[k] = true
			scopes = append(scopes, k)
		}
		if !ragKPIs[v.KPI] {
			continue
		}
		idx[k+"\x00"+v.KPI+"\x00"+v.Window+"\x00"+v.Labels.String()] = v
		if v.KPI == "say_do_ratio" && v.Labels["board"] != "" && v.Labels["variant"] == "points" && strings.HasPrefix(v.Window, "last") && v.Value != nil {
			sayDo[k] = append(sayDo[k], *v.Value)
		}
	}
	slices.Sort(scopes)
	return idx, sayDo, scopes
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
	idx, sayDo, scopes := ragIndex(snap)
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

// explainRAG explains portfolio_rag (kpis.md X1) of one scope: each
// component's status, the rated value it was read from and its weight, and
// the rule — overall = worst available component, score = Σ w·v / Σ w
// (v = 100 green, 50 amber, 0 red) over the available components, low
// confidence when hygiene is red. The scope's values are computed afresh
// at as_of, as Compute rates them.
func (x *Explainer) explainRAG(ctx context.Context, e *Explanation, g group, ref scopeRef) error {
	snap, err := Compute(ctx, x.w, x.cfg, x.asOf, ScopeFilter{Kind: ref.Kind, Name: ref.Name})
	if err != nil {
		return err
	}
	if len(g.s.FlowWindowsWeeks) == 0 {
		return fmt.Errorf("kpi: explain: portfolio_rag of %s: no flow window configured", ref.key())
	}
	win := fmt.Sprintf("%dw", slices.Max(g.s.FlowWindowsWeeks))
	idx, sayDo, _ := ragIndex(&snap)
	comp, from := ragInputsFrom(idx, sayDo, ref.Kind, ref.Name, win, newRater(x.cfg, x.groups).evaluator(ref.Kind, ref.Name))
	r := portfolioRAG(comp, g.s.RAGWeights)
	e.Window = "snapshot"
	e.rag = &r
	for _, name := range ragComponents {
		it := ExplainItem{Key: name, Values: map[string]float64{"weight": g.s.RAGWeights[name]}}
		if c := comp[name]; c != nil {
			src := from[name]
			val := "NULL"
			if src.Value != nil {
				val = strconv.FormatFloat(*src.Value, 'g', 6, 64)
			}
			it.Sets = []string{"component"}
			it.Role = fmt.Sprintf("%s: %s %s{%s} = %s", c, src.KPI, src.Window, src.Labels, val)
			it.Values["points"] = float64(100 - 50*int(*c))
		} else {
			it.Role = "n/a: no rated value; left out of the score's weights"
		}
		e.Items = append(e.Items, it)
	}
	for _, l := range []Labels{{"measure": "rag"}, {"measure": "score"}, {"measure": "low_confidence"}} {
		if v, n, ok := e.Recompute(l); ok {
			e.Values = append(e.Values, ExplainedValue{Labels: l, Value: v, N: n})
		}
	}
	return nil
}

// recomputeRAG derives a portfolio_rag value from its explanation.
func (e Explanation) recomputeRAG(labels Labels) (*float64, uint64, bool) {
	n := uint64(0)
	for _, it := range e.Items {
		if inSet(it, "component") {
			n++
		}
	}
	r := e.rag
	switch {
	case labels["measure"] == "rag":
		if r.Overall == nil {
			return nil, n, true
		}
		return fptr(float64(*r.Overall)), n, true
	case labels["measure"] == "score":
		return r.Score, n, true
	case labels["measure"] == "low_confidence":
		if r.LowConfidence {
			return fptr(1), n, true
		}
		return fptr(0), n, true
	case labels["component"] != "":
		if c := r.Components[labels["component"]]; c != nil {
			return fptr(float64(*c)), n, true
		}
		return nil, n, true
	}
	return nil, 0, false
}
