package kpi

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pmo-oss/pmo/internal/csvsafe"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Explanation lists the issues that made a KPI value, so a PMO can answer
// "why is this 9?".
type Explanation struct {
	KPI    string    `json:"kpi"`
	Scope  string    `json:"scope"`
	Window string    `json:"window"`
	AsOf   time.Time `json:"as_of"`
	TZ     string    `json:"tz"`
	// Zones, when the configuration has more than one, are the time zones
	// the items count their days in (each its team's, else its project's:
	// kpis.md C1); TZ is then the scope's own.
	Zones []string      `json:"zones,omitempty"`
	Items []ExplainItem `json:"items"`
	// Values are the KPI's values recomputed from the items (flow KPIs).
	Values []ExplainedValue `json:"values,omitempty"`
	// stat, for the flow KPIs, is what Recompute needs besides the items;
	// rag, for portfolio_rag, the combined result.
	stat    *flowStat
	rag     *ragResult
	growth  bool         // scope_growth: Recompute reads the items' versions
	effort  *effortStat  // logged_hours, utilization, work_distribution
	evm     *evmStat     // evm_spi, evm_cpi, evm_eac
	backlog *backlogStat // backlog_readiness
}

// ExplainItem is one issue and the role it played.
type ExplainItem struct {
	Key      string     `json:"key"`
	Role     string     `json:"role"` // counted, excluded: discarded, excluded: skipped In Progress, wip, at risk, committed, added...
	Start    *time.Time `json:"start,omitempty"`
	Done     *time.Time `json:"done,omitempty"`
	DayCount *int64     `json:"day_count,omitempty"` // dc in the scope's tz
	Days     *float64   `json:"days,omitempty"`      // exact
	Points   *float64   `json:"points,omitempty"`    // sprint KPIs
	Sprint   string     `json:"sprint,omitempty"`
	// Sets are the populations of the KPI the item belongs to (flow KPIs:
	// populations.go), Values what it contributes to them (cycle_days,
	// linked_bugs, …), Priority the priority it had when done (bug_mttr).
	Sets     []string           `json:"sets,omitempty"`
	Values   map[string]float64 `json:"values,omitempty"`
	Priority string             `json:"priority,omitempty"`
	Assignee string             `json:"assignee,omitempty"` // wip: people in progress; effort: the worklog's author
	Type     string             `json:"type,omitempty"`     // effort: the issue type
	Version  string             `json:"version,omitempty"`  // scope_growth: the release
}

// Explain lists the issues behind kpi for one scope ("project:ALPHA",
// "program:Core", "source:jira", "portfolio") at as_of, for the first
// configured flow window (snapshot KPIs: at as_of; sprint KPIs: per sprint).
func Explain(ctx context.Context, w *warehouse.Warehouse, cfg Config, kpi, scope string, asOf time.Time) (Explanation, error) {
	return ExplainWindow(ctx, w, cfg, kpi, scope, "", asOf)
}

// ExplainWindow is Explain for one trailing window ("4w", "12w": one of the
// scope's flow_windows_weeks); "" is the first configured one.
func ExplainWindow(ctx context.Context, w *warehouse.Warehouse, cfg Config, kpi, scope, window string, asOf time.Time) (Explanation, error) {
	x := NewExplainer(w, cfg, asOf)
	defer x.Close(ctx)
	return x.Explain(ctx, kpi, scope, window)
}

// Explainer explains many values of one as-of: the scopes are listed and
// the lifecycle of each settings group is derived once (as Compute does),
// so a report or a test explaining every KPI of every scope does not derive
// them again per explanation. Close drops what it derived.
type Explainer struct {
	w      *warehouse.Warehouse
	cfg    Config
	asOf   time.Time
	groups []group // nil until listed
	flow   map[string]*flowGroup
	drops  []func()
	batch  bool
}

// Batch makes the Explainer read each population once for every scope —
// one query per KPI and window instead of one per scope — and answer the
// scopes from memory: for callers that explain many scopes, such as the
// report. The items are the same either way.
func (x *Explainer) Batch() *Explainer {
	x.batch = true
	return x
}

