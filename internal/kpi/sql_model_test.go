package kpi

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestPopulationModel: models/populations.sql parses, defines every set and
// value the KPIs read, and binds.
func TestPopulationModel(t *testing.T) {
	m, err := parsedPopulations()
	if err != nil {
		t.Fatal(err)
	}
	for id, fk := range flowKPIs {
		for _, s := range fk.sets {
			if m.sets[s] == "" {
				t.Errorf("%s reads set %q, which models/populations.sql does not define", id, s)
			}
		}
		for _, v := range fk.values {
			if m.values[v] == "" {
				t.Errorf("%s reads value %q, which models/populations.sql does not define", id, v)
			}
		}
	}
	for _, bad := range []string{"-- set a\n", "-- set a\nx\n-- set a\ny\n"} {
		if _, err := parseModel(bad); err == nil {
			t.Errorf("parseModel(%q) accepted", bad)
		}
	}
}

// TestKPISQL: `pmo kpi sql` prints the query explain runs (golden, the same
// text on both engines), and running it lists exactly the explanation's
// items.
func TestKPISQL(t *testing.T) {
	f := loadFixture(t, "example_a.yaml")
	cases := []struct{ kpi, scope, window, golden string }{
		{"cycle_time", "project:A", "", "sql_a_cycle_time"},
		{"wip", "portfolio", "", "sql_a_wip"},
		{"reopen_rate", "portfolio", "4w", "sql_a_reopen_rate"},
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		f.Load(t, w)
		cfg := exampleAConfig()
		for _, tc := range cases {
			q, err := SQL(ctx, w, cfg, tc.kpi, tc.scope, tc.window, f.AsOf)
			if err != nil {
				t.Fatalf("%s: %v", tc.kpi, err)
			}
			path := filepath.Join("testdata", tc.golden+".sql.golden")
			if *update {
				if err := os.WriteFile(path, []byte(q+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if q+"\n" != string(want) {
				t.Errorf("pmo kpi sql %s differs from %s (run with -update if intended)", tc.kpi, path)
			}
			rows, err := w.Query(ctx, q)
			if err != nil {
				t.Fatalf("running the printed SQL of %s: %v", tc.kpi, err)
			}
			var got []string
			for rows.Next() {
				var key string
				var dest []any
				for _, c := range rows.Columns() {
					if c == "key" {
						dest = append(dest, &key)
						continue
					}
					var skip any
					dest = append(dest, &skip)
				}
				if err := rows.Scan(dest...); err != nil {
					t.Fatal(err)
				}
				got = append(got, key)
			}
			rows.Close()
			e, err := ExplainWindow(ctx, w, cfg, tc.kpi, tc.scope, tc.window, f.AsOf)
			if err != nil {
				t.Fatal(err)
			}
			var want2 []string
			for _, it := range e.Items {
				want2 = append(want2, it.Key)
			}
			if !slices.Equal(got, want2) || len(got) == 0 {
				t.Errorf("%s: the printed SQL lists %v, explain %v", tc.kpi, got, want2)
			}
		}
		if _, err := SQL(ctx, w, cfg, "evm_spi", "portfolio", "", f.AsOf); !errors.Is(err, ErrNoExplanation) || !strings.Contains(err.Error(), "cycle_time") {
			t.Errorf("SQL of a KPI without a model: %v", err)
		}
	})
}
