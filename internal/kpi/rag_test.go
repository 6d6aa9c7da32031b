package kpi

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestThresholdParsing (moved from the exporter, extended): the catalog
// notation, ASCII spellings, percentages, comments and relative bounds.
func TestThresholdParsing(t *testing.T) {
	refs := map[string]float64{refSLEDays: 8, refSLEPercentile: 0.85, refMean26w: 10}
	tests := []struct {
		in   string
		x    float64
		want bool
		ok   bool // parsed as a condition
	}{
		{"≤ 0.15", 0.15, true, true},
		{"< 0.02", 0.02, false, true},
		{"> 0.90", 0.9, false, true},
		{"≥ 1.0", 1, true, true},
		{"0.15–0.30", 0.3, true, true},
		{"0.7–0.9 or 1.1–1.3", 1.2, true, true},
		{"0.7–0.9 or 1.1–1.3", 1.0, false, true},
		{">= 0.9", 0.9, true, true},
		{"<= 2", 2.5, false, true},
		{"0.6-0.9", 0.75, true, true},
		{"-0.5-0.5", -0.2, true, true},
		{"≥ 90 %", 0.9, true, true},
		{"1–2 or > 4 (waste)", 5, true, true},
		{"≤ team SLE", 8, true, true},
		{"> team SLE", 8, false, true},
		{"≥ sle.percentile", 0.85, true, true},
		{"≥ sle.percentile − 0.10", 0.76, true, true},
		{"≥ sle.percentile - 0.10", 0.74, false, true},
		{"≥ 75 % of the 26-week mean", 7.5, true, true},
		{"50–75 % of the 26-week mean", 6, true, true},
		{"50–75 % of the 26-week mean", 4.9, false, true},
		{"< 50 % of the 26-week mean", 4.9, true, true},
		{"otherwise", 0, false, false},
		{"otherwise (forecasts unreliable)", 0, false, false},
		{"below", 0, false, false},
		{"", 0, false, false},
	}
	for _, tt := range tests {
		c, err := parseCondition(tt.in)
		if err != nil {
			t.Errorf("parseCondition(%q): %v", tt.in, err)
			continue
		}
		if (c != nil) != tt.ok {
			t.Errorf("parseCondition(%q) is a condition = %v, want %v", tt.in, c != nil, tt.ok)
			continue
		}
		if c == nil {
			continue
		}
		in, ok := c.matches(tt.x, refs)
		if !ok || in != tt.want {
			t.Errorf("%q matches %v = %v (refs known %v), want %v", tt.in, tt.x, in, ok, tt.want)
		}
	}
	for _, bad := range []string{"about 0.9", "≥ ninety", "0.9–0.6", "≥ 0.9 or", "≤ team velocity", "≥ team SLE of the 26-week mean"} {
		if _, err := parseCondition(bad); err == nil {
			t.Errorf("parseCondition(%q) = nil error, want one", bad)
		}
	}
	// A relative bound without its reference is not rated.
	c, _ := parseCondition("≤ team SLE")
	if _, ok := c.matches(3, nil); ok {
		t.Error("≤ team SLE without an SLE: rated, want unrated")
	}
}

