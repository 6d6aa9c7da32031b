package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
)

// chartScope is a program page with what made the charts unreadable: 12
// sprints of several projects whose names already carry the project key
// (and one that does not), 25 aging items in all three SLE bands, a
// burn-up with two forecast lines, trends.
func chartScope() (*Scope, *Model) {
	asOf := time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
	s := &Scope{Kind: kpi.ScopeProgram, Name: "Digital Platform", Label: "Digital Platform", Slug: "program-digital-platform"}
	for i := range 12 {
		w := asOf.AddDate(0, 0, -7*(12-i))
		s.Series.Weeks = append(s.Series.Weeks, w)
		s.Series.Throughput = append(s.Series.Throughput, 3+i%4)
		s.Series.Created = append(s.Series.Created, 4)
		s.Series.Resolved = append(s.Series.Resolved, 3)
		s.Series.CFDNew = append(s.Series.CFDNew, 40)
		s.Series.CFDProgress = append(s.Series.CFDProgress, 10)
		s.Series.CFDDone = append(s.Series.CFDDone, 100+3*i)
		s.Series.CycleTimes = append(s.Series.CycleTimes, CyclePoint{Key: fmt.Sprintf("APO-%d", i), Done: w, Days: float64(2 + i)})
	}
	s.Series.P50, s.Series.P85, s.Series.P95 = 7, 12, 15
	s.Series.SLEDays = 12
	for i := range 30 {
		s.Series.Aging = append(s.Series.Aging, Item{Key: fmt.Sprintf("CAS-%d", 100+i), AgeDays: float64(40 - i*4/3)})
	}
	for i := range 12 {
		p := []string{"CAS", "APO", "BOR"}[i%3]
		name := fmt.Sprintf("%s Sprint %d", p, 41+i)
		if i == 11 {
			name = "Sprint 52 [hardening, Q1]" // no key in the name
		}
		s.Sprints = append(s.Sprints, kpi.SprintReport{Project: p, Sprint: name, Commitment: 10, Completed: 8})
	}
	trend := []Point{{At: asOf.AddDate(0, 0, -14), Value: 0.5}, {At: asOf.AddDate(0, 0, -7), Value: 0.6}, {At: asOf, Value: 0.7}}
	s.KPIs = []KPIRow{{ID: "sle_attainment", Name: "SLE met", Unit: "%", Trend: trend}}
	s.Forecast = &Forecast{
		Scope: []Point{{At: asOf.AddDate(0, 0, -7), Value: 400}, {At: asOf, Value: 420}},
		Done:  []Point{{At: asOf.AddDate(0, 0, -7), Value: 370}, {At: asOf, Value: 385}},
		Lines: []ForecastLine{{Label: "P50", Date: asOf.AddDate(0, 2, 0)}, {Label: "P85", Date: asOf.AddDate(0, 2, 10)}},
	}
	m := &Model{Title: "PMO", AsOf: asOf, GeneratedAt: asOf, TZ: time.UTC, Portfolio: s}
	return s, m
}

// chartOptions decodes the ECharts option object of a rendered chart.
func chartOptions(t *testing.T, c Chart) map[string]any {
	t.Helper()
	script := string(c.Script)
	marker := "let option_" + c.ID + " = "
	i := strings.Index(script, marker)
	if i < 0 {
		t.Fatalf("%s: no %q in the script", c.ID, marker)
	}
	var o map[string]any
	if err := json.NewDecoder(strings.NewReader(script[i+len(marker):])).Decode(&o); err != nil {
		t.Fatalf("%s: chart options are not JSON: %v", c.ID, err)
	}
	return o
}

// get walks decoded JSON: get(o, "xAxis", 0, "axisLabel", "rotate").
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case string:
		var f float64
		fmt.Sscan(x, &f)
		return f
	}
	return 0
}

