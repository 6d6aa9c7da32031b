package standards

import (
	"context"
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

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

// modelSQL renders model name, each {{ref}} the referenced model's SELECT
// in parentheses, then binds the {param}s as literals.
func modelSQL(name string, params map[string]any) (string, error) {
	ms, err := relationModels()
	if err != nil {
		return "", err
	}
	text, err := expand(ms, name, nil)
	if err != nil {
		return "", err
	}
	q, err := warehouse.BindNamed(text, params)
	if err != nil {
		return "", fmt.Errorf("standards: model %s: %w", name, err)
	}
	return q, nil
}

func expand(ms map[string]string, name string, stack []string) (string, error) {
	if slices.Contains(stack, name) {
		return "", fmt.Errorf("standards: model %s refers to itself through %s", name, strings.Join(stack, " → "))
	}
	sql, ok := ms[name]
	if !ok {
		return "", fmt.Errorf("standards: no model %q in models/standards.sql", name)
	}
	var err error
	out := modelRef.ReplaceAllStringFunc(sql, func(ref string) string {
		sub, e := expand(ms, ref[2:len(ref)-2], append(stack, name))
		if e != nil && err == nil {
			err = e
		}
		return "(" + sub + ")"
	})
	return out, err
}

// query runs model name and calls scan for each row.
func query(ctx context.Context, w *warehouse.Warehouse, name, what string, params map[string]any, scan func(r *warehouse.Rows) error) error {
	q, err := modelSQL(name, params)
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
