package report

import (
	"context"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/types"

	"github.com/pmo-oss/pmo/internal/deps"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// depsGraphNodes is how many issues the dependency graph of a page draws
// (the critical chain's first); pmo deps --format dot draws all.
const depsGraphNodes = 60

// depsReport is what Scope.Deps holds.
type depsReport = deps.Report

// The dependencies section (templates/deps.html) and its functions, added
// to the page templates.
var _ = template.Must(pageTmpl.Funcs(template.FuncMap{
	"depsGraph": depsGraph,
	"depsGroup": depsGroup,
	"depsRAG":   chainRAG,
	"depsPos":   func(i int) int { return i + 1 },
	"depsEnd":   func(c *deps.Chain) string { return c.Items[len(c.Items)-1].Key },
	"depsDays":  func(p *float64) string { return strconv.FormatFloat(*p, 'f', 1, 64) },
}).ParseFS(templateFS, "templates/deps.html"))

// readDeps sets the dependency view of the portfolio, program and team
// pages (depsOf); on an error the pages show no dependency section, the
// error is logged and the report is still written.
func readDeps(ctx context.Context, w *warehouse.Warehouse, o Options, m *Model) {
	if err := depsOf(ctx, w, o, m); err != nil && o.Logger != nil && ctx.Err() == nil {
		o.Logger.Warn("report: no dependency view", "error", err.Error())
	}
}

// depsOf sets the dependency view (internal/deps) of the portfolio page
// (groups: programs), of every program page (groups: projects) and, with
// kpi.teams, of every team page, the program and portfolio pages grouped
// by team: one read of the warehouse, cut per scope. The same read gives
// the pages their RAID log (raid.BuildWithDeps: the relations both read
// are derived once; readRAID then reads nothing).
func depsOf(ctx context.Context, w *warehouse.Warehouse, o Options, m *Model) error {
	l, d, err := raid.BuildWithDeps(ctx, w, raid.Options{KPI: o.KPI, RAID: o.RAID, AsOf: m.AsOf}, deps.DefaultCycleWindow)
	if err != nil {
		return err
	}
	setRAID(m, l)
	loc, err := time.LoadLocation(cmpOr(o.KPI.TZ, "UTC"))
	if err != nil {
		return fmt.Errorf("kpi.tz: %w", err)
	}
	for _, s := range m.All() {
		if !s.Page || s.Kind == kpi.ScopeProject {
			continue
		}
		by := depsGrouping(s.Kind, len(o.KPI.Teams) > 0)
		r, err := deps.Compute(d, deps.Options{KPI: o.KPI, AsOf: m.AsOf, Scope: kpi.ScopeFilter{Kind: s.Kind, Name: s.Name}, GroupBy: by}, loc)
		if err != nil {
			return err
		}
		if !r.Empty() {
			s.Deps = &r
		}
	}
	return nil
}

// depsGrouping is the matrix's grouping on a page of kind: by team with
// kpi.teams (teams set), else programs on the portfolio page and projects
// on a program's.
func depsGrouping(kind string, teams bool) string {
	switch {
	case teams:
		return deps.GroupTeam
	case kind == kpi.ScopePortfolio:
		return deps.GroupProgram
	}
	return deps.GroupProject
}

// depsGraph draws the dependency graph of a page: a column per group, an
// arrow per open link (blocker → blocked), the critical chain in red, items
// at risk in amber, links inside a cycle dashed.
func depsGraph(s *Scope) *Chart {
	r := s.Deps
	if r == nil || len(r.Edges) == 0 {
		return nil
	}
	onChain := map[string]bool{}
	chainLink := map[[2]string]bool{}
	if r.Chain != nil {
		for i, it := range r.Chain.Items {
			onChain[it.Key] = true
			if i+1 < len(r.Chain.Items) {
				chainLink[[2]string{it.Key, r.Chain.Items[i+1].Key}] = true
			}
		}
	}
	// The chain's items first, then the others, up to depsGraphNodes.
	var nodes []deps.Node
	for _, pass := range []bool{true, false} {
		for _, n := range r.Nodes {
			if onChain[n.Key] == pass && len(nodes) < depsGraphNodes {
				nodes = append(nodes, n)
			}
		}
	}
	// A column per group; the chain's items on rows by their place in
	// the chain (it reads top-down), the others below.
	shown := map[string]bool{}
	var groups []string
	col, next := map[string]int{}, map[string]int{}
	chainAt := map[string]int{}
	if r.Chain != nil {
		for i, it := range r.Chain.Items {
			chainAt[it.Key] = i
		}
	}
	for _, n := range nodes {
		shown[n.Key] = true
		if _, ok := col[n.Group]; !ok {
			col[n.Group] = len(groups)
			groups = append(groups, n.Group)
			next[n.Group] = len(chainAt)
		}
	}
	var gn []opts.GraphNode
	rows := 0
	for _, n := range nodes {
		row, ok := chainAt[n.Key]
		if !ok || !onChain[n.Key] {
			row = next[n.Group]
			next[n.Group]++
		}
		rows = max(rows, row+1)
		// Positions start away from 0: go-echarts omits a zero x or y. Rows
		// off the chain are staggered by column, so that a straight link
		// does not run through a node of a column between its ends.
		x, y := float32(80+col[n.Group]*240), float32(40+row*44)
		if !onChain[n.Key] {
			y += float32(col[n.Group]%2) * 18
		}
		node := opts.GraphNode{Name: n.Key, X: x, Y: y, Category: col[n.Group], SymbolSize: 14,
			Tooltip: &opts.Tooltip{Show: opts.Bool(true), Formatter: types.FuncStr(nodeTip(n))}}
		switch {
		case onChain[n.Key]:
			node.SymbolSize = 20
			node.ItemStyle = &opts.ItemStyle{BorderColor: colRed, BorderWidth: 3}
		case n.AtRisk:
			node.ItemStyle = &opts.ItemStyle{BorderColor: colAmber, BorderWidth: 3}
		}
		gn = append(gn, node)
	}
	var links []opts.GraphLink
	for _, e := range r.Edges {
		if !shown[e.From] || !shown[e.To] {
			continue
		}
		days := "unknown"
		if e.DaysBlocked != nil {
			days = fmt.Sprint(*e.DaysBlocked)
		}
		l := opts.GraphLink{Source: e.From, Target: e.To, LineStyle: &opts.LineStyle{Color: colSlate, Width: 1.2, Opacity: opts.Float(0.7)}}
		if chainLink[[2]string{e.From, e.To}] {
			l.LineStyle = &opts.LineStyle{Color: colRed, Width: 3}
			l.Label = &opts.EdgeLabel{Show: opts.Bool(true), Formatter: days + " d", Color: colRed, FontSize: 11}
		}
		if e.InCycle {
			l.LineStyle.Type = "dashed"
		}
		links = append(links, l)
	}
	cats := make([]*opts.GraphCategory, len(groups))
	for i, g := range groups {
		cats[i] = &opts.GraphCategory{Name: depsGroup(r, g)}
	}
	id := "c_" + safeID(s.Slug) + "_deps"
	height := fmt.Sprintf("%dpx", max(240, 150+rows*44))
	g := charts.NewGraph()
	g.SetGlobalOptions(
		initOpts(id, height),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		// The legend below: nodes start at the top.
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Type: "scroll", Bottom: "0", Left: "center", ItemWidth: 18, ItemHeight: 10}),
		charts.WithAnimation(false),
	)
	g.AddSeries("dependencies", gn, links,
		charts.WithGraphChartOpts(opts.GraphChart{Layout: "none", Roam: opts.Bool(true), EdgeSymbol: []string{"none", "arrow"},
			EdgeSymbolSize: 8, Categories: cats}),
		charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "right", FontSize: 11, Color: "#334155"}),
	)
	sub := fmt.Sprintf("%d open links between %d issues", len(r.Edges), len(r.Nodes))
	if len(nodes) < len(r.Nodes) {
		sub = fmt.Sprintf("%d of %d issues drawn (the critical chain first); pmo deps --format dot draws all", len(nodes), len(r.Nodes))
	}
	c := snippet(id, "Dependency graph", sub,
		"Each column is a group (a project, a program on the portfolio page, or a team when kpi.teams is set); an arrow goes from a blocker to the item it blocks. Red: the critical chain, labelled with the days each link has been open. Amber ring: an item at risk (a due date or an active sprint, blocked by open work). Dashed: a link inside a cycle. Drag or zoom to read a crowded graph.", g)
	return &c
}

func nodeTip(n deps.Node) string {
	tip := n.Key + " · " + n.Status
	if n.Due != "" {
		tip += " · due " + n.Due
	}
	if n.SprintEnd != "" {
		tip += " · sprint ends " + n.SprintEnd
	}
	return template.HTMLEscapeString(tip)
}

func safeID(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// chainRAG colours a critical chain's verdict.
func chainRAG(verdict string) RAG {
	switch verdict {
	case deps.Makes:
		return Green
	case deps.Misses:
		return Red
	}
	return Amber
}

// depsGroup names a group on a page: a project without its source when
// every project of the view comes from one source ("APO", not
// "jira/APO"); programs as they are.
func depsGroup(r *deps.Report, g string) string {
	if r == nil || r.Matrix.GroupBy != deps.GroupProject {
		return g
	}
	src, key, ok := strings.Cut(g, "/")
	if !ok {
		return g
	}
	for _, n := range r.Nodes {
		if !strings.HasPrefix(n.Group, src+"/") {
			return g
		}
	}
	if r.Chain != nil {
		for _, it := range r.Chain.Items {
			if !strings.HasPrefix(it.Group, src+"/") {
				return g
			}
		}
	}
	return key
}