// TestChartLayout pins the chart fixes of issue 12 (defect 6) in the options
// every chart gets.
func TestChartLayout(t *testing.T) {
	s, m := chartScope()
	got := map[string]map[string]any{}
	for _, c := range scopeCharts(s, m) {
		got[strings.TrimPrefix(c.ID, "c_program_digital_platform_")] = chartOptions(t, c)
	}
	for _, name := range []string{"throughput", "cycle", "cfd", "created", "aging", "velocity", "trend", "burnup"} {
		if got[name] == nil {
			t.Fatalf("no %s chart among %v", name, slices.Collect(maps.Keys(got)))
		}
	}

	t.Run("legend is one line above the plot", func(t *testing.T) {
		for name, o := range got {
			if typ, top := get(o, "legend", "type"), get(o, "legend", "top"); typ != "scroll" || top != "0" {
				t.Errorf("%s: legend type %v top %v; want a one-line scroll legend at the top", name, typ, top)
			}
			grids, _ := o["grid"].([]any)
			if len(grids) != 1 {
				t.Fatalf("%s: %d grids, want 1", name, len(grids))
			}
			need := float64(legendHeight)
			if yName, _ := get(o, "yAxis", 0, "name").(string); yName != "" {
				need += 15 + 12 // the axis name above the grid: nameGap and text
			}
			if top := num(get(o, "grid", 0, "top")); top < need {
				t.Errorf("%s: grid top %v px, want ≥ %v (legend%s)", name, top, need, map[bool]string{true: " and y-axis name"}[need > legendHeight])
			}
			if get(o, "grid", 0, "containLabel") != true {
				t.Errorf("%s: axis labels outside the grid", name)
			}
		}
	})

	t.Run("every sprint and item labelled", func(t *testing.T) {
		for _, name := range []string{"velocity", "aging"} {
			al := get(got[name], "xAxis", 0, "axisLabel")
			if get(al, "interval") != "0" {
				t.Errorf("%s: axis label interval %v, want 0 (every bar named)", name, get(al, "interval"))
			}
			if num(get(al, "rotate")) <= 0 || get(al, "overflow") != "truncate" || num(get(al, "width")) <= 0 {
				t.Errorf("%s: axis labels %v, want turned and cut to a width", name, al)
			}
		}
		var names []string
		for _, v := range get(got["velocity"], "xAxis", 0, "data").([]any) {
			names = append(names, v.(string))
		}
		want := []string{"CAS Sprint 41", "APO Sprint 42", "BOR Sprint 43", "CAS Sprint 44", "APO Sprint 45", "BOR Sprint 46",
			"CAS Sprint 47", "APO Sprint 48", "BOR Sprint 49", "CAS Sprint 50", "APO Sprint 51", "BOR Sprint 52 [hardening, Q1]"}
		if !slices.Equal(names, want) {
			t.Errorf("velocity labels %q, want %q", names, want)
		}
	})

	t.Run("aging legend colours are the bars' colours", func(t *testing.T) {
		series := get(got["aging"], "series").([]any)
		wantBands := map[string]string{"Older than the SLE": colRed, "Past 70 % of the SLE": colAmber, "Within 70 % of the SLE": colGreen}
		bars := 0
		for _, sr := range series {
			name, _ := get(sr, "name").(string)
			color, _ := get(sr, "itemStyle", "color").(string)
			if wantBands[name] != color {
				t.Errorf("aging series %q has colour %q, want %q", name, color, wantBands[name])
			}
			if get(sr, "stack") != "age" {
				t.Errorf("aging series %q not stacked: its bars would sit beside their item", name)
			}
			for i, d := range get(sr, "data").([]any) {
				if get(d, "value") == "-" {
					continue
				}
				bars++
				if c := get(d, "itemStyle", "color"); c != nil && c != color {
					t.Errorf("aging series %q: bar %d coloured %v, the legend shows %s", name, i, c, color)
				}
				age := num(get(d, "value"))
				if band, _ := agingBand(age, s.Series.SLEDays); band != name {
					t.Errorf("bar %d (%.0f days) in %q, want %q", i, age, name, band)
				}
			}
			delete(wantBands, name)
		}
		if len(wantBands) > 0 || bars != 25 {
			t.Errorf("%d bars; bands missing: %v", bars, wantBands)
		}
	})

	t.Run("date labels do not collide", func(t *testing.T) {
		for _, name := range []string{"cycle", "trend", "burnup"} {
			x := get(got[name], "xAxis", 0)
			al := get(x, "axisLabel")
			if get(x, "type") != "time" || get(al, "hideOverlap") != true || get(al, "showMinLabel") != false || get(al, "showMaxLabel") != false {
				t.Errorf("%s: x axis %v; want a time axis hiding overlaps, without the extent labels", name, x)
			}
			if n := num(get(x, "splitNumber")); n == 0 || n > 5 {
				t.Errorf("%s: splitNumber %v, want 1–5 labels' worth", name, get(x, "splitNumber"))
			}
		}
	})

	t.Run("burn-up legend", func(t *testing.T) {
		var legend []string
		for _, v := range get(got["burnup"], "legend", "data").([]any) {
			legend = append(legend, v.(string))
		}
		if want := []string{"Scope", "Done", "P50 finish 30 Aug", "P85 finish 9 Sep"}; !slices.Equal(legend, want) {
			t.Errorf("burn-up legend %q, want %q", legend, want)
		}
	})
}