// TestRate rates values with the catalog's bands: boundaries, in-band
// KPIs, labels that select a band, relative thresholds, NULL.
func TestRate(t *testing.T) {
	ev := NewEvaluator(nil)
	refs := map[string]float64{refSLEDays: 8, refSLEPercentile: 0.85}
	tests := []struct {
		kpi, labels string
		x           *float64
		refs        map[string]float64
		want        *RAG
	}{
		{"say_do_ratio", "board=B,variant=points", fptr(0.55), nil, ragPtr(Red)},
		{"say_do_ratio", "variant=count", fptr(0.55), nil, nil}, // no band for counts
		{"wip", "measure=per_assignee", fptr(2.5), nil, ragPtr(Amber)},
		{"wip", "measure=count", fptr(25), nil, nil},
		{"reopen_rate", "", fptr(0.10), nil, ragPtr(Red)}, // red at the red boundary
		{"reopen_rate", "", fptr(0.0199), nil, ragPtr(Green)},
		{"field_completeness", "field=composite", fptr(0.95), nil, ragPtr(Green)},
		{"field_completeness", "field=estimate", fptr(0.90), nil, ragPtr(Amber)},
		{"arrival_departure_ratio", "measure=ratio", fptr(1.2), nil, ragPtr(Amber)},
		{"arrival_departure_ratio", "measure=ratio", fptr(1.5), nil, ragPtr(Red)},
		{"arrival_departure_ratio", "measure=littles_law_quotient", fptr(1.5), nil, ragPtr(Red)},
		{"velocity_variability", "sprint=S,measure=predictability", fptr(1.0), nil, ragPtr(Green)},
		{"risk_exposure", "measure=amber_flags", fptr(2), nil, ragPtr(Amber)},
		{"backlog_readiness", "", fptr(5), nil, ragPtr(Amber)},
		{"backlog_readiness", "measure=ready_points", fptr(5), nil, nil},
		{"portfolio_rag", "measure=rag", fptr(1), nil, ragPtr(Amber)},
		{"cycle_time", "method=nr,quantile=0.85,unit=dc", fptr(8), refs, ragPtr(Green)},
		{"cycle_time", "method=nr,quantile=0.85,unit=dc", fptr(9), refs, ragPtr(Red)},
		{"cycle_time", "method=nr,quantile=0.85,unit=dc", fptr(9), nil, nil}, // no SLE known
		{"sle_attainment", "measure=ratio", fptr(0.80), refs, ragPtr(Amber)},
		{"sle_attainment", "measure=ratio", fptr(0.70), refs, ragPtr(Red)},
		{"throughput", "measure=per_week", fptr(6), map[string]float64{refMean26w: 10}, ragPtr(Amber)},
		{"throughput", "measure=per_week", fptr(6), nil, nil}, // no 26-week mean
		{"monte_carlo_forecast", "measure=how_many", fptr(6), nil, nil},
		{"reopen_rate", "", nil, nil, nil},
	}
	for _, tt := range tests {
		v := Value{KPI: tt.kpi, Labels: ParseLabels(tt.labels), Value: tt.x}
		got := ev.Rate(v, tt.refs)
		if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
			t.Errorf("%s{%s} = %v: RAG %v, want %v", tt.kpi, tt.labels, FormatValue(tt.x), ragText(got, "unrated"), ragText(tt.want, "unrated"))
		}
	}
}

// TestOverrides: an override replaces the band with the same applies (in
// any spelling), adds one otherwise, and scope overrides merge on top of
// the defaults.
func TestOverrides(t *testing.T) {
	dd := Value{KPI: "due_date_adherence", Labels: Labels{"measure": "on_time_ratio"}, Value: fptr(0.85)}
	if r := NewEvaluator(nil).Rate(dd, nil); r == nil || *r != Amber {
		t.Fatalf("catalog: due_date_adherence 0.85 = %v, want amber", ragText(r, "unrated"))
	}
	cfg := DefaultConfig()
	cfg.Thresholds = map[string][]ThresholdBand{"due_date_adherence": {{Applies: " measure = on_time_ratio", Green: ">= 0.8", Amber: "0.5-0.8", Red: "< 0.5"}}}
	cfg.Scopes = []ScopeConfig{{Kind: ScopeProject, Name: "STRICT", Knobs: Knobs{Thresholds: map[string][]ThresholdBand{
		"due_date_adherence": {{Applies: "measure=on_time_ratio", Green: "≥ 0.95", Amber: "0.9–0.95"}},
		"wip":                {{Applies: "measure=count", Green: "≤ 10", Amber: "10–20", Red: "> 20"}},
	}}}}
	if errs := cfg.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	s := Snapshot{}
	for _, scope := range []string{"jira/LAX", "jira/STRICT"} {
		for _, v := range []Value{dd,
			{KPI: "wip", Labels: Labels{"measure": "count"}, Value: fptr(15)},
			{KPI: "wip", Labels: Labels{"measure": "per_assignee"}, Value: fptr(2.5)},
		} {
			v.ScopeKind, v.Scope = ScopeProject, scope
			s.Values = append(s.Values, v)
		}
	}
	cfg.Rate(&s)
	want := []string{"green", "unrated", "amber", "red", "amber", "amber"}
	for i, v := range s.Values {
		if got := ragText(v.RAG, "unrated"); got != want[i] {
			t.Errorf("%s %s{%s} = %v: %s, want %s", v.Scope, v.KPI, v.Labels, *v.Value, got, want[i])
		}
	}
}

