package kpi

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestDebugSQL runs the SQL in $KPI_DEBUG_SQL (a file) over a fixture
// ($KPI_DEBUG_FIXTURE, default example_a.yaml) and prints the rows. A
// developer tool; skipped unless the variable is set.
func TestDebugSQL(t *testing.T) {
	file := os.Getenv("KPI_DEBUG_SQL")
	if file == "" {
		t.Skip("set KPI_DEBUG_SQL to a file of SQL to run it over a fixture")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fx := os.Getenv("KPI_DEBUG_FIXTURE")
	if fx == "" {
		fx = "example_a.yaml"
	}
	engine := os.Getenv("KPI_DEBUG_ENGINE")
	if engine == "" {
		engine = "chdb"
	}
	w := whtest.Open(t, engine)
	loadFixture(t, fx).Load(t, w)
	for _, q := range strings.Split(string(b), ";\n") {
		if strings.TrimSpace(q) == "" {
			continue
		}
		rows, err := w.Query(context.Background(), q)
		if err != nil {
			fmt.Println("ERROR:", err)
			continue
		}
		cols := rows.Columns()
		fmt.Println(strings.Join(cols, "\t"))
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				var s string
				ptrs[i] = &s
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, p := range ptrs {
				out = append(out, *p.(*string))
			}
			fmt.Println(strings.Join(out, "\t"))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
}
