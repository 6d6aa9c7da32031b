package report

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/render"
)

// AssetsDir is the folder, inside every report output, that holds the
// ECharts script; pages load it by this relative path (the go-echarts
// asset host), so a report works from disk without a network.
const AssetsDir = "assets"

// Palette: calm blues for volume, RAG colours for status.
const (
	colBlue    = "#2563eb"
	colSky     = "#93c5fd"
	colSlate   = "#64748b"
	colGreen   = "#16a34a"
	colAmber   = "#d97706"
	colRed     = "#dc2626"
	colNew     = "#cbd5e1"
	colDone    = "#86efac"
	colWorking = "#60a5fa"
)

// Chart is one rendered chart: its container and its script.
type Chart struct {
	ID, Title, Subtitle string
	Element, Script     template.HTML
	// Help explains how to read the chart.
	Help string
}

// scriptTag returns the go-echarts snippet's script with every '<' inside it
// written as \u003c: the options are JSON that go-echarts does not
// HTML-escape, and tracker strings (issue keys, names) must not end the
// script element.
func scriptTag(s string) template.HTML {
	const open, end = `<script type="text/javascript">`, `</script>`
	body := strings.TrimSpace(s)
	body = strings.TrimPrefix(body, open)
	body = strings.TrimSuffix(body, end)
	body = strings.ReplaceAll(body, "<", `\u003c`)
	return template.HTML(open + body + end)
}

func snippet(id, title, sub, help string, r render.Renderer) Chart {
	sn := r.RenderSnippet()
	return Chart{ID: id, Title: title, Subtitle: sub, Help: help, Element: template.HTML(sn.Element), Script: scriptTag(sn.Script)}
}

func initOpts(id, height string) charts.GlobalOpts {
	return charts.WithInitializationOpts(opts.Initialization{
		ChartID: id, Width: "100%", Height: height, AssetsHost: AssetsDir + "/", Renderer: "canvas",
		BackgroundColor: "#ffffff",
	})
}

// Chart layout. The legend is one line at the top: a "scroll" legend pages
// its entries instead of wrapping onto the plot when the panel is narrow. The
// grid starts below it, lower still when the y axis has a name (drawn above
// the axis). Axis labels are inside the grid (containLabel).
const (
	legendHeight = 24 // px: 12 px text, 10 px icons, 5 px padding
	gridTopPlain = legendHeight + 12
	// The y-axis name sits nameGap (15 px) above the grid with 12 px text.
	gridTopNamed = legendHeight + 15 + 12 + 9
)

// legend is the one-line legend every chart uses; names, when given, list
// the series shown in it (others are left out).
func legend(names ...string) opts.Legend {
	l := opts.Legend{Show: opts.Bool(true), Type: "scroll", Top: "0", Left: "center", ItemWidth: 18, ItemHeight: 10,
		Padding: 5, TextStyle: &opts.TextStyle{FontSize: 12}}
	if len(names) > 0 {
		l.Data = names
	}
	return l
}

// common is every chart's frame; yName is the y axis's name ("" for none),
// which needs room between the legend and the plot.
func common(id, height, yName string) []charts.GlobalOpts {
	top := gridTopPlain
	if yName != "" {
		top = gridTopNamed
	}
	return []charts.GlobalOpts{
		initOpts(id, height),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(legend()),
		charts.WithGridOpts(opts.Grid{Left: "3%", Right: "4%", Top: fmt.Sprint(top), Bottom: "12", ContainLabel: opts.Bool(true)}),
		charts.WithAnimation(false),
	}
}

// markLabel is the label of a reference line (median, percentiles, SLE) at
// its right end, on a white ground so it stays readable over bars and dots.
func markLabel(formatter string) *opts.Label {
	return &opts.Label{Show: opts.Bool(true), Position: "insideEndTop", Formatter: formatter,
		BackgroundColor: "rgba(255,255,255,0.85)", Padding: "1 3", BorderRadius: 3, Color: "#334155"}
}

