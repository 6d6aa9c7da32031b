package report

import (
	"fmt"
	"math"

	"github.com/pmo-oss/pmo/internal/kpi"
)

// headline is one column of the RAG table: a KPI value and its banding
// (the catalog's default thresholds, kpis.md; HEUR ones are calibrated per
// organisation).
type headline struct {
	id, name, window, labels, unit string
	// rate returns the RAG of v; nil = not rated.
	rate func(v float64, s *Scope, snap kpi.Snapshot) RAG
	rule string
}

// higher rates v against green/amber lower bounds.
func higher(green, amber float64) func(float64, *Scope, kpi.Snapshot) RAG {
	return func(v float64, _ *Scope, _ kpi.Snapshot) RAG {
		switch {
		case v >= green:
			return Green
		case v >= amber:
			return Amber
		}
		return Red
	}
}

// lower rates v against green/amber upper bounds.
func lower(green, amber float64) func(float64, *Scope, kpi.Snapshot) RAG {
	return func(v float64, _ *Scope, _ kpi.Snapshot) RAG {
		switch {
		case v <= green:
			return Green
		case v <= amber:
			return Amber
		}
		return Red
	}
}

// band rates v inside [gLo, gHi] green, [aLo, aHi] amber.
func band(gLo, gHi, aLo, aHi float64) func(float64, *Scope, kpi.Snapshot) RAG {
	return func(v float64, _ *Scope, _ kpi.Snapshot) RAG {
		switch {
		case v >= gLo && v <= gHi:
			return Green
		case v >= aLo && v <= aHi:
			return Amber
		}
		return Red
	}
}

// headlines are the component KPIs of the RAG table, in display order.
var headlines = []headline{
	{id: "throughput", name: "Throughput", window: "4w", labels: "measure=per_week", unit: "/wk",
		rule: "green ≥ 75 % of the 12-week rate, amber 50–75 %, red below (HEUR)",
		rate: func(v float64, s *Scope, snap kpi.Snapshot) RAG {
			base, ok := snap.Find(s.Kind, s.Name, "throughput", "12w", "measure=per_week")
			if !ok || base.Value == nil || *base.Value == 0 {
				return Unrated
			}
			return higher(0.75, 0.5)(v / *base.Value, s, snap)
		}},
	{id: "cycle_time", name: "Cycle time P85", window: "4w", labels: "method=nr,quantile=0.85,unit=dc", unit: "d",
		rule: "green ≤ the team SLE (work-item age SLE days), red above (SRC)",
		rate: func(v float64, s *Scope, snap kpi.Snapshot) RAG {
			sle, ok := snap.Find(s.Kind, s.Name, "work_item_age", "snapshot", "measure=sle_days")
			if !ok || sle.Value == nil {
				return Unrated
			}
			if v <= *sle.Value {
				return Green
			}
			return Red
		}},
	{id: "sle_attainment", name: "SLE met", window: "4w", labels: "measure=ratio", unit: "%",
		rule: "green ≥ 85 %, amber ≥ 75 %, red below (HEUR, sle.percentile 0.85)", rate: higher(0.85, 0.75)},
	{id: "wip", name: "WIP", window: "snapshot", labels: "measure=count", unit: "",
		rule: "not rated: compare with the team's own history"},
	{id: "work_item_age", name: "At-risk WIP", window: "snapshot", labels: "measure=at_risk_ratio", unit: "%",
		rule: "green ≤ 15 %, amber ≤ 30 %, red above (HEUR)", rate: lower(0.15, 0.30)},
	{id: "flow_efficiency", name: "Flow efficiency", window: "4w", labels: "measure=ratio_of_sums", unit: "%",
		rule: "green ≥ 40 %, amber ≥ 15 %, red below (HEUR)", rate: higher(0.40, 0.15)},
	{id: "arrival_departure_ratio", name: "Arrivals/departures", window: "4w", labels: "measure=ratio", unit: "×",
		rule: "green 0.9–1.1, amber 0.7–1.3, red otherwise (HEUR)", rate: band(0.9, 1.1, 0.7, 1.3)},
	{id: "created_vs_resolved", name: "Resolved/created", window: "4w", labels: "measure=ratio", unit: "×",
		rule: "green ≥ 1.0, amber ≥ 0.9, red below (HEUR)", rate: higher(1.0, 0.9)},
	{id: "reopen_rate", name: "Reopen rate", window: "4w", labels: "", unit: "%",
		rule: "green < 2 %, amber < 10 %, red ≥ 10 % (SRC)", rate: lower(0.0199999, 0.0999999)},
	{id: "escaped_defect_rate", name: "Escaped defects", window: "12w", labels: "", unit: "%",
		rule: "green ≤ 5 %, amber ≤ 15 %, red above (HEUR)", rate: lower(0.05, 0.15)},
	{id: "stale_ratio", name: "Stale items", window: "snapshot", labels: "", unit: "%",
		rule: "green ≤ 10 %, amber ≤ 25 %, red above (HEUR)", rate: lower(0.10, 0.25)},
	{id: "field_completeness", name: "Data hygiene", window: "4w", labels: "field=composite", unit: "%",
		rule: "green ≥ 90 %, amber ≥ 70 %, red below (HEUR)", rate: higher(0.90, 0.70)},
}