// TestCatalogThresholdsEvaluable: every catalog threshold is evaluable by
// the engine or explicitly marked as not evaluated, and applies only to
// labels its KPI emits.
func TestCatalogThresholdsEvaluable(t *testing.T) {
	for _, d := range Catalog {
		for i, th := range d.Thresholds {
			b, err := parseBand(ThresholdBand{Applies: th.Applies, Green: th.Green, Amber: th.Amber, Red: th.Red})
			if why := th.Unrated; why != "" {
				if err == nil && th.Unrated == "" {
					t.Errorf("%s threshold %d (%s) is marked not rated (%s) but is evaluable", d.ID, i, th.Applies, why)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s threshold %d (%s) is neither evaluable nor marked Unrated: %v", d.ID, i, th.Applies, err)
				continue
			}
			if err := checkApplies(d, b.applies, b.noLabels); err != nil {
				t.Errorf("%s threshold %d: %v", d.ID, i, err)
			}
		}
	}
}

func TestValidateThresholds(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Thresholds = map[string][]ThresholdBand{
		"due_date_adherance": {{Green: "≥ 0.9"}},
		"wip": {
			{Applies: "measure=per_assignee", Green: "about 2"},
			{Applies: "measure=per_person", Green: "≤ 2"},
			{Applies: "team=x", Green: "≤ 2"},
			{Applies: "measure=count", Amber: "≤ 3"},
			{Applies: "measure=count", Green: "≤ 3"},
			{Applies: "measure=count", Green: "≤ 4"},
		},
	}
	cfg.Scopes = []ScopeConfig{{Kind: ScopeProject, Name: "A", Knobs: Knobs{Thresholds: map[string][]ThresholdBand{"reopen_rate": {{Applies: "(no labels)", Green: "< 0.1", Red: "≥ 0.3 or"}}}}}}
	var got []string
	for _, err := range cfg.Validate() {
		got = append(got, err.Error())
	}
	text := strings.Join(got, "\n")
	for _, want := range []string{
		`kpi.thresholds.due_date_adherance: "due_date_adherance" is not a KPI id (did you mean "due_date_adherence"?)`,
		`kpi.thresholds.wip[0].green: cannot read "about 2"`,
		`kpi.thresholds.wip[1].applies: wip never emits measure=per_person; use one of count, per_assignee, daily_average`,
		`kpi.thresholds.wip[2].applies: wip has no label "team"`,
		`kpi.thresholds.wip[3].green: missing`,
		`kpi.thresholds.wip[5].applies: "measure=count" repeats kpi.thresholds.wip[4]`,
		`kpi.scopes[0].thresholds.reopen_rate[0].red: cannot read`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q; got:\n%s", want, text)
		}
	}
}

func TestRAGJSON(t *testing.T) {
	v := Value{KPI: "reopen_rate", RAG: ragPtr(Amber)}
	b, err := json.Marshal(v)
	if err != nil || !strings.Contains(string(b), `"rag":"amber"`) {
		t.Fatalf("json = %s, %v", b, err)
	}
	var back Value
	if err := json.Unmarshal(b, &back); err != nil || back.RAG == nil || *back.RAG != Amber {
		t.Fatalf("round trip = %v, %v", back.RAG, err)
	}
	if err := json.Unmarshal([]byte(`{"rag":"blue"}`), &back); err == nil {
		t.Error("rag blue accepted")
	}
}