// categoryAxis labels every category (interval 0): a bar without its name
// (a sprint, an issue key) cannot be read. Many or long names are turned
// and cut to a width with an ellipsis rather than skipped.
func categoryAxis(names []string) opts.XAxis {
	al := &opts.AxisLabel{Show: opts.Bool(true), Interval: "0", Width: 110, Overflow: "truncate", Ellipsis: "…"}
	long := 0
	for _, n := range names {
		long = max(long, len([]rune(n)))
	}
	if len(names) > 8 || len(names)*long > 60 {
		al.Rotate = 40
	}
	return opts.XAxis{Type: "category", AxisLabel: al, AxisTick: &opts.AxisTick{Show: opts.Bool(true), AlignWithLabel: opts.Bool(true), Interval: "0"}}
}

// sprintLabel names a sprint on a chart shared by several projects: the
// project key in front, unless the sprint's name has it already ("CAS
// Sprint 49", not "CAS CAS Sprint 49").
func sprintLabel(project, sprint string) string {
	if project == "" {
		return sprint
	}
	for _, w := range strings.FieldsFunc(sprint, func(r rune) bool { return r == ' ' || r == '-' || r == '_' || r == '/' || r == ':' }) {
		if strings.EqualFold(w, project) {
			return sprint
		}
	}
	return project + " " + sprint
}

