package deps

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/deps/depstest"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

func cellRows(m Matrix) []string {
	var out []string
	for _, c := range m.Cells {
		out = append(out, fmt.Sprintf("%s -> %s open=%d days=%d max=%d unknown=%d at_risk=%d", c.From, c.To, c.Open, c.DaysBlocked, c.MaxDaysBlocked, c.Unknown, c.AtRisk))
	}
	return out
}

func edgeRows(r Report) []string {
	var out []string
	for _, e := range r.Edges {
		out = append(out, fmt.Sprintf("%s -> %s days=%s cycle=%v", e.From, e.To, optDays(e.DaysBlocked, "?"), e.InCycle))
	}
	return out
}

func chainRows(c *Chain) []string {
	if c == nil {
		return nil
	}
	out := []string{fmt.Sprintf("%s %s days_to_release=%d needed=%s %s", c.Version, c.Release, c.DaysToRelease, optFloat(c.NeededDays, "?"), c.Verdict)}
	for _, it := range c.Items {
		out = append(out, fmt.Sprintf("%s %s %s blocks_next=%s median=%s", it.Key, it.Group, it.Status, optDays(it.DaysBlocked, "-"), optFloat(it.CycleDays, "-")))
	}
	return out
}

func cycleRows(r Report) []string {
	var out []string
	for _, c := range r.Cycles {
		out = append(out, strings.Join(c, " "))
	}
	return out
}

func sameRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// Expected by hand from testdata/deps.yaml (see its comments).
var (
	allEdges = []string{
		"ALPHA-3 -> BETA-2 days=5 cycle=false",
		"BETA-2 -> ALPHA-1 days=3 cycle=false",
		"BETA-3 -> ALPHA-3 days=10 cycle=false",
		"BETA-4 -> ALPHA-1 days=? cycle=false",
		"GAMMA-1 -> GAMMA-2 days=? cycle=true",
		"GAMMA-2 -> GAMMA-3 days=? cycle=true",
		"GAMMA-3 -> ALPHA-2 days=2 cycle=false",
		"GAMMA-3 -> GAMMA-1 days=? cycle=true",
	}
	chain10 = []string{
		"1.0 2026-03-31 days_to_release=15 needed=16.0 misses the date",
		"BETA-3 jira/BETA open blocks_next=10 median=3.0",
		"ALPHA-3 jira/ALPHA in progress blocks_next=5 median=5.0",
		"BETA-2 jira/BETA open blocks_next=3 median=3.0",
		"ALPHA-1 jira/ALPHA open blocks_next=- median=5.0",
	}
)

// TestBuild holds the matrix, the graph's links, the cycles and the
// critical chain of the hand-made fixture to the rows written by hand, on
// both engines (the SQL is the subject).
func TestBuild(t *testing.T) {
	f := depstest.Read(t)
	cases := []struct {
		name    string
		scope   string
		by      string
		release string
		cells   []string
		edges   []string
		cycles  []string
		chain   []string
		err     string
	}{
		{name: "portfolio", scope: "portfolio",
			cells: []string{
				"jira/ALPHA -> jira/BETA open=1 days=5 max=5 unknown=0 at_risk=1",
				"jira/BETA -> jira/ALPHA open=3 days=13 max=10 unknown=1 at_risk=1",
				"jira/GAMMA -> jira/ALPHA open=1 days=2 max=2 unknown=0 at_risk=0",
			},
			edges: allEdges, cycles: []string{"GAMMA-1 GAMMA-2 GAMMA-3"}, chain: chain10},
		{name: "by program", scope: "portfolio", by: GroupProgram,
			cells: []string{"Edge -> Core open=1 days=2 max=2 unknown=0 at_risk=0"},
			edges: allEdges, cycles: []string{"GAMMA-1 GAMMA-2 GAMMA-3"},
			chain: []string{
				"1.0 2026-03-31 days_to_release=15 needed=16.0 misses the date",
				"BETA-3 Core open blocks_next=10 median=3.0",
				"ALPHA-3 Core in progress blocks_next=5 median=5.0",
				"BETA-2 Core open blocks_next=3 median=3.0",
				"ALPHA-1 Core open blocks_next=- median=5.0",
			}},
		{name: "program Edge", scope: "program:Edge",
			cells:  []string{"jira/GAMMA -> jira/ALPHA open=1 days=2 max=2 unknown=0 at_risk=0"},
			edges:  []string{allEdges[4], allEdges[5], allEdges[6], allEdges[7]},
			cycles: []string{"GAMMA-1 GAMMA-2 GAMMA-3"}},
		{name: "release asked", scope: "project:ALPHA", release: "1.0",
			cells: []string{
				"jira/ALPHA -> jira/BETA open=1 days=5 max=5 unknown=0 at_risk=1",
				"jira/BETA -> jira/ALPHA open=3 days=13 max=10 unknown=1 at_risk=1",
				"jira/GAMMA -> jira/ALPHA open=1 days=2 max=2 unknown=0 at_risk=0",
			},
			edges: []string{allEdges[0], allEdges[1], allEdges[2], allEdges[3], allEdges[6]}, chain: chain10},
		{name: "no release date", scope: "portfolio", release: "2.0", err: `release "2.0"`},
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				sf, err := kpi.ParseScopeFilter(c.scope)
				if err != nil {
					t.Fatal(err)
				}
				r, err := Build(t.Context(), w, Options{KPI: kpi.DefaultConfig(), AsOf: f.AsOf, Scope: sf, GroupBy: c.by, Release: c.release})
				if c.err != "" {
					if err == nil || !strings.Contains(err.Error(), c.err) {
						t.Fatalf("err = %v, want one naming %s", err, c.err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				sameRows(t, "matrix", cellRows(r.Matrix), c.cells)
				sameRows(t, "links", edgeRows(r), c.edges)
				sameRows(t, "cycles", cycleRows(r), c.cycles)
				sameRows(t, "critical chain", chainRows(r.Chain), c.chain)
				if c.name == "portfolio" {
					golden(t, r)
				}
			})
		}
	})
}

