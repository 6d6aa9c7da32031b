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

// fema maps SPI or CPI to G/A/R.
func fema(x float64) int { // SPI/CPI: FEMA dashboard tolerances
	switch {
	case x >= 0.95 && x <= 1.05:
		return ragGreen
	case x >= 0.90 && x <= 1.10:
		return ragAmber
	}
	return ragRed
}

func higher(x, green, amber float64) int { // ≥ green G, ≥ amber A, else R
	switch {
	case x >= green:
		return ragGreen
	case x >= amber:
		return ragAmber
	}
	return ragRed
}

// ragResult is the portfolio RAG of one scope.
type ragResult struct {
	Overall       *int // nil: no component available
	Score         *float64
	LowConfidence bool
	Components    map[string]*int // nil = n/a
}

// portfolioRAG combines component statuses: overall = worst of the
// available components; score = Σ w·v / Σ w over the available ones with
// v(G)=100, v(A)=50, v(R)=0 (a missing component is dropped from the
// weights); low confidence when hygiene is red.
func portfolioRAG(comp map[string]*int, weights map[string]float64) ragResult {
	r := ragResult{Components: comp}
	var num, den float64
	for _, name := range ragComponents {
		s := comp[name]
		if s == nil {
			continue
		}
		if r.Overall == nil || *s > *r.Overall {
			r.Overall = ptr(*s)
		}
		w := weights[name]
		num += w * float64(100-50**s)
		den += w
	}
	if den > 0 {
		r.Score = fptr(num / den)
	}
	if h := comp["hygiene"]; h != nil && *h == ragRed {
		r.LowConfidence = true
	}
	return r
}

// ragInputs picks each component's value of one scope from the snapshot
// (kpis.md X1 defaults): schedule = SPI, else say/do (mean of the scope's
// boards), else due-date adherence; cost = CPI; delivery = due-date
// adherence; quality = escaped defect rate, else reopen rate; risk = K1
// flags; hygiene = field_completeness composite. Windowed components use
// the longest flow window.
func ragInputs(idx map[string]*float64, sayDo map[string][]float64, kind, scope, win string) map[string]*int {
	get := func(kpi, w, labels string) *float64 { return idx[kind+"\x00"+scope+"\x00"+kpi+"\x00"+w+"\x00"+labels] }
	evm := func(kpi string) *float64 { // effort mode first, then AgileEVM
		if v := get(kpi, "to_date", "variant=effort"); v != nil {
			return v
		}
		return get(kpi, "to_date", "variant=agile")
	}
	comp := map[string]*int{}
	set := func(name string, s int) { comp[name] = ptr(s) }
	dd := get("due_date_adherence", win, "measure=on_time_ratio")
	switch sd := sayDo[kind+"\x00"+scope]; {
	case evm("evm_spi") != nil:
		set("schedule", fema(*evm("evm_spi")))
	case len(sd) > 0:
		m := 0.0
		for _, x := range sd {
			m += x
		}
		m /= float64(len(sd))
		s := ragAmber
		if m > 0.90 {
			s = ragGreen
		} else if m < 0.60 {
			s = ragRed
		}
		set("schedule", s)
	case dd != nil:
		set("schedule", higher(*dd, 0.90, 0.60))
	}
	if v := evm("evm_cpi"); v != nil {
		set("cost", fema(*v))
	}
	if dd != nil {
		set("delivery", higher(*dd, 0.90, 0.60))
	}
	if v := get("escaped_defect_rate", win, ""); v != nil {
		set("quality", higher(-*v, -0.05, -0.15)) // ≤ 0.05 G, ≤ 0.15 A
	} else if v := get("reopen_rate", win, ""); v != nil {
		s := ragRed
		if *v < 0.02 {
			s = ragGreen
		} else if *v < 0.10 {
			s = ragAmber
		}
		set("quality", s)
	}
	if red := get("risk_exposure", "snapshot", "measure=red_flags"); red != nil {
		s := ragGreen
		if *red > 0 {
			s = ragRed
		} else if a := get("risk_exposure", "snapshot", "measure=amber_flags"); a != nil && *a > 0 {
			s = ragAmber
		}
		set("risk", s)
	}
	if v := get("field_completeness", win, "field=composite"); v != nil {
		set("hygiene", higher(*v, 0.90, 0.70))
	}
	return comp
}

// portfolioRAGValues adds portfolio_rag for every scope of the snapshot
// that has flow values; win(kind, scope) is the scope's longest flow window.
func portfolioRAGValues(snap *Snapshot, win func(kind, scope string) (string, map[string]float64)) {
	idx := map[string]*float64{}
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
		idx[k+"\x00"+v.KPI+"\x00"+v.Window+"\x00"+ls] = v.Value
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
		comp := ragInputs(idx, sayDo, kind, scope, w)
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