// scopeCharts builds the charts of one scope page.
func scopeCharts(s *Scope, m *Model) []Chart {
	id := func(name string) string { return "c_" + strings.ReplaceAll(s.Slug, "-", "_") + "_" + name }
	se := s.Series
	weeks := make([]string, len(se.Weeks))
	for i, w := range se.Weeks {
		weeks[i] = w.Format("2 Jan")
	}
	var out []Chart

	// Throughput run chart with its median.
	tp := charts.NewBar()
	tp.SetGlobalOptions(common(id("throughput"), "300px", "")...)
	tp.SetXAxis(weeks).AddSeries("Items finished", barData(se.Throughput),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: colBlue, BorderRadius: "3"}),
		charts.WithMarkLineNameTypeItemOpts(opts.MarkLineNameTypeItem{Name: "Median", Type: "median"}),
		charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"}, LineStyle: &opts.LineStyle{Color: colSlate, Type: "dashed"},
			Label: markLabel("median {c}")}))
	out = append(out, snippet(id("throughput"), "Throughput", fmt.Sprintf("flow items finished per week · last %d weeks", len(se.Weeks)),
		"Bars: non-discarded items reaching done each week (Monday to Sunday, team time zone). Dashed line: the median week. Look for runs above or below the median rather than single weeks.", tp))

	// Cycle-time scatter with percentile lines.
	sc := charts.NewScatter()
	sc.SetGlobalOptions(append(common(id("cycle"), "300px", "days"),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithXAxisOpts(timeAxis),
		charts.WithYAxisOpts(opts.YAxis{Name: "days", Type: "value"}))...)
	pts := make([]opts.ScatterData, 0, len(se.CycleTimes))
	for _, c := range se.CycleTimes {
		pts = append(pts, opts.ScatterData{Name: c.Key, Value: []any{c.Done.UnixMilli(), c.Days}, SymbolSize: 9})
	}
	var lines []opts.MarkLineNameYAxisItem
	if len(pts) > 0 {
		lines = []opts.MarkLineNameYAxisItem{{Name: "P50", YAxis: se.P50}, {Name: "P85", YAxis: se.P85}, {Name: "P95", YAxis: se.P95}}
	}
	sc.AddSeries("Finished item", pts,
		charts.WithItemStyleOpts(opts.ItemStyle{Color: colBlue, Opacity: opts.Float(0.7)}),
		charts.WithMarkLineNameYAxisItemOpts(lines...),
		charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"}, LineStyle: &opts.LineStyle{Color: colAmber, Type: "dashed"},
			Label: markLabel("{b} {c} d")}))
	out = append(out, snippet(id("cycle"), "Cycle time", fmt.Sprintf("cycle_time, 12-week window: %d items · P85 %.0f days", len(se.CycleTimes), se.P85),
		"Each dot is a finished item: when it finished and how many calendar days (both ends counted) it took from start to done. Dashed lines: 50th, 85th and 95th percentiles — P85 is a fair promise for a single item.", sc))

	// Cumulative flow.
	cfd := charts.NewLine()
	cfd.SetGlobalOptions(common(id("cfd"), "300px", "")...)
	cfd.SetXAxis(weeks)
	for _, band := range []struct {
		name, color string
		v           []int
	}{{"Done", colDone, se.CFDDone}, {"In progress", colWorking, se.CFDProgress}, {"To do", colNew, se.CFDNew}} {
		cfd.AddSeries(band.name, lineData(band.v),
			charts.WithLineChartOpts(opts.LineChart{Stack: "cfd", ShowSymbol: opts.Bool(false)}),
			charts.WithAreaStyleOpts(opts.AreaStyle{Color: band.color, Opacity: opts.Float(0.85)}),
			charts.WithLineStyleOpts(opts.LineStyle{Color: band.color, Width: 1}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: band.color}))
	}
	out = append(out, snippet(id("cfd"), "Cumulative flow", fmt.Sprintf("flow items per status category at each week's end · last %d weeks", len(se.Weeks)),
		"Bands stack the items in To Do, In Progress and Done at the end of each week. A widening In Progress band means work starts faster than it finishes.", cfd))

	// Created vs resolved.
	cr := charts.NewBar()
	cr.SetGlobalOptions(common(id("created"), "300px", "")...)
	cr.SetXAxis(weeks).
		AddSeries("Created", barData(se.Created), charts.WithItemStyleOpts(opts.ItemStyle{Color: colSky, BorderRadius: "3"})).
		AddSeries("Resolved", barData(se.Resolved), charts.WithItemStyleOpts(opts.ItemStyle{Color: colBlue, BorderRadius: "3"}))
	out = append(out, snippet(id("created"), "Created vs resolved", fmt.Sprintf("flow items per week · last %d weeks", len(se.Weeks)),
		"Created: new items per week. Resolved: items reaching done (discarded included). More created than resolved week after week grows the backlog.", cr))

	// Aging work in progress: one series per colour band, so the legend
	// shows each band in the colour of its bars.
	aging := se.Aging
	if len(aging) > 25 {
		aging = aging[:25]
	}
	keys := make([]string, len(aging))
	for i, a := range aging {
		keys[i] = a.Key
	}
	ag := charts.NewBar()
	ag.SetGlobalOptions(append(common(id("aging"), "300px", "days"),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithXAxisOpts(categoryAxis(keys)),
		charts.WithYAxisOpts(opts.YAxis{Name: "days", Type: "value"}))...)
	ag.SetXAxis(keys)
	first := true
	for _, band := range agingBands(aging, se.SLEDays) {
		so := []charts.SeriesOpts{charts.WithBarChartOpts(opts.BarChart{Stack: "age"}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: band.color, BorderRadius: "3"})}
		if first && se.SLEDays > 0 {
			so = append(so, charts.WithMarkLineNameYAxisItemOpts(opts.MarkLineNameYAxisItem{Name: "SLE", YAxis: se.SLEDays}),
				charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"}, LineStyle: &opts.LineStyle{Color: colRed, Type: "dashed"},
					Label: markLabel("SLE {c} d")}))
		}
		first = false
		ag.AddSeries(band.name, band.bars, so...)
	}
	sub := fmt.Sprintf("wip now: %d items in progress", len(se.Aging))
	if len(se.Aging) > len(aging) {
		sub += fmt.Sprintf(" · oldest %d shown", len(aging))
	}
	out = append(out, snippet(id("aging"), "Aging work in progress", sub,
		"Each bar is an item in progress and its age in calendar days since it started. Red: older than the service-level expectation (dashed line); amber: past 70 % of it. Act on the red ones first.", ag))

	// Velocity: commitment vs completed.
	if len(s.Sprints) > 0 {
		sprints := s.Sprints
		if len(sprints) > 12 {
			sprints = sprints[len(sprints)-12:]
		}
		names := make([]string, len(sprints))
		var commit, done []opts.BarData
		for i, r := range sprints {
			names[i] = r.Sprint
			if s.Kind != "project" {
				names[i] = sprintLabel(r.Project, r.Sprint)
			}
			commit = append(commit, opts.BarData{Value: r.Commitment})
			done = append(done, opts.BarData{Value: r.Completed})
		}
		v := charts.NewBar()
		v.SetGlobalOptions(append(common(id("velocity"), "300px", "points"),
			charts.WithXAxisOpts(categoryAxis(names)),
			charts.WithYAxisOpts(opts.YAxis{Name: "points", Type: "value"}))...)
		v.SetXAxis(names).
			AddSeries("Committed", commit, charts.WithItemStyleOpts(opts.ItemStyle{Color: colSky, BorderRadius: "3"})).
			AddSeries("Completed", done, charts.WithItemStyleOpts(opts.ItemStyle{Color: colBlue, BorderRadius: "3"}))
		out = append(out, snippet(id("velocity"), "Velocity", "story points committed at sprint start vs completed",
			"Committed: points in the sprint when it started. Completed: points done by its close (sprint reconstruction, kpis.md C8).", v))
	}

	// KPI trends from kpi_values history.
	tr := charts.NewLine()
	tr.SetGlobalOptions(append(common(id("trend"), "300px", "%"),
		charts.WithXAxisOpts(timeAxis),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "%", Max: 100, Min: 0}))...)
	colors := []string{colBlue, colGreen, colAmber, colRed, colSlate}
	ci := 0
	for _, k := range s.KPIs {
		if k.Unit != "%" || len(k.Trend) < 2 || ci >= len(colors) {
			continue
		}
		data := make([]opts.LineData, len(k.Trend))
		for i, p := range k.Trend {
			data[i] = opts.LineData{Value: []any{p.At.UnixMilli(), round1(p.Value * 100)}}
		}
		tr.AddSeries(k.Name, data, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true)}),
			charts.WithLineStyleOpts(opts.LineStyle{Color: colors[ci], Width: 2}), charts.WithItemStyleOpts(opts.ItemStyle{Color: colors[ci]}))
		ci++
	}
	if ci > 0 {
		out = append(out, snippet(id("trend"), "KPI trends", "ratio KPIs over the report history (kpi_values)",
			"Each line is a stored KPI value at past as-of dates (pmo kpi backfill). Trends matter more than any single value.", tr))
	}

	// Burn-up with the Monte Carlo forecast.
	if f := s.Forecast; f != nil && len(f.Done) > 0 {
		out = append(out, burnupChart(id("burnup"), f))
	}
	if len(s.EVM) > 0 {
		e := charts.NewLine()
		e.SetGlobalOptions(append(common(id("evm"), "300px", "index"), charts.WithXAxisOpts(timeAxis),
			charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "index", Scale: opts.Bool(true)}))...)
		var spi, cpi []opts.LineData
		for _, p := range s.EVM {
			if !math.IsNaN(p.SPI) {
				spi = append(spi, opts.LineData{Value: []any{p.At.UnixMilli(), round2(p.SPI)}})
			}
			if !math.IsNaN(p.CPI) {
				cpi = append(cpi, opts.LineData{Value: []any{p.At.UnixMilli(), round2(p.CPI)}})
			}
		}
		line := func(c string) []charts.SeriesOpts {
			return []charts.SeriesOpts{charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true)}),
				charts.WithLineStyleOpts(opts.LineStyle{Color: c, Width: 2}), charts.WithItemStyleOpts(opts.ItemStyle{Color: c})}
		}
		e.AddSeries("SPI", spi, append(line(colBlue), charts.WithMarkLineNameYAxisItemOpts(opts.MarkLineNameYAxisItem{Name: "on plan", YAxis: 1}),
			charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"}, LineStyle: &opts.LineStyle{Color: colSlate, Type: "dashed"}}))...).
			AddSeries("CPI", cpi, line(colAmber)...)
		sub, help := "SPI and CPI over the report history (kpi_values) · mode agile: AgileEVM in story points",
			"Schedule (EV/PV) and cost (EV/AC) performance indices, AgileEVM from the configured release baseline: 1.0 is on plan, below 1 behind schedule or over cost."
		if s.EVM[len(s.EVM)-1].Mode == "effort" {
			sub, help = "SPI and CPI over the report history (kpi_values) · mode effort: hours against a frozen baseline",
				"Schedule (EV/PV) and cost (EV/AC) performance indices, EVM in hours against the frozen baseline named by the scope's evm.baseline (pmo baseline create; 0/100 rule: an item earns its original estimate when done): 1.0 is on plan, below 1 behind schedule or over cost."
		}
		out = append(out, snippet(id("evm"), "Earned value", sub, help, e))
	}
	return out
}

