package warehouse

import (
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
)

func TestClusterDDL(t *testing.T) {
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	d := newDDL("pmo", "prod")
	var all []string
	all = append(all, d.bootstrap()...)
	for _, m := range ms {
		st, err := d.statements(m)
		if err != nil {
			t.Fatal(err)
		}
		if m.version >= 100 { // internal/kpi's migrations: reported, checked by their owner
			for _, s := range st {
				if strings.HasPrefix(s, "CREATE") && !strings.Contains(s, "ON CLUSTER") {
					t.Logf("migration %s does not use {{.OnCluster}}: %.60s", m.name, s)
				}
			}
			continue
		}
		all = append(all, st...)
	}
	for _, s := range all {
		if !strings.HasPrefix(s, "CREATE") {
			continue
		}
		head, _, _ := strings.Cut(s, "\n")
		if !strings.Contains(head, " ON CLUSTER `prod`") {
			t.Errorf("DDL lacks ON CLUSTER: %s", head)
		}
		if strings.Contains(s, "ENGINE") && !strings.Contains(s, "ENGINE = Replicated") {
			t.Errorf("table is not Replicated*: %s", s)
		}
	}
	issues := strings.Join(all, "\n")
	for _, want := range []string{
		"CREATE DATABASE IF NOT EXISTS `pmo` ON CLUSTER `prod`",
		"CREATE TABLE IF NOT EXISTS `pmo`.issues ON CLUSTER `prod`",
		"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/pmo/issues', '{replica}', _version)",
		"ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/pmo/schema_migrations', '{replica}')",
	} {
		if !strings.Contains(issues, want) {
			t.Errorf("cluster DDL lacks %q", want)
		}
	}
	// Without a cluster: plain engines, no ON CLUSTER.
	plain := newDDL("pmo", "")
	st, err := plain.statements(ms[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if strings.Contains(s, "ON CLUSTER") || strings.Contains(s, "Replicated") {
			t.Errorf("single-node DDL mentions a cluster: %s", s)
		}
	}
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{
		"ProjectID": "project_id", "FixVersionIDs": "fix_version_ids", "URL": "url", "ID": "id",
		"OriginalEstimateSeconds": "original_estimate_seconds", "FromIssueID": "from_issue_id",
		"StartedOffset": "started_offset", "Type": "type",
	} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBind(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	tests := []struct {
		q    string
		args []any
		want string
	}{
		{"SELECT ?", []any{"it's"}, `SELECT 'it\'s'`},
		{"SELECT ?, ?", []any{ts, nil}, `SELECT toDateTime('2024-01-02 02:04:05', 'UTC'), NULL`},
		{"SELECT '?', ? -- ?\n", []any{[]string{"a", `b\`}}, `SELECT '?', ['a', 'b\\'] -- ?` + "\n"},
		{"SELECT ?, ?, ?", []any{true, 1.5, model.Date{Year: 2024, Month: 2, Day: 29}}, `SELECT 1, 1.5, toDate('2024-02-29')`},
		{"SELECT ?", []any{(*string)(nil)}, `SELECT NULL`},
		{"SELECT ?", []any{[]string{}}, `SELECT CAST([] AS Array(String))`},
		{"SELECT ?, ?", []any{(*time.Time)(nil), (*model.Date)(nil)}, `SELECT NULL, NULL`},
		{"SELECT ?, ?", []any{model.CategoryDone, []model.StatusCategory{model.CategoryNew}}, `SELECT 'done', ['new']`},
		{"SELECT ?", []any{&ts}, `SELECT toDateTime('2024-01-02 02:04:05', 'UTC')`},
	}
	for _, tt := range tests {
		got, err := bind(tt.q, tt.args)
		if err != nil || got != tt.want {
			t.Errorf("bind(%q, %v) = %q, %v; want %q", tt.q, tt.args, got, err, tt.want)
		}
	}
	if _, err := bind("SELECT ?", nil); err != nil {
		t.Errorf("no args must leave the query alone: %v", err)
	}
	if _, err := bind("SELECT ?, ?", []any{1}); err == nil {
		t.Error("too few args accepted")
	}
	if _, err := bind("SELECT ?", []any{1, 2}); err == nil {
		t.Error("too many args accepted")
	}
	if _, err := bind("SELECT ?", []any{struct{}{}}); err == nil {
		t.Error("unsupported type accepted")
	}
}

func TestBindNamed(t *testing.T) {
	params := map[string]any{"w_from": int64(10), "types": []string{"Story", "it's"}, "mode": "either"}
	tests := []struct{ q, want string }{
		{"SELECT {w_from}", "SELECT 10"},
		{"has({types}, type) AND {mode} = 'either' -- {nope}\n", `has(['Story', 'it\'s'], type) AND 'either' = 'either' -- {nope}` + "\n"},
		{"SELECT '{w_from}', `{w_from}`", "SELECT '{w_from}', `{w_from}`"},
		{"SELECT {}, {Not a param}", "SELECT {}, {Not a param}"},
	}
	for _, tt := range tests {
		got, err := BindNamed(tt.q, params)
		if err != nil || got != tt.want {
			t.Errorf("BindNamed(%q) = %q, %v; want %q", tt.q, got, err, tt.want)
		}
	}
	if _, err := BindNamed("SELECT {missing}", params); err == nil || !strings.Contains(err.Error(), "{missing}") {
		t.Errorf("a placeholder without a value: %v", err)
	}
}

func TestFindChDBLibraryErrors(t *testing.T) {
	_, err := findChDBLibrary("/nowhere/libchdb.so")
	if err == nil || !strings.Contains(err.Error(), "make setup") || !strings.Contains(err.Error(), "/nowhere/libchdb.so") {
		t.Errorf("explicit missing path: %v", err)
	}
	t.Setenv("CHDB_LIB_PATH", "/nowhere/else.so")
	_, err = findChDBLibrary("")
	if err == nil || !strings.Contains(err.Error(), "CHDB_LIB_PATH=/nowhere/else.so") {
		t.Errorf("CHDB_LIB_PATH missing: %v", err)
	}
}
