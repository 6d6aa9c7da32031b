package standards

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
)

// The relation models of models/standards.sql.

//go:embed models/standards.sql
var modelFile string

var (
	modelMarker = regexp.MustCompile(`^-- model ([a-z_0-9]+):`)
	modelRef    = regexp.MustCompile(`\{\{([a-z_0-9]+)\}\}`)
)

var relationModels = sync.OnceValues(func() (map[string]string, error) { return parseModels(modelFile) })

// parseModels splits a model file into its "-- model NAME: …" SELECTs
// (other comment lines are dropped).
func parseModels(text string) (map[string]string, error) {
	out := map[string]string{}
	var name string
	var cur *strings.Builder
	flush := func() error {
		if cur == nil {
			return nil
		}
		if _, dup := out[name]; dup {
			return fmt.Errorf("standards: model %s is defined twice in models/standards.sql", name)
		}
		if out[name] = strings.TrimSpace(cur.String()); out[name] == "" {
			return fmt.Errorf("standards: model %s in models/standards.sql has no SQL", name)
		}
		return nil
	}
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if m := modelMarker.FindStringSubmatch(t); m != nil {
			if err := flush(); err != nil {
				return nil, err
			}
			name, cur = m[1], &strings.Builder{}
			continue
		}
		if t == "" || strings.HasPrefix(t, "--") || cur == nil {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	return out, flush()
}

// modelSQL renders model name: each {{ref}} becomes rels[ref] when given
// (a materialized table), else the referenced model's SELECT in
// parentheses; then the {param}s are bound as literals.
func modelSQL(name string, rels map[string]string, params map[string]any) (string, error) {
	ms, err := relationModels()
	if err != nil {
		return "", err
	}
	text, err := expand(ms, name, rels, nil)
	if err != nil {
		return "", err
	}
	q, err := warehouse.BindNamed(text, params)
	if err != nil {
		return "", fmt.Errorf("standards: model %s: %w", name, err)
	}
	return q, nil
}

func expand(ms map[string]string, name string, rels map[string]string, stack []string) (string, error) {
	if slices.Contains(stack, name) {
		return "", fmt.Errorf("standards: model %s refers to itself through %s", name, strings.Join(stack, " → "))
	}
	sql, ok := ms[name]
	if !ok {
		return "", fmt.Errorf("standards: no model %q in models/standards.sql", name)
	}
	var err error
	out := modelRef.ReplaceAllStringFunc(sql, func(ref string) string {
		r := ref[2 : len(ref)-2]
		if t, ok := rels[r]; ok {
			return t
		}
		sub, e := expand(ms, r, rels, append(stack, name))
		if e != nil && err == nil {
			err = e
		}
		return "(" + sub + ")"
	})
	return out, err
}

// query runs model name and calls scan for each row.
func query(ctx context.Context, w *warehouse.Warehouse, name, what string, rels map[string]string, params map[string]any, scan func(r *warehouse.Rows) error) error {
	q, err := modelSQL(name, rels, params)
	if err != nil {
		return err
	}
	rows, err := w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("standards: reading %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("standards: reading %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("standards: reading %s: %w", what, err)
	}
	return nil
}

// tmpPrefix names the Memory tables read derives (with their creation
// instant, so that dropStale finds those of a run that died).
const tmpPrefix = "standards_tmp_"

// materialize derives model name into a Memory table and returns the
// relation that reads it and its cleanup; "" when the table cannot be
// created (e.g. a read-only user): the queries then inline the model.
func materialize(ctx context.Context, w *warehouse.Warehouse, name string, params map[string]any) (string, func()) {
	q, err := modelSQL(name, nil, params)
	if err != nil {
		return "", func() {}
	}
	table := fmt.Sprintf("%s%d_%d_%s", tmpPrefix, time.Now().UnixNano(), rand.Uint32(), name)
	if err := w.CreateMemoryTableAs(ctx, table, q); err != nil {
		slog.Debug("standards: not materialized; inlining it", "model", name, "err", err)
		return "", func() {}
	}
	return "(" + warehouse.SelectAll(table) + ")", func() {
		if err := w.DropTable(context.WithoutCancel(ctx), table); err != nil {
			slog.Warn("standards: dropping a temporary table", "table", table, "err", err)
		}
	}
}

// dropStale drops the temporary tables of runs that died more than an hour
// ago.
func dropStale(ctx context.Context, w *warehouse.Warehouse) {
	rows, err := w.Query(ctx, "SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, ?)", tmpPrefix)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		ns, _, _ := strings.Cut(strings.TrimPrefix(name, tmpPrefix), "_")
		if n, err := strconv.ParseInt(ns, 10, 64); err == nil && time.Since(time.Unix(0, n)) > time.Hour {
			stale = append(stale, name)
		}
	}
	_ = rows.Close()
	for _, name := range stale {
		_ = w.DropTable(ctx, name)
	}
}
