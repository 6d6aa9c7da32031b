package exporter

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pmo-oss/pmo/internal/kpi"
)

// catalogValues expands the label sets the catalog says each KPI emits
// (Definition.Values, e.g. "method=nr|r7,quantile=0.5|0.85,unit=dc") into
// one value per combination, so a test sees every metric the exporter can
// make from the engine's output. Placeholders (…, <version>) get a sample.
func catalogValues(t *testing.T) []kpi.Value {
	t.Helper()
	at := time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
	one := 1.0
	var out []kpi.Value
	for _, d := range kpi.Catalog {
		patterns := d.Values
		if len(patterns) == 0 {
			patterns = []string{""}
		}
		for _, p := range patterns {
			p = strings.ReplaceAll(p, " with ", ",")
			if i := strings.IndexAny(p, " ("); i >= 0 {
				p = p[:i] // "measure=count (snapshot)", "(no labels): sprints"
			}
			sets := []kpi.Labels{{}}
			if p != "" {
				for _, pair := range strings.Split(p, ",") {
					k, alts, ok := strings.Cut(pair, "=")
					if !ok {
						t.Fatalf("%s: cannot read %q of Values %q", d.ID, pair, d.Values)
					}
					var next []kpi.Labels
					for _, l := range sets {
						for _, a := range strings.Split(alts, "|") {
							switch a {
							case "…":
								a = "0.5"
							case "<version>":
								a = "v1.0"
							}
							m := cloneLabels(l)
							m[k] = a
							next = append(next, m)
						}
					}
					sets = next
				}
			}
			for _, l := range sets {
				out = append(out, kpi.Value{ScopeKind: kpi.ScopeProject, Scope: "jira/A", KPI: d.ID, Window: "4w", Labels: l, AsOf: at, Value: &one, N: 1})
			}
		}
	}
	return out
}

func cloneLabels(l kpi.Labels) kpi.Labels {
	m := make(kpi.Labels, len(l)+1)
	for k, v := range l {
		m[k] = v
	}
	return m
}

var timeUnitWords = regexp.MustCompile(`(?i)\b(days|hours|minutes|weeks)\b`) // "the last complete day" is a date, not a unit

// TestHelpUnits: every metric exported from the catalog's values has a HELP
// that names the unit of its suffix, speaks of no other time unit when it is
// in seconds, and is its own text — its KPI's catalog Help or its own
// family's text, never one shared with a different metric.
func TestHelpUnits(t *testing.T) {
	vals := catalogValues(t)
	c := NewKPICollector(nil)
	c.Update(kpi.Snapshot{AsOf: vals[0].AsOf, ComputedAt: vals[0].AsOf, Values: vals}, SnapshotMeta{})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, mf := range mfs {
		got[mf.GetName()] = mf.GetHelp()
	}
	// The texts each family may have: from the rules, by the value that
	// maps there.
	want := map[string]string{}
	catalogHelp := map[string]string{}
	for _, d := range kpi.Catalog {
		catalogHelp[d.ID] = d.Help
	}
	for _, v := range vals {
		f, _, why := mapValue(v)
		if why != "" {
			continue
		}
		name := Namespace + "_" + f.name + f.unit.suffix()
		text := f.help
		if text == "" {
			text = catalogHelp[v.KPI]
		}
		if w, ok := want[name]; ok && w != text {
			t.Errorf("%s gets two texts, depending on which value comes first: %q (%s) and %q", name, w, v.KPI, text)
		}
		want[name] = text
	}
	suffixUnit := map[string]string{"_seconds": "seconds", "_ratio": "ratio", "_items": "items", "_points": "story points",
		"_score": "score", "_sprints": "sprints"}
	byText := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		help, ok := got[name]
		if !ok {
			t.Errorf("%s: not exported", name)
			continue
		}
		text, unitNote, _ := strings.Cut(help, " Unit: ")
		if text != want[name] {
			t.Errorf("%s: HELP %q is not its own text %q", name, help, want[name])
		}
		base := name
		var unitWant string
		for suf, u := range suffixUnit {
			if strings.HasSuffix(name, suf) {
				base, unitWant = strings.TrimSuffix(name, suf), u
			}
		}
		if unitNote != "" && unitWant == "" {
			t.Errorf("%s: HELP %q names a unit the name does not have", name, help)
		}
		if unitWant != "" && unitNote != unitWant+"." {
			t.Errorf("%s: HELP %q does not end with Unit: %s.", name, help, unitWant)
		}
		if unitWant == "seconds" {
			if m := timeUnitWords.FindString(text); m != "" {
				t.Errorf("%s is in seconds but its HELP speaks of %q: %q", name, m, help)
			}
		}
		// One text, one metric (the same family in two units excepted:
		// sprint_carryover_amount_points and _items).
		if other, ok := byText[text]; ok && other != base {
			t.Errorf("%s and %s have the same HELP text %q", name, other, text)
		}
		byText[text] = base
	}
	if len(want) < 40 {
		t.Errorf("only %d metrics from the catalog's values; the expansion is broken", len(want))
	}
}
