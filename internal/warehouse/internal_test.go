package warehouse

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
)

// TestClusterDDL checks the rules of cluster DDL on every statement of the
// bootstrap and the migrations: everything runs ON CLUSTER; data lives in
// Replicated* tables named <table>_local with a ZooKeeper path per shard and
// table; each has a Distributed table under the table's name whose shard key
// is made of the local table's ORDER BY columns (every version of a row on
// one shard, so ReplacingMergeTree still dedups); an ALTER of a local table
// is followed by creating its Distributed table again; IN subqueries are
// GLOBAL; a view that aggregates reads its Distributed tables through a
// subquery (aggregated once, not merged from shards). A single node's DDL mentions none of it (testdata/ddl_single.sql
// holds it byte for byte).
func TestClusterDDL(t *testing.T) {
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	render := func(d ddl) []string {
		all := d.bootstrap()
		for _, m := range ms {
			st, err := d.statements(m)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, st...)
		}
		return all
	}
	var (
		createLocal = regexp.MustCompile("^CREATE TABLE IF NOT EXISTS `pmo`\\.(\\w+)_local ON CLUSTER `prod`")
		engine      = regexp.MustCompile(`ENGINE = Replicated(\w*)MergeTree\('/clickhouse/tables/\{shard\}/pmo/(\w+)', '\{replica\}'`)
		orderBy     = regexp.MustCompile(`(?m)(?:^| )ORDER BY (.*)$`)
		createDist  = regexp.MustCompile("^CREATE TABLE IF NOT EXISTS `pmo`\\.(\\w+) ON CLUSTER `prod` AS `pmo`\\.(\\w+)\nENGINE = Distributed\\(`prod`, `pmo`, (\\w+), cityHash64\\(([^)]*)\\)\\)$")
		alter       = regexp.MustCompile("^ALTER TABLE `pmo`\\.(\\w+) ON CLUSTER `prod` ")
		fromTable   = regexp.MustCompile("FROM `pmo`\\.(\\w+)")
		inSubquery  = regexp.MustCompile(`(\w+ )(NOT )?IN \(SELECT`)
	)
	orderCols := map[string][]string{} // local tables by name without _local
	distributed := map[string]bool{}
	st := render(newDDL("pmo", "prod"))
	for i, s := range st {
		head, _, _ := strings.Cut(s, "\n")
		switch {
		case strings.HasPrefix(s, "CREATE") && !strings.Contains(head, " ON CLUSTER `prod`"):
			t.Errorf("DDL lacks ON CLUSTER: %s", head)
		case createLocal.MatchString(s):
			name := createLocal.FindStringSubmatch(s)[1]
			e := engine.FindStringSubmatch(s)
			if e == nil || e[2] != name {
				t.Errorf("local table %s_local is not Replicated* with the path /clickhouse/tables/{shard}/pmo/%s: %s", name, name, s)
			}
			o := orderBy.FindStringSubmatch(s)
			if o == nil {
				t.Fatalf("no ORDER BY in %s", s)
			}
			orderCols[name] = splitTop(o[1])
		case strings.Contains(s, "ENGINE = Distributed"):
			m := createDist.FindStringSubmatch(s)
			if m == nil || m[2] != m[1]+"_local" || m[3] != m[1]+"_local" {
				t.Errorf("Distributed table not over its own _local table: %s", s)
				continue
			}
			cols, ok := orderCols[m[1]]
			if !ok {
				t.Errorf("Distributed table %s comes before its local table", m[1])
			}
			for _, k := range splitTop(m[4]) {
				if !slices.Contains(cols, k) {
					t.Errorf("%s: shard key column %s is not in ORDER BY (%s): versions of a row could land on different shards", m[1], k, strings.Join(cols, ", "))
				}
			}
			distributed[m[1]] = true
		case strings.Contains(s, "ENGINE"):
			t.Errorf("table is neither Replicated* _local nor Distributed: %s", s)
		case alter.MatchString(s):
			name := alter.FindStringSubmatch(s)[1]
			if base, ok := strings.CutSuffix(name, "_local"); ok {
				if i+2 >= len(st) || st[i+1] != "DROP TABLE IF EXISTS `pmo`."+base+" ON CLUSTER `prod`" ||
					!strings.HasPrefix(st[i+2], "CREATE TABLE IF NOT EXISTS `pmo`."+base+" ON CLUSTER `prod` AS `pmo`."+name+"\nENGINE = Distributed") {
					t.Errorf("ALTER of %s is not followed by dropping and creating its Distributed table %s again", name, base)
				}
			} else if !distributed[name] {
				t.Errorf("ALTER of %s, which is neither a local nor a Distributed table", name)
			}
		}
		if strings.Contains(s, "GROUP BY") {
			for _, m := range fromTable.FindAllStringSubmatchIndex(s, -1) {
				if name := s[m[2]:m[3]]; distributed[name] && !gathered(s[:m[0]]) {
					t.Errorf("a view aggregates the Distributed table %s on the shards (use {{gather}}): %s", name, s)
				}
			}
		}
		for _, m := range inSubquery.FindAllStringSubmatch(s, -1) {
			if m[1] != "GLOBAL " {
				t.Errorf("IN subquery without GLOBAL on a cluster (%q): %s", m[0], s)
			}
		}
	}
	for name := range orderCols {
		if !distributed[name] {
			t.Errorf("local table %s_local has no Distributed table", name)
		}
	}
	if len(distributed) < 14 {
		t.Errorf("only %d Distributed tables: %v", len(distributed), distributed)
	}
	// Without a cluster: plain engines, no ON CLUSTER, no local tables.
	for _, s := range render(newDDL("pmo", "")) {
		for _, word := range []string{"ON CLUSTER", "Replicated", "Distributed", "GLOBAL", "_local"} {
			if strings.Contains(s, word) {
				t.Errorf("single-node DDL mentions %s: %s", word, s)
			}
		}
	}
}

var subquery = regexp.MustCompile(`\(\s*SELECT\b`)

// gathered tells whether the FROM that follows prefix is that of a subquery
// that only selects columns (no function, so no aggregate): the rows are
// gathered from the shards and aggregated by the query around it.
func gathered(prefix string) bool {
	all := subquery.FindAllStringIndex(prefix, -1)
	if len(all) == 0 {
		return false
	}
	inner := prefix[all[len(all)-1][1]:]
	return !strings.Contains(inner, "(")
}

// splitTop splits an ORDER BY or key expression list at its top-level
// commas: "(a, f(b, c))" and "a, f(b, c)" are both [a, f(b, c)].
func splitTop(list string) []string {
	list = strings.TrimSpace(list)
	if strings.HasPrefix(list, "(") && strings.HasSuffix(list, ")") {
		list = list[1 : len(list)-1]
	}
	var out []string
	depth, start := 0, 0
	for i, r := range list {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(list[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(list[start:]))
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
		{"SELECT ?, ?", []any{[][]int64{{1, 2}, {}}, [][]int64{}}, `SELECT [[1, 2], CAST([] AS Array(Int64))], CAST([] AS Array(Array(Int64)))`},
		{"SELECT ?", []any{[]time.Time{ts}}, `SELECT [toDateTime('2024-01-02 02:04:05', 'UTC')]`},
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
