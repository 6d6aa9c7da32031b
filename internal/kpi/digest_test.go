package kpi

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// readSnapshotPair reads testdata/digest_two_snapshots.yaml into the
// previous and the current snapshot.
func readSnapshotPair(t *testing.T) (prev, cur Snapshot) {
	t.Helper()
	var f struct {
		Previous time.Time `yaml:"previous"`
		Current  time.Time `yaml:"current"`
		Values   []struct {
			Scope, KPI, Window, Labels string
			Prev, Cur                  *string
			RAGPrev                    *RAG `yaml:"rag_prev"`
			RAGCur                     *RAG `yaml:"rag_cur"`
		} `yaml:"values"`
	}
	b, err := os.ReadFile(filepath.Join("testdata", "digest_two_snapshots.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("digest_two_snapshots.yaml: %v", err)
	}
	prev, cur = Snapshot{AsOf: f.Previous, ComputedAt: f.Previous}, Snapshot{AsOf: f.Current, ComputedAt: f.Current}
	num := func(s string) *float64 {
		if s == "-" {
			return nil
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("digest_two_snapshots.yaml: %q is not a number", s)
		}
		return &x
	}
	for _, v := range f.Values {
		kind, scope, _ := strings.Cut(v.Scope, ":")
		mk := func(at time.Time, s *string, r *RAG) Value {
			return Value{ScopeKind: kind, Scope: scope, KPI: v.KPI, Window: v.Window, Labels: ParseLabels(v.Labels), AsOf: at, Value: num(*s), N: 1, RAG: r, ComputedAt: at}
		}
		if v.Prev != nil {
			prev.Values = append(prev.Values, mk(f.Previous, v.Prev, v.RAGPrev))
		}
		if v.Cur != nil {
			cur.Values = append(cur.Values, mk(f.Current, v.Cur, v.RAGCur))
		}
	}
	return prev, cur
}

// TestDiffGolden: the digest of the two-snapshot fixture (its comments say
// what each row must give). The golden JSON is also what the report's
// digest golden renders (internal/report).
func TestDiffGolden(t *testing.T) {
	prev, cur := readSnapshotPair(t)
	d := Diff(cur, prev)
	if len(d.RAG) != 2 || d.RAG[0].Scope != "jira/A" || ragText(d.RAG[0].From, "") != "amber" || ragText(d.RAG[0].To, "") != "red" ||
		len(d.RAG[0].Components) != 2 || d.RAG[0].Components[0].Component != "schedule" {
		t.Errorf("RAG transitions: %+v; want jira/A amber → red moved first by schedule, then jira/B", d.RAG)
	}
	verdicts := map[string]string{}
	for _, m := range d.Movers {
		verdicts[m.Scope+" "+m.KPI] = m.Verdict
	}
	want := map[string]string{"jira/A cycle_time": "worse", "jira/B sle_attainment": "better", "jira/C throughput": "worse", "jira/A estimation_accuracy": "better", "all overdue_ratio": "worse"}
	if len(verdicts) != len(want) {
		t.Errorf("movers %v, want %v", verdicts, want)
	}
	for k, v := range want {
		if verdicts[k] != v {
			t.Errorf("mover %s: %q, want %q", k, verdicts[k], v)
		}
	}
	if len(d.Releases) != 1 || d.Releases[0].Release != "R2" {
		t.Errorf("releases whose on-time chance dropped: %+v, want R2 only", d.Releases)
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "digest_two_snapshots.golden.json"), append(b, '\n'))
}

// TestDigestSince: on the engines, the digest of a complete refresh against
// the previous complete one — a scoped run in between is not "the
// previous", nor is a record needed (values stored before migration 107
// count) — with the items that became overdue: in example C, C-3 (open,
// due 03-21) is overdue as of 04-01 and was not as of 03-18; C-3's blocker
// C-4 blocked it at both as-ofs, so nothing became blocked.
func TestDigestSince(t *testing.T) {
	f := loadFixture(t, "example_c.yaml")
	cfg := exampleCConfig()
	prevAt := f.AsOf.AddDate(0, 0, -14)
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		f.Load(t, w)
		var cur Snapshot
		for _, r := range []struct {
			at time.Time
			sf ScopeFilter
		}{{prevAt, ScopeFilter{}}, {f.AsOf.AddDate(0, 0, -7), ScopeFilter{Kind: ScopeProject}}, {f.AsOf, ScopeFilter{}}} {
			s, err := Compute(ctx, w, cfg, r.at, r.sf)
			if err != nil {
				t.Fatal(err)
			}
			// The previous one was stored before refresh records existed
			// (migration 107): found by the fallback.
			if r.at.Equal(prevAt) {
				err = Store(ctx, w, s)
			} else {
				err = StoreRefresh(ctx, w, s, RefreshOf(s, r.sf, "run", "test"))
			}
			if err != nil {
				t.Fatal(err)
			}
			cur = s
		}
		d, err := DigestSince(ctx, w, cfg, cur)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Previous.Equal(prevAt) {
			t.Errorf("previous complete refresh %s, want %s", d.Previous.Format(time.DateOnly), prevAt.Format(time.DateOnly))
		}
		prev, err := History(ctx, w, prevAt, prevAt)
		if err != nil {
			t.Fatal(err)
		}
		prev.AsOf = prevAt
		want := Diff(cur, prev)
		if len(d.Movers) != len(want.Movers) || len(d.RAG) != len(want.RAG) {
			t.Errorf("DigestSince: %d movers, %d RAG changes; Diff of the stored snapshots: %d, %d", len(d.Movers), len(d.RAG), len(want.Movers), len(want.RAG))
		}
		if len(d.NewOverdue) != 1 || d.NewOverdue[0].Key != "C-3" || d.NewOverdue[0].Project != "jira/C" || len(d.NewBlocked) != 0 {
			t.Errorf("new overdue %+v, new blocked %+v; want C-3 of project jira/C and none", d.NewOverdue, d.NewBlocked)
		}
		// A project page keeps its own items by project, whatever the key
		// looks like: C-3 on jira/C, none on a project whose key prefixes it.
		if got := d.For(ScopeProject, "jira/C").NewOverdue; len(got) != 1 {
			t.Errorf("project jira/C keeps %d new overdue items, want C-3", len(got))
		}
		d2 := d
		d2.NewOverdue = []DigestItem{{Key: "web-12", Project: "redmine/website", Role: "overdue"}}
		if got := d2.For(ScopeProject, "redmine/web").NewOverdue; len(got) != 0 {
			t.Errorf("project redmine/web keeps %v, an item of redmine/website", got)
		}
		b, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, filepath.Join("testdata", "digest_example_c.golden.json"), append(b, '\n'))
	})
}