// hygieneRows are the G1/G2 values shown in the hygiene table.
var hygieneRows = []headline{
	{id: "field_completeness", name: "Estimate set", window: "4w", labels: "field=estimate", unit: "%", rate: higher(0.95, 0.80)},
	{id: "field_completeness", name: "Assignee set", window: "4w", labels: "field=assignee", unit: "%", rate: higher(0.95, 0.80)},
	{id: "field_completeness", name: "Due date set", window: "4w", labels: "field=due_date", unit: "%", rate: higher(0.95, 0.80)},
	{id: "workflow_consistency", name: "Skipped In Progress", window: "4w", labels: "class=skipped_in_progress", unit: "%", rate: lower(0.02, 0.10)},
	{id: "workflow_consistency", name: "Done without resolution", window: "4w", labels: "class=done_without_resolution", unit: "%", rate: lower(0.02, 0.10)},
	{id: "workflow_consistency", name: "Restarted", window: "4w", labels: "class=restarted", unit: "%", rate: lower(0.02, 0.10)},
	{id: "workflow_consistency", name: "Resolution but open", window: "4w", labels: "class=resolution_not_done", unit: "%", rate: lower(0.02, 0.10)},
}

// rows evaluates the headlines of scope s on snap, with trends from hist.
func rows(hs []headline, s *Scope, snap kpi.Snapshot, hist map[string][]Point) []KPIRow {
	out := make([]KPIRow, 0, len(hs))
	for _, h := range hs {
		r := KPIRow{ID: h.id, Name: h.name, Window: h.window, Labels: h.labels, Unit: h.unit, Rule: h.rule}
		if d, ok := kpi.Lookup(h.id); ok {
			r.Question, r.Help = d.Question, d.Help
		}
		if v, ok := snap.Find(s.Kind, s.Name, h.id, h.window, h.labels); ok {
			r.Value, r.N = v.Value, v.N
			if v.Value != nil && h.rate != nil && !math.IsNaN(*v.Value) {
				r.RAG = h.rate(*v.Value, s, snap)
			}
		}
		r.Trend = hist[histKey(s.Kind, s.Name, h.id, h.window, h.labels)]
		out = append(out, r)
	}
	return out
}

func histKey(kind, scope, id, window, labels string) string {
	return kind + "\x00" + scope + "\x00" + id + "\x00" + window + "\x00" + labels
}

// overall is the scope's RAG: red when any component is red or three are
// amber, amber when any is amber, green when at least one is green.
func overall(rs []KPIRow) RAG {
	var g, a, r int
	for _, k := range rs {
		switch k.RAG {
		case Green:
			g++
		case Amber:
			a++
		case Red:
			r++
		}
	}
	switch {
	case r > 0 || a >= 3:
		return Red
	case a > 0:
		return Amber
	case g > 0:
		return Green
	}
	return Unrated
}

// Format renders a KPI value for people in its display unit.
func (r KPIRow) Format() string {
	if r.Value == nil {
		return "—"
	}
	return formatUnit(*r.Value, r.Unit)
}

func formatUnit(v float64, unit string) string {
	switch unit {
	case "%":
		return fmt.Sprintf("%.0f %%", v*100)
	case "d":
		return fmt.Sprintf("%.1f d", v)
	case "/wk":
		return fmt.Sprintf("%.1f/wk", v)
	case "×":
		return fmt.Sprintf("%.2f", v)
	}
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
