package warehouse

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden DDL files under testdata/")

// renderAll renders the bootstrap and every embedded migration for d, one
// statement after another, each ended by ";" and a blank line.
func renderAll(t *testing.T, d ddl) string {
	t.Helper()
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("-- bootstrap\n")
	for _, s := range d.bootstrap() {
		b.WriteString(s + ";\n\n")
	}
	for _, m := range ms {
		st, err := d.statements(m)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("-- " + m.name + "\n")
		for _, s := range st {
			b.WriteString(s + ";\n\n")
		}
	}
	return b.String()
}

// TestDDLGolden holds the rendered DDL of a single node and of a cluster to
// testdata/ddl_*.sql (go test -run TestDDLGolden -update rewrites them). The
// single-node file must not change when cluster DDL does.
func TestDDLGolden(t *testing.T) {
	for _, tc := range []struct{ file, cluster string }{
		{"ddl_single.sql", ""},
		{"ddl_cluster.sql", "prod"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got := renderAll(t, newDDL("pmo", tc.cluster))
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test ./internal/warehouse -run TestDDLGolden -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("rendered DDL differs from %s (rerun with -update if intended); first difference:\n%s", path, firstDiff(string(want), got))
			}
		})
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want: %s\n  got:  %s", i+1, w, g)
		}
	}
	return "(none)"
}