// NewExplainer returns an Explainer for as_of (truncated to the second).
func NewExplainer(w *warehouse.Warehouse, cfg Config, asOf time.Time) *Explainer {
	return &Explainer{w: w, cfg: cfg, asOf: asOf.UTC().Truncate(time.Second), flow: map[string]*flowGroup{}}
}

// Close drops the temporary tables the Explainer derived.
func (x *Explainer) Close(ctx context.Context) {
	for _, d := range x.drops {
		d()
	}
	x.drops, x.flow = nil, map[string]*flowGroup{}
}

// Explain is ExplainWindow with the Explainer's as-of.
func (x *Explainer) Explain(ctx context.Context, kpi, scope, window string) (Explanation, error) {
	w, cfg, asOf := x.w, x.cfg, x.asOf
	if errs := cfg.Validate(); len(errs) > 0 {
		return Explanation{}, fmt.Errorf("kpi: invalid configuration: %v", errs)
	}
	def, ok := Lookup(kpi)
	if !ok {
		ids := make([]string, len(Catalog))
		for i, d := range Catalog {
			ids[i] = d.ID
		}
		return Explanation{}, fmt.Errorf("kpi: explain: %w %q; known: %s", ErrUnknownKPI, kpi, strings.Join(ids, ", "))
	}
	f, err := ParseScopeFilter(scope)
	if err != nil {
		return Explanation{}, err
	}
	if f.Kind == "" || (f.Kind != ScopePortfolio && f.Name == "") {
		return Explanation{}, fmt.Errorf("kpi: explain: scope %q: name one scope, e.g. project:ALPHA, program:Core, source:jira or portfolio", scope)
	}
	if def.Group == "Sprint" {
		return explainSprints(ctx, w, cfg, def, f, asOf)
	}
	g, ref, win, err := x.resolve(ctx, kpi, scope, window)
	if err != nil {
		return Explanation{}, err
	}
	s := g.s
	e := Explanation{KPI: kpi, Scope: ref.key(), Window: win.Name, AsOf: asOf, TZ: s.TZ}
	if zs := s.zonePlan().names; len(zs) > 1 {
		e.Zones = zs
	}
	// The scope's lifecycle, derived once per settings group and as-of.
	fg, err := x.flowGroup(ctx, s)
	if err != nil {
		return Explanation{}, err
	}
	if _, ok := flowKPIs[kpi]; ok {
		err = fg.explain(ctx, &e, ref, win)
		return e, err
	}
	lc := fg.c.lc
	switch kpi {
	case "monte_carlo_forecast":
		e.Window = fmt.Sprintf("%dd", *s.MCHistoryDays) // the history, as the values are labelled
		err := explainForecast(ctx, w, s, &e, ref, lc)
		return e, err
	case "risk_exposure":
		e.Window = "snapshot"
		err := explainRisks(ctx, w, s, &e, ref, lc)
		return e, err
	case "release_schedule_adherence":
		err := explainReleases(ctx, fg, &e, ref)
		return e, err
	case "portfolio_rag":
		err := x.explainRAG(ctx, &e, g, ref)
		return e, err
	case "scope_growth":
		err := x.explainScopeGrowth(ctx, &e, fg, ref)
		return e, err
	case "logged_hours", "utilization", "work_distribution":
		err := explainEffort(ctx, fg.c, &e, ref)
		return e, err
	case "backlog_readiness":
		err := x.explainBacklog(ctx, &e, fg, ref)
		return e, err
	case "evm_spi", "evm_cpi", "evm_eac":
		err := explainEVM(ctx, fg, &e, ref, cfg.Scopes)
		return e, err
	case "due_date_adherence", "estimation_accuracy", "blocked_ratio", "overdue_ratio":
		if kpi == "blocked_ratio" || kpi == "overdue_ratio" {
			e.Window = "snapshot"
		}
		src, err := x.planningSource(ctx, fg)
		if err != nil {
			return Explanation{}, err
		}
		err = explainHistory(ctx, w, s, &e, ref, win, src)
		return e, err
	}
	return Explanation{}, fmt.Errorf("kpi: explain: %s: %w yet; explained KPIs: %s", kpi, ErrNoExplanation, strings.Join(Explained(), ", "))
}