func barData(xs []int) []opts.BarData {
	out := make([]opts.BarData, len(xs))
	for i, x := range xs {
		out[i] = opts.BarData{Value: x}
	}
	return out
}

func lineData(xs []int) []opts.LineData {
	out := make([]opts.LineData, len(xs))
	for i, x := range xs {
		out[i] = opts.LineData{Value: x}
	}
	return out
}

func pointData(ps []Point) []opts.LineData {
	out := make([]opts.LineData, len(ps))
	for i, p := range ps {
		out[i] = opts.LineData{Value: []any{p.At.UnixMilli(), p.Value}}
	}
	return out
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// burnupChart draws cumulative scope and done per week and, when the
// snapshot has a Monte Carlo forecast, a dashed projection from today's
// done count to the scope at each forecast finish date.
func burnupChart(cid string, f *Forecast) Chart {
	b := charts.NewLine()
	b.SetGlobalOptions(append(common(cid, "300px", "items"), charts.WithXAxisOpts(timeAxis),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "items"}))...)
	b.AddSeries("Scope", pointData(f.Scope), charts.WithLineChartOpts(opts.LineChart{Step: "end"}),
		charts.WithLineStyleOpts(opts.LineStyle{Color: colSlate, Width: 2}), charts.WithItemStyleOpts(opts.ItemStyle{Color: colSlate}))
	b.AddSeries("Done", pointData(f.Done), charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true)}),
		charts.WithAreaStyleOpts(opts.AreaStyle{Color: colSky, Opacity: opts.Float(0.35)}),
		charts.WithLineStyleOpts(opts.LineStyle{Color: colBlue, Width: 2}), charts.WithItemStyleOpts(opts.ItemStyle{Color: colBlue}))
	lines := f.Lines
	if len(lines) == 0 {
		for _, l := range []ForecastLine{{Label: "P50", Date: f.P50}, {Label: "P85", Date: f.P85}} {
			if !l.Date.IsZero() {
				lines = append(lines, l)
			}
		}
	}
	var sub string
	shown := []string{"Scope", "Done"} // the legend; "Scope (today)" continues Scope
	if len(lines) == 0 {
		sub = cmpOr(f.Note, noForecast)
	} else {
		last, scope := f.Done[len(f.Done)-1], f.Scope[len(f.Scope)-1]
		colors := []string{colGreen, colAmber, colRed}
		for i, l := range lines {
			c := colors[i%len(colors)]
			at := l.Date
			if at.Before(last.At) {
				at = last.At
			}
			data := []opts.LineData{{Value: []any{last.At.UnixMilli(), last.Value}}, {Value: []any{at.UnixMilli(), scope.Value}, Symbol: "diamond", SymbolSize: 12}}
			name := l.Label + " finish " + l.Date.Format("2 Jan")
			shown = append(shown, name)
			b.AddSeries(name, data, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true)}),
				charts.WithLineStyleOpts(opts.LineStyle{Color: c, Width: 2, Type: "dashed"}), charts.WithItemStyleOpts(opts.ItemStyle{Color: c}))
			if i > 0 {
				sub += " · "
			}
			sub += l.Label + " finish " + l.Date.Format("2 Jan 2006")
		}
		if f.Backlog > 0 {
			sub += fmt.Sprintf(" · %d open items", f.Backlog)
		}
		// The scope held flat to the latest forecast date.
		end := lines[len(lines)-1].Date
		for _, l := range lines {
			if l.Date.After(end) {
				end = l.Date
			}
		}
		if end.After(scope.At) {
			b.AddSeries("Scope (today)", []opts.LineData{{Value: []any{scope.At.UnixMilli(), scope.Value}}, {Value: []any{end.UnixMilli(), scope.Value}}},
				charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)}),
				charts.WithLineStyleOpts(opts.LineStyle{Color: colSlate, Width: 1, Type: "dotted"}), charts.WithItemStyleOpts(opts.ItemStyle{Color: colSlate}))
		}
	}
	b.SetGlobalOptions(charts.WithLegendOpts(legend(shown...)))
	return snippet(cid, "Burn-up and forecast", sub,
		"Scope: flow items created by each week's end; Done: those finished (discarded items left out of both). The dashed lines project the open backlog to its Monte Carlo finish dates (monte_carlo_forecast, when_days after the last complete day, from the daily throughput history): P50 is as likely early as late, the other line is the commitment level mc_confidence (default P85). Scope growth is not forecast.", b)
}