func TestSprintLabel(t *testing.T) {
	for _, tc := range []struct{ project, sprint, want string }{
		{"CAS", "CAS Sprint 49", "CAS Sprint 49"},
		{"CAS", "Sprint 49", "CAS Sprint 49"},
		{"CAS", "cas-sprint-49", "cas-sprint-49"},
		{"CAS", "CASPER Sprint 1", "CAS CASPER Sprint 1"},
		{"APO", "Team Apollo: APO 2025.3", "Team Apollo: APO 2025.3"},
		{"", "Sprint 3", "Sprint 3"},
	} {
		if got := sprintLabel(tc.project, tc.sprint); got != tc.want {
			t.Errorf("sprintLabel(%q, %q) = %q, want %q", tc.project, tc.sprint, got, tc.want)
		}
	}
}

// TestWideTablesScroll: every table of a page sits in a wrapper that scrolls
// sideways (the 17-column tables do not fit 800 px), and the first column
// (the scope) stays in view while it scrolls.
func TestWideTablesScroll(t *testing.T) {
	css, err := os.ReadFile("templates/report.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range []string{`.scroll{overflow-x:auto`, `table.rag tr>:first-child{position:sticky;left:0`} {
		if !bytes.Contains(css, []byte(rule)) {
			t.Errorf("report.css has no %q", rule)
		}
	}
	s, m := chartScope()
	s.Risks = []Item{{Key: "CAS-1", Summary: "x", AgeDays: 30}}
	s.Hygiene = []KPIRow{{ID: "field_completeness", Name: "Estimate set"}}
	s.Children = []*Scope{{Kind: kpi.ScopeProject, Label: "CAS", Slug: "p", KPIs: s.KPIs}}
	s.Explain = map[string][]Item{"sle_attainment": {{Key: "CAS-1"}}}
	for _, explain := range []bool{false, true} {
		var b bytes.Buffer
		if err := RenderPage(&b, m, s, explain); err != nil {
			t.Fatal(err)
		}
		html := b.String()
		tables := regexp.MustCompile(`<table`).FindAllStringIndex(html, -1)
		if len(tables) == 0 {
			t.Fatalf("explain=%v: no table", explain)
		}
		for _, at := range tables {
			before := strings.TrimRight(html[:at[0]], " \n\t")
			if !strings.HasSuffix(before, `<div class="scroll">`) {
				t.Errorf("explain=%v: a table not in a scroll wrapper: …%s", explain, before[max(0, len(before)-80):])
			}
		}
	}
}