// explainForecast lists what monte_carlo_forecast (F9) draws from: the
// daily throughput history (flow items done in the mc_history_days local
// days ending at E) and the open backlog it forecasts.
func explainForecast(ctx context.Context, w *warehouse.Warehouse, s settings, e *Explanation, ref scopeRef, lc string) error {
	sc, err := scopedSQL(lc, []string{ref.key()})
	if err != nil {
		return err
	}
	q, err := modelSQL("explain_forecast", map[string]string{"scoped": "(" + sc + ")"}, nil)
	if err != nil {
		return err
	}
	rows, err := w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("kpi: explaining %s for %s: %w", e.KPI, ref.key(), err)
	}
	defer rows.Close()
	eDays := s.zoneEDay(e.AsOf)
	days := int64(*s.MCHistoryDays)
	for rows.Next() {
		var key, cat string
		var done uint64
		var startS, doneS, doneDay, zi int64
		if err := rows.Scan(&key, &done, &startS, &doneS, &doneDay, &cat, &zi); err != nil {
			return fmt.Errorf("kpi: explaining %s: %w", e.KPI, err)
		}
		eDay := zoneValue(eDays, zi)
		it := ExplainItem{Key: key}
		if startS > 0 {
			it.Start = tptr(time.Unix(startS, 0).UTC())
		}
		switch {
		case done == 1 && doneDay > eDay-days && doneDay <= eDay:
			it.Done = tptr(time.Unix(doneS, 0).UTC())
			it.Role = fmt.Sprintf("history: done in the last %d days", days)
		case done == 0:
			it.Role = "backlog (" + cat + ")"
		default:
			continue
		}
		e.Items = append(e.Items, it)
	}
	return rows.Err()
}

func explainSprints(ctx context.Context, w *warehouse.Warehouse, cfg Config, def Definition, f ScopeFilter, asOf time.Time) (Explanation, error) {
	var reps []SprintReport
	var err error
	if f.Kind == ScopeTeam {
		reps, err = teamSprintReports(ctx, w, cfg, asOf, f.Name) // teams.go
	} else {
		reps, err = SprintReports(ctx, w, cfg, asOf, f)
	}
	if err != nil {
		return Explanation{}, err
	}
	e := Explanation{KPI: def.ID, Scope: f.Kind + ":" + f.Name, Window: "sprint", AsOf: asOf, TZ: cfg.TZ}
	for _, r := range reps {
		for _, g := range []struct {
			role string
			keys []string
		}{{"committed", r.Committed}, {"added", r.AddedKeys}, {"removed", r.RemovedKeys}, {"completed", r.CompletedKeys},
			{"not completed", r.NotCompletedKeys}, {"completed outside", r.OutsideKeys}} {
			for _, k := range g.keys {
				it := ExplainItem{Key: k, Role: g.role, Sprint: r.Sprint}
				if p, ok := r.Points[g.role][k]; ok {
					it.Points = &p
				}
				e.Items = append(e.Items, it)
			}
		}
	}
	return e, nil
}

func tptr(t time.Time) *time.Time { return &t }

