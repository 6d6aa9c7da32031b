package report

import (
	"fmt"
	"math"

	"github.com/pmo-oss/pmo/internal/kpi"
)

// headline is one column of the RAG table: a KPI value and its RAG status
// as the KPI engine stored it (kpi.Value.RAG: the catalog's thresholds with
// the scope's kpi.thresholds overrides).
type headline struct {
	id, name, window, labels, unit string
	// rule explains a KPI without thresholds; rated KPIs show their band.
	rule string
}

// headlines are the component KPIs of the RAG table, in display order.
var headlines = []headline{
	{id: "throughput", name: "Throughput", window: "4w", labels: "measure=per_week", unit: "/wk"},
	{id: "cycle_time", name: "Cycle time P85", window: "4w", labels: "method=nr,quantile=0.85,unit=dc", unit: "d"},
	{id: "sle_attainment", name: "SLE met", window: "4w", labels: "measure=ratio", unit: "%"},
	{id: "wip", name: "WIP", window: "snapshot", labels: "measure=count", unit: "",
		rule: "not rated: compare with the team's own history"},
	{id: "work_item_age", name: "At-risk WIP", window: "snapshot", labels: "measure=at_risk_ratio", unit: "%"},
	{id: "flow_efficiency", name: "Flow efficiency", window: "4w", labels: "measure=ratio_of_sums", unit: "%"},
	{id: "arrival_departure_ratio", name: "Arrivals / departures", window: "4w", labels: "measure=ratio", unit: "×"},
	{id: "created_vs_resolved", name: "Resolved / created", window: "4w", labels: "measure=ratio", unit: "×"},
	{id: "reopen_rate", name: "Reopen rate", window: "4w", labels: "", unit: "%"},
	{id: "escaped_defect_rate", name: "Escaped defects", window: "12w", labels: "", unit: "%"},
	{id: "stale_ratio", name: "Stale items", window: "snapshot", labels: "", unit: "%"},
	{id: "field_completeness", name: "Data hygiene", window: "4w", labels: "field=composite", unit: "%"},
	{id: "due_date_adherence", name: "Done by due date", window: "12w", labels: "measure=on_time_ratio", unit: "%"},
	{id: "release_schedule_adherence", name: "Releases on time", window: "26w", labels: "measure=on_time_ratio", unit: "%"},
	{id: "overdue_ratio", name: "Overdue open items", window: "snapshot", labels: "measure=ratio", unit: "%"},
	{id: "blocked_ratio", name: "Blocked items", window: "snapshot", labels: "measure=ratio", unit: "%"},
}

// hygieneRows are the G1/G2 values shown in the hygiene table.
var hygieneRows = []headline{
	{id: "field_completeness", name: "Estimate set", window: "4w", labels: "field=estimate", unit: "%"},
	{id: "field_completeness", name: "Assignee set", window: "4w", labels: "field=assignee", unit: "%"},
	{id: "field_completeness", name: "Due date set", window: "4w", labels: "field=due_date", unit: "%"},
	{id: "workflow_consistency", name: "Skipped In Progress", window: "4w", labels: "class=skipped_in_progress", unit: "%"},
	{id: "workflow_consistency", name: "Done without resolution", window: "4w", labels: "class=done_without_resolution", unit: "%"},
	{id: "workflow_consistency", name: "Restarted", window: "4w", labels: "class=restarted", unit: "%"},
	{id: "workflow_consistency", name: "Resolution but open", window: "4w", labels: "class=resolution_not_done", unit: "%"},
}

// rows reads the headlines of scope s from snap (values and their stored
// RAG), with trends from hist; ev gives the scope's threshold texts.
func rows(hs []headline, s *Scope, snap kpi.Snapshot, hist map[string][]Point, ev kpi.Evaluator) []KPIRow {
	out := make([]KPIRow, 0, len(hs))
	for _, h := range hs {
		r := KPIRow{ID: h.id, Name: h.name, Window: h.window, Labels: h.labels, Unit: h.unit, Rule: h.rule}
		if d, ok := kpi.Lookup(h.id); ok {
			r.Question, r.Help = d.Question, d.Help
		}
		if r.Rule == "" {
			r.Rule = ev.Rule(h.id, kpi.ParseLabels(h.labels))
		}
		if r.Rule == "" {
			r.Rule = "not rated"
		}
		if v, ok := snap.Find(s.Kind, s.Name, h.id, h.window, h.labels); ok {
			r.Value, r.N = v.Value, v.N
			if v.Value != nil && !math.IsNaN(*v.Value) {
				r.RAG = ragOf(v.RAG)
			}
		}
		r.Trend = hist[histKey(s.Kind, s.Name, h.id, h.window, h.labels)]
		out = append(out, r)
	}
	return out
}

// ragOf maps the engine's status to the report's.
func ragOf(r *kpi.RAG) RAG {
	if r == nil {
		return Unrated
	}
	switch *r {
	case kpi.Green:
		return Green
	case kpi.Amber:
		return Amber
	case kpi.Red:
		return Red
	}
	return Unrated
}

func histKey(kind, scope, id, window, labels string) string {
	return kind + "\x00" + scope + "\x00" + id + "\x00" + window + "\x00" + labels
}

// healthComponents are portfolio_rag's components in kpis.md X1 order.
var healthComponents = []string{"schedule", "cost", "delivery", "quality", "risk", "hygiene"}

// health reads the scope's portfolio_rag from snap: its overall status
// (measure=rag), score, low-confidence flag and components.
func health(s *Scope, snap kpi.Snapshot) (RAG, Health) {
	find := func(labels string) *float64 {
		if v, ok := snap.Find(s.Kind, s.Name, "portfolio_rag", "snapshot", labels); ok {
			return v.Value
		}
		return nil
	}
	v, ok := snap.Find(s.Kind, s.Name, "portfolio_rag", "snapshot", "measure=rag")
	if !ok {
		return Unrated, Health{}
	}
	h := Health{FromEngine: true, Score: find("measure=score")}
	if lc := find("measure=low_confidence"); lc != nil && *lc == 1 {
		h.LowConfidence = true
	}
	for _, c := range healthComponents {
		h.Components = append(h.Components, HealthComponent{Name: c, RAG: ragCode(find("component=" + c))})
	}
	return ragCode(v.Value), h
}

// ragCode maps a stored status code (0 green, 1 amber, 2 red) to a RAG.
func ragCode(x *float64) RAG {
	if x == nil {
		return Unrated
	}
	r := kpi.RAG(*x)
	return ragOf(&r)
}

// overall is the fallback status of a scope without portfolio_rag: red
// when any headline is red or three are amber, amber when any is amber,
// green when at least one is green.
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