// golden compares each output format of r with testdata/deps.FORMAT (-update
// rewrites them).
func golden(t *testing.T, r Report) {
	t.Helper()
	for _, format := range Formats {
		var b bytes.Buffer
		if err := Write(&b, r, format); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "deps."+format)
		if *update {
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test -run TestBuild -update writes it)", err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s differs from the golden %s:\n%s", format, path, b.String())
		}
	}
}

// TestGraph: cycles of every shape are reported and never followed, a long
// chain is walked without recursion, ties pick the longest-blocked link.
func TestGraph(t *testing.T) {
	end := func(key string) raid.LinkEnd {
		p, _, _ := strings.Cut(key, "-")
		return raid.LinkEnd{Key: key, Project: "s/" + p, Status: "open"}
	}
	d7, d2 := int64(7), int64(2)
	link := func(from, to string, days *int64) raid.Link {
		return raid.Link{From: end(from), To: end(to), DaysOpen: days}
	}
	long := raid.DepData{}
	const n = 5000
	for i := range n {
		long.Links = append(long.Links, link(fmt.Sprintf("L-%d", i+1), fmt.Sprintf("L-%d", i), nil))
	}
	long.Releases = []raid.ReleaseItem{{Version: "v", Release: "2026-04-01", Issue: end("L-0")}}
	cases := []struct {
		name   string
		d      raid.DepData
		cycles []string
		chain  []string // keys
	}{
		{name: "self-loop and two-cycle", d: raid.DepData{
			Links:    []raid.Link{link("A-1", "A-1", nil), link("A-2", "B-1", nil), link("B-1", "A-2", nil), link("B-1", "R-1", &d2)},
			Releases: []raid.ReleaseItem{{Version: "v", Release: "2026-04-01", Issue: end("R-1")}}},
			cycles: []string{"A-1", "A-2 B-1"}, chain: []string{"B-1", "R-1"}},
		{name: "tie: the longest-blocked link", d: raid.DepData{
			Links:    []raid.Link{link("A-1", "R-1", &d2), link("B-1", "R-1", &d7)},
			Releases: []raid.ReleaseItem{{Version: "v", Release: "2026-04-01", Issue: end("R-1")}}},
			chain: []string{"B-1", "R-1"}},
		{name: "a chain of 5000", d: long, chain: func() []string {
			var out []string
			for i := n; i >= 0; i-- {
				out = append(out, fmt.Sprintf("L-%d", i))
			}
			return out
		}()},
	}
	asOf := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Compute(c.d, Options{AsOf: asOf}, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			sameRows(t, "cycles", cycleRows(r), c.cycles)
			var got []string
			if r.Chain != nil {
				for _, it := range r.Chain.Items {
					got = append(got, it.Key)
				}
				if r.Chain.Verdict != Unknown {
					t.Errorf("verdict %q without cycle times, want %q", r.Chain.Verdict, Unknown)
				}
			}
			sameRows(t, "chain", got, c.chain)
		})
	}
}

// TestChainOutsideScope: a scope's graph holds its critical chain's links
// that lie outside it (X-1 → Y-1 ahead of Z-1), the matrix does not count
// them.
func TestChainOutsideScope(t *testing.T) {
	end := func(key string) raid.LinkEnd {
		p, _, _ := strings.Cut(key, "-")
		return raid.LinkEnd{Key: key, Project: "s/" + p, Status: "open"}
	}
	d := raid.DepData{
		Links:    []raid.Link{{From: end("X-1"), To: end("Y-1")}, {From: end("Y-1"), To: end("Z-1")}},
		Releases: []raid.ReleaseItem{{Version: "v", Release: "2026-04-01", Issue: end("Z-1")}},
	}
	r, err := Compute(d, Options{AsOf: time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC), Scope: kpi.ScopeFilter{Kind: kpi.ScopeProject, Name: "s/Z"}}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "links", edgeRows(r), []string{"Y-1 -> Z-1 days=? cycle=false", "X-1 -> Y-1 days=? cycle=false"})
	sameRows(t, "matrix", cellRows(r.Matrix), []string{"s/Y -> s/Z open=1 days=0 max=0 unknown=1 at_risk=0"})
	sameRows(t, "chain", chainRows(r.Chain)[1:], []string{"X-1 s/X open blocks_next=- median=-", "Y-1 s/Y open blocks_next=- median=-", "Z-1 s/Z open blocks_next=- median=-"})
}