// WriteExplanation renders an explanation as table, json or csv.
func WriteExplanation(w io.Writer, e Explanation, format string) error {
	cells := func(it ExplainItem) []string {
		ts := func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		}
		dc, d, p := "", "", ""
		if it.DayCount != nil {
			dc = strconv.FormatInt(*it.DayCount, 10)
		}
		if it.Days != nil {
			d = strconv.FormatFloat(*it.Days, 'f', 6, 64)
		}
		if it.Points != nil {
			p = strconv.FormatFloat(*it.Points, 'f', -1, 64)
		}
		// What the item contributes beyond day counts and days (weights,
		// linked bugs, ...), name=value, sorted.
		var vals []string
		for k, v := range it.Values {
			if k == valCtDC || k == valCtDays || k == valLtDC || k == valLtDays || k == valAgeDC || k == valAgeDays || k == valBacklogDC || k == valUnresolved {
				continue // shown as day_count and days
			}
			vals = append(vals, k+"="+strconv.FormatFloat(v, 'f', -1, 64))
		}
		slices.Sort(vals)
		return []string{it.Key, it.Sprint, it.Role, ts(it.Start), ts(it.Done), dc, d, p, strings.Join(vals, " ")}
	}
	head := []string{"key", "sprint", "role", "start", "done", "day_count", "days", "points", "values"}
	switch format {
	case "", "table":
		zones := ""
		if len(e.Zones) > 0 {
			zones = "; each issue's days in its team's or project's zone: " + strings.Join(e.Zones, ", ")
		}
		fmt.Fprintf(w, "%s for %s, window %s, as of %s (tz %s%s)\n", e.KPI, e.Scope, e.Window, e.AsOf.Format(time.RFC3339), e.TZ, zones)
		for _, v := range e.Values {
			val := "NULL"
			if v.Value != nil {
				val = strconv.FormatFloat(*v.Value, 'f', -1, 64)
			}
			l := v.Labels.String()
			if l == "" {
				l = "value"
			}
			fmt.Fprintf(w, "  %s = %s (n = %d)\n", l, val, v.N)
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, strings.ToUpper(strings.Join(head, "\t")))
		for _, it := range e.Items {
			fmt.Fprintln(tw, strings.Join(cells(it), "\t"))
		}
		return tw.Flush()
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(e)
	case "csv":
		cw := csvsafe.NewWriter(w, 0, 1, 2) // key, sprint and role hold tracker text
		_ = cw.Write(head)
		for _, it := range e.Items {
			_ = cw.Write(cells(it))
		}
		return cw.Flush()
	}
	return fmt.Errorf("kpi: unknown output format %q; use one of %s", format, strings.Join(Formats, ", "))
}

// explainRisks lists the open risks behind risk_exposure (K1): severity and
// its weight, age, and the flags they raise (red: top severity older than
// 30 days, or no update for 14 days; amber: high severity older than 60
// days).
func explainRisks(ctx context.Context, w *warehouse.Warehouse, s settings, e *Explanation, ref scopeRef, lc string) error {
	sc, err := scopedSQL(lc, []string{ref.key()})
	if err != nil {
		return err
	}
	q, err := modelSQL("explain_risks", map[string]string{"scoped": "(" + sc + ")"}, map[string]any{"risk_types": s.RiskTypes})
	if err != nil {
		return err
	}
	rows, err := w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("kpi: explaining risk_exposure for %s: %w", ref.key(), err)
	}
	defer rows.Close()
	high, top := riskLevels(s.RiskSeverityWeights)
	eDays := s.zoneEDay(e.AsOf)
	for rows.Next() {
		var key, prio string
		var createdDay, updated, zi int64
		if err := rows.Scan(&key, &prio, &createdDay, &updated, &zi); err != nil {
			return fmt.Errorf("kpi: explaining risk_exposure: %w", err)
		}
		eDay := zoneValue(eDays, zi)
		sev := s.RiskSeverityWeights[prio]
		age := eDay - createdDay + 1
		role := fmt.Sprintf("open risk, severity %s (weight %g)", cmp.Or(prio, "none"), sev)
		var flags []string
		if sev >= top && age > 30 {
			flags = append(flags, "red: top severity open over 30 days")
		}
		if e.AsOf.Unix()-updated >= riskStaleDays*86400 {
			flags = append(flags, fmt.Sprintf("red: no update for %d days", riskStaleDays))
		}
		if sev >= high && age > 60 {
			flags = append(flags, "amber: high severity open over 60 days")
		}
		if len(flags) > 0 {
			role += "; " + strings.Join(flags, "; ")
		}
		e.Items = append(e.Items, ExplainItem{Key: key, Role: role, DayCount: &age})
	}
	return rows.Err()
}