// timeAxis labels dates as "3 Mar" at about four nice instants (half
// months, months), hiding labels that would overlap. The axis's own ends are
// not labelled: ECharts puts them beside the nearest nice tick ("10 Apr 17
// Apr", "22 Jun27 Jun").
var timeAxis = opts.XAxis{Type: "time", SplitNumber: 4, AxisLabel: &opts.AxisLabel{HideOverlap: opts.Bool(true), Formatter: "{d} {MMM}",
	ShowMinLabel: opts.Bool(false), ShowMaxLabel: opts.Bool(false)}}

// agingBand is where an item of age days stands against the SLE: its legend
// name and colour (red past the SLE, amber past 70 % of it, green below).
// Without an SLE every item is one plain band.
func agingBand(age, sle float64) (name, color string) {
	switch {
	case sle <= 0:
		return "Age in progress", colBlue
	case age > sle:
		return "Older than the SLE", colRed
	case age > 0.7*sle:
		return "Past 70 % of the SLE", colAmber
	}
	return "Within 70 % of the SLE", colGreen
}

type agingSeries struct {
	name, color string
	bars        []opts.BarData
}

// agingBands splits the aging bars into one series per band (worst first),
// each with a value at its items' places and "-" (no bar) elsewhere; stacked,
// the bars stay centred on their item.
func agingBands(items []Item, sle float64) []agingSeries {
	var out []agingSeries
	at := map[string]int{}
	for i, a := range items {
		name, color := agingBand(a.AgeDays, sle)
		k, ok := at[name]
		if !ok {
			k = len(out)
			at[name] = k
			bars := make([]opts.BarData, len(items))
			for j := range bars {
				bars[j] = opts.BarData{Value: "-"}
			}
			out = append(out, agingSeries{name: name, color: color, bars: bars})
		}
		out[k].bars[i] = opts.BarData{Name: a.Key, Value: a.AgeDays}
	}
	rank := map[string]int{colRed: 0, colAmber: 1, colGreen: 2, colBlue: 3}
	slices.SortStableFunc(out, func(a, b agingSeries) int { return rank[a.color] - rank[b.color] })
	return out
}
