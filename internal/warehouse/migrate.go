package warehouse

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// MigrateResult tells what Migrate did.
type MigrateResult struct {
	From, To int      // schema version before and after
	Applied  []string // names of the migrations applied, e.g. "001_tables"
}

// migration is one embedded migration file.
type migration struct {
	version int
	name    string // file name without .sql
	text    string
}

var migrationName = regexp.MustCompile(`^(\d{3})_[a-z0-9_]+\.sql$`)

// loadMigrations reads the embedded migrations in order.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, "migrations")
	if err != nil {
		return nil, fmt.Errorf("reading embedded migrations: %w", err)
	}
	var ms []migration
	seen := map[int]string{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %s: name must be NNN_lower_snake.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share the number %03d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(e.Name(), ".sql"), text: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// ddl holds what migration templates may use.
//
// On a cluster (warehouse.cluster) every table of a migration is two: the
// data lives in a Replicated* table named <table>_local on each shard, and
// a Distributed table under the table's own name spreads writes over the
// shards by its shard key and reads from all of them, so that the sink, the
// views and the KPI queries name the same tables as on a single node. The
// templates say which parts differ:
//
//	CREATE TABLE IF NOT EXISTS {{table "t"}}{{.OnCluster}} (...) ENGINE = {{replacing "t"}} ORDER BY (a, b);
//	{{distributed "t"}}
//	ALTER TABLE {{table "t"}}{{.OnCluster}} ADD COLUMN c String;
//	{{redistribute "t"}}
//	... x {{.Global}}NOT IN (SELECT ... FROM {{.DB}}.t) ...
//	SELECT a, argMax(...) FROM {{gather "t FINAL"}} GROUP BY a
//
// On a single node {{table "t"}} and {{gather "t"}} are {{.DB}}.t,
// {{distributed}} and {{redistribute}} render nothing and {{.Global}} is
// empty, so the statements are exactly those of a server without a cluster
// (testdata/ddl_single.sql).
type ddl struct {
	DB        string // the quoted database name
	OnCluster string // " ON CLUSTER `name`" or ""
	// Global is "GLOBAL " on a cluster: an IN subquery over a Distributed
	// table inside a query over another one runs once, on the initiator,
	// instead of being refused (distributed_product_mode = deny).
	Global  string
	db      string
	cluster string
}

// localSuffix names a Distributed table's shard-local table on a cluster.
const localSuffix = "_local"

func newDDL(db, cluster string) ddl {
	d := ddl{DB: quoteIdent(db), db: db, cluster: cluster}
	if cluster != "" {
		d.OnCluster = " ON CLUSTER " + quoteIdent(cluster)
		d.Global = "GLOBAL "
	}
	return d
}

// table is the qualified name of the table that holds the data: the table
// itself on a single node, its shard-local table on a cluster.
func (d ddl) table(name string) string {
	if d.cluster == "" {
		return d.DB + "." + name
	}
	return d.DB + "." + name + localSuffix
}

// shardKeys are the columns each Distributed table hashes (cityHash64) to
// pick a row's shard. A key is made of the table's ORDER BY columns, so that
// every version of a row lands on the same shard and ReplacingMergeTree
// (FINAL, merges) still collapses them: FINAL and argMax over a Distributed
// table dedup within each shard only. Issue-keyed tables hash (source,
// issue) so that an issue's changes stay together (TestClusterDDL checks
// every key against its table's ORDER BY).
var shardKeys = map[string]string{
	"schema_migrations": "version",
	"projects":          "source, id",
	"statuses":          "source, id",
	"boards":            "source, id",
	"sprints":           "source, id",
	"versions":          "source, id", // ORDER BY (source, id, toDate(observed_at)): a version's observations together
	"issues":            "source, id",
	"changes":           "source, issue_id",
	"worklogs":          "source, id", // deduplicated by (source, id); an issue's worklogs may be on several shards
	"issue_links":       "source, id",
	"issue_deletions":   "source, issue_id",
	"cursors":           "source, name",
	"kpi_values":        "scope_kind, scope, kpi",
	"kpi_baselines":     "scope, name",
	"kpi_refreshes":     "run_id",
}

// distributed returns the statement that creates the Distributed table over
// a table's shard-local tables (sharded by shardKeys), or "" on a single
// node.
func (d ddl) distributed(name string) (string, error) {
	if d.cluster == "" {
		return "", nil
	}
	key, ok := shardKeys[name]
	if !ok {
		return "", fmt.Errorf("table %s has no shard key: add it to shardKeys (internal/warehouse/migrate.go)", name)
	}
	return "CREATE TABLE IF NOT EXISTS " + d.DB + "." + name + d.OnCluster + " AS " + d.table(name) +
		"\nENGINE = Distributed(" + quoteIdent(d.cluster) + ", " + d.DB + ", " + name + localSuffix + ", cityHash64(" + key + "));", nil
}

// redistribute returns, on a cluster, the statements that drop a table's
// Distributed table and create it again over its shard-local tables, after
// an ALTER TABLE of those changed their columns: ClickHouse refuses ALTER
// ON CLUSTER of a Distributed table when the cluster's shards replicate
// internally, and a Distributed table holds no data. "" on a single node.
func (d ddl) redistribute(name string) (string, error) {
	if d.cluster == "" {
		return "", nil
	}
	create, err := d.distributed(name)
	if err != nil {
		return "", err
	}
	return "DROP TABLE IF EXISTS " + d.DB + "." + name + d.OnCluster + ";\n" + create, nil
}

// gather is the FROM of a view that aggregates a table: on a cluster a
// subquery that gathers the rows from every shard, so that the view
// aggregates them once, on the node that runs it. Aggregated on the shards
// and merged, ClickHouse 18.16 returns Nullable values inside tuples
// (argMax(tuple(...))) as garbage: NULL dates came back as 0000-00-00 or
// random dates.
func (d ddl) gather(from string) string {
	if d.cluster == "" {
		return d.DB + "." + from
	}
	return "(SELECT * FROM " + d.DB + "." + from + ")"
}

// engineClause returns the table engine, Replicated* on a cluster (its
// ZooKeeper path per shard and table, the replica from the server's macros).
func (d ddl) engineClause(engine, table, params string) string {
	if d.cluster == "" {
		return engine + "(" + params + ")"
	}
	args := "'/clickhouse/tables/{shard}/" + d.db + "/" + table + "', '{replica}'"
	if params != "" {
		args += ", " + params
	}
	return "Replicated" + engine + "(" + args + ")"
}

// statements renders a migration template and splits it into statements
// (each ends with ";" at the end of a line).
func (d ddl) statements(m migration) ([]string, error) {
	t, err := template.New(m.name).Option("missingkey=error").Funcs(template.FuncMap{
		"replacing":    func(table string) string { return d.engineClause("ReplacingMergeTree", table, "_version") },
		"mergeTree":    func(table string) string { return d.engineClause("MergeTree", table, "") },
		"table":        d.table,
		"distributed":  d.distributed,
		"redistribute": d.redistribute,
		"gather":       d.gather,
	}).Parse(m.text)
	if err != nil {
		return nil, fmt.Errorf("parsing migration %s: %w", m.name, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("rendering migration %s: %w", m.name, err)
	}
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(buf.String(), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			s := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			if s != "" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out, nil
}

// bootstrap returns the statements that create the database and the
// schema_migrations table (on a cluster a Distributed one over each shard's,
// so that every node reads the same schema version).
func (d ddl) bootstrap() []string {
	out := []string{
		"CREATE DATABASE IF NOT EXISTS " + d.DB + d.OnCluster,
		"CREATE TABLE IF NOT EXISTS " + d.table("schema_migrations") + d.OnCluster +
			" (`version` UInt32, `name` String, `applied` DateTime('UTC')) ENGINE = " +
			d.engineClause("MergeTree", "schema_migrations", "") + " ORDER BY version",
	}
	if s, _ := d.distributed("schema_migrations"); s != "" {
		out = append(out, strings.TrimSuffix(s, ";"))
	}
	return out
}

// Migrate applies the embedded migrations the database lacks. It is
// idempotent: a second run applies nothing and returns From == To.
func (w *Warehouse) Migrate(ctx context.Context) (MigrateResult, error) {
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		return MigrateResult{}, err
	}
	return w.migrate(ctx, ms)
}

func (w *Warehouse) migrate(ctx context.Context, ms []migration) (MigrateResult, error) {
	d := newDDL(w.db, w.cluster)
	for _, s := range d.bootstrap() {
		if err := w.eng.exec(ctx, s); err != nil {
			if w.cluster != "" {
				return MigrateResult{}, fmt.Errorf("migrating warehouse database %s: creating it ON CLUSTER %s (warehouse.cluster: a cluster of the servers' remote_servers, whose servers have <zookeeper> and <distributed_ddl> configured and are all up): %w", w.db, w.cluster, err)
			}
			return MigrateResult{}, fmt.Errorf("migrating warehouse database %s: creating it: %w", w.db, err)
		}
	}
	if e, ok := w.eng.(interface{ databaseCreated(context.Context) error }); ok {
		if err := e.databaseCreated(ctx); err != nil {
			return MigrateResult{}, fmt.Errorf("migrating warehouse database %s: %w", w.db, err)
		}
	}
	applied, err := w.appliedMigrations(ctx)
	if err != nil {
		return MigrateResult{}, err
	}
	res := MigrateResult{}
	for v := range applied {
		res.From = max(res.From, v)
	}
	res.To = res.From
	for _, m := range ms {
		if _, ok := applied[m.version]; ok {
			continue
		}
		stmts, err := d.statements(m)
		if err != nil {
			return res, err
		}
		for i, s := range stmts {
			if err := w.eng.exec(ctx, s); err != nil {
				return res, fmt.Errorf("applying migration %s (statement %d of %d): %w", m.name, i+1, len(stmts), err)
			}
		}
		cols := []column{{"version", "UInt32"}, {"name", "String"}, {"applied", "DateTime('UTC')"}}
		row := []any{uint32(m.version), m.name, time.Now().UTC().Truncate(time.Second)}
		if err := w.eng.insert(ctx, d.DB+".schema_migrations", cols, [][]any{row}); err != nil {
			return res, fmt.Errorf("recording migration %s: %w", m.name, err)
		}
		res.Applied = append(res.Applied, m.name)
		res.To = max(res.To, m.version)
		w.log.Info("applied warehouse migration", "migration", m.name)
	}
	return res, nil
}

func (w *Warehouse) appliedMigrations(ctx context.Context) (map[int]string, error) {
	it, err := w.eng.query(ctx, "SELECT version, name FROM "+quoteIdent(w.db)+".schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("reading the schema version of warehouse database %s: %w", w.db, err)
	}
	rows := &Rows{it: it}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var v int
		var n string
		if err := rows.Scan(&v, &n); err != nil {
			return nil, err
		}
		out[v] = n
	}
	return out, rows.Err()
}

// SchemaVersion returns the number of the last applied migration (0 for a
// database that was never migrated).
func (w *Warehouse) SchemaVersion(ctx context.Context) (int, error) {
	exists, err := w.tableExists(ctx, "schema_migrations")
	if err != nil || !exists {
		return 0, err
	}
	applied, err := w.appliedMigrations(ctx)
	if err != nil {
		return 0, err
	}
	v := 0
	for k := range applied {
		v = max(v, k)
	}
	return v, nil
}

// LatestSchemaVersion is the number of the newest embedded migration.
func LatestSchemaVersion() int {
	ms, err := loadMigrations(migrationFS)
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

func (w *Warehouse) tableExists(ctx context.Context, table string) (bool, error) {
	q, _ := bind("SELECT count() FROM system.tables WHERE database = ? AND name = ?", []any{w.db, table})
	it, err := w.eng.query(ctx, q)
	if err != nil {
		return false, fmt.Errorf("checking for table %s.%s: %w", w.db, table, err)
	}
	rows := &Rows{it: it}
	defer rows.Close()
	var n int64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return false, err
		}
	}
	return n > 0, rows.Err()
}