// explainReleases lists the versions behind release_schedule_adherence
// (P2) in the scope: each with the released date used and why (observed
// release vs the fallback of C12), its baseline and slip (day_count), or
// why it does not count.
func explainReleases(ctx context.Context, fg *flowGroup, e *Explanation, ref scopeRef) error {
	s := fg.c.s
	versions, win, err := fg.releaseVersions(ctx)
	if err != nil {
		return err
	}
	e.Window = win.Name
	for _, v := range versions {
		if !slices.Contains(v.scopes, ref.key()) {
			continue
		}
		it := ExplainItem{Key: v.name, Role: v.role}
		if !v.released.IsZero() && !v.released.After(lastCompleteDay(e.AsOf, s.loc)) {
			it.Done = tptr(v.released)
		}
		if v.counted {
			slip := int64(v.slip)
			it.DayCount = &slip
		}
		e.Items = append(e.Items, it)
	}
	return nil
}

// resolve finds the scope's settings group and reference, and the window
// of a KPI (window "" is the first flow window).
func (x *Explainer) resolve(ctx context.Context, kpi, scope, win string) (group, scopeRef, window, error) {
	w, cfg, asOf := x.w, x.cfg, x.asOf
	f, err := ParseScopeFilter(scope)
	if err != nil {
		return group{}, scopeRef{}, window{}, err
	}
	if f.Kind == "" || (f.Kind != ScopePortfolio && f.Name == "") {
		return group{}, scopeRef{}, window{}, fmt.Errorf("kpi: scope %q: name one scope, e.g. project:ALPHA, program:Core, source:jira or portfolio", scope)
	}
	if x.groups == nil {
		if x.groups, err = scopeGroups(ctx, w, cfg, asOf, ScopeFilter{}); err != nil {
			return group{}, scopeRef{}, window{}, err
		}
	}
	var g group
	var ref scopeRef
	found := false
	for _, gr := range x.groups {
		for _, r := range gr.scopes {
			if !found && f.match(r) {
				g, ref, found = gr, r, true
			}
		}
	}
	if !found {
		return group{}, scopeRef{}, window{}, fmt.Errorf("kpi: %w %q with issues created before %s", ErrNoScope, scope, asOf.Format(time.RFC3339))
	}
	s := g.s
	weeks := s.FlowWindowsWeeks[0]
	if win != "" {
		weeks = 0
		for _, n := range s.FlowWindowsWeeks {
			if fmt.Sprintf("%dw", n) == win {
				weeks = n
			}
		}
		fk, isFlow := flowKPIs[kpi]
		isFlow = isFlow && !fk.snapshot
		switch {
		case weeks == 0 && !isFlow:
			weeks = s.FlowWindowsWeeks[0] // snapshot and release KPIs have windows of their own
		case weeks == 0:
			return group{}, scopeRef{}, window{}, fmt.Errorf("kpi: %w: %q is not one of %s's flow windows %v (kpi.flow_windows_weeks); use e.g. %dw", ErrNoWindow, win, ref.key(), s.FlowWindowsWeeks, s.FlowWindowsWeeks[0])
		}
	}
	return g, ref, trailingWeeks(asOf, weeks, s.loc), nil
}

// Explained lists the KPIs `pmo kpi explain` lists the items of.
func Explained() []string {
	var out []string
	for _, d := range Catalog {
		_, flow := flowKPIs[d.ID]
		switch {
		case flow, d.Group == "Sprint":
		case d.ID == "monte_carlo_forecast", d.ID == "risk_exposure", d.ID == "release_schedule_adherence", d.ID == "portfolio_rag", d.ID == "scope_growth",
			d.ID == "due_date_adherence", d.ID == "estimation_accuracy", d.ID == "blocked_ratio", d.ID == "overdue_ratio",
			d.ID == "logged_hours", d.ID == "utilization", d.ID == "work_distribution", d.ID == "evm_spi", d.ID == "evm_cpi", d.ID == "evm_eac",
			d.ID == "backlog_readiness":
		default:
			continue
		}
		out = append(out, d.ID)
	}
	return out
}
