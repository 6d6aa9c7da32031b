// Package sqlmodel reads the SQL model files of the packages that compute
// from the warehouse (the KPI engine, the RAID log, the standards
// scorecard, the change log) and renders their queries.
//
// A model file holds entries, each a marker line "-- KIND NAME: what it is"
// (or "-- KIND NAME" alone; the kinds are model, set and value)
// followed by one SELECT; other comment lines and blank lines are dropped.
// Relation models have the kind "model". A model selects from another with
// {{name}}, which stands for that model's relation — its own SELECT in
// parentheses, or a table the caller materialized it into — and takes its
// parameters as {name}, bound as literals by warehouse.BindNamed: values are
// never spliced into SQL as text.
package sqlmodel

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Entry is one "-- KIND NAME: …" block of a model file.
type Entry struct{ Kind, Name, SQL string }

var (
	marker = regexp.MustCompile(`^-- (model|set|value) ([a-z_0-9]+)(?::|$)`)
	ref    = regexp.MustCompile(`\{\{([a-z_0-9]+)\}\}`)
)

// Parse splits a model file's text into its entries of the given kinds, in
// file order; entries of other kinds are skipped. A name defined twice for
// one kind, or an entry without SQL, is an error.
func Parse(text string, kinds ...string) ([]Entry, error) {
	var out []Entry
	seen := map[string]bool{}
	var cur *strings.Builder
	var kind, name string
	flush := func() error {
		if cur == nil {
			return nil
		}
		sql := strings.TrimSpace(cur.String())
		if sql == "" {
			return fmt.Errorf("%s %s has no SQL", kind, name)
		}
		if seen[kind+" "+name] {
			return fmt.Errorf("%s %s is defined twice", kind, name)
		}
		seen[kind+" "+name] = true
		out = append(out, Entry{Kind: kind, Name: name, SQL: sql})
		return nil
	}
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if m := marker.FindStringSubmatch(t); m != nil {
			if err := flush(); err != nil {
				return nil, err
			}
			cur = nil
			if slices.Contains(kinds, m[1]) {
				kind, name, cur = m[1], m[2], &strings.Builder{}
			}
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

// Set is the relation models ("-- model NAME: …") of one package's files.
type Set struct {
	owner  string
	models map[string]source
}

type source struct{ file, sql string }

// Load reads the relation models of the files of fsys matching pattern;
// owner (e.g. "raid") prefixes its errors. A model defined in two files is
// an error.
func Load(owner string, fsys fs.FS, pattern string) (*Set, error) {
	s := &Set{owner: owner, models: map[string]source{}}
	files, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, fmt.Errorf("%s: model files %s: %w", owner, pattern, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no model files match %s", owner, pattern)
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", owner, err)
		}
		es, err := Parse(string(b), "model")
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", owner, f, err)
		}
		for _, e := range es {
			if prev, dup := s.models[e.Name]; dup {
				return nil, fmt.Errorf("%s: model %s is defined in %s and %s", owner, e.Name, prev.file, f)
			}
			s.models[e.Name] = source{file: f, sql: e.SQL}
		}
	}
	return s, nil
}

// Names are the set's model names, sorted.
func (s *Set) Names() []string {
	out := make([]string, 0, len(s.models))
	for n := range s.models {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// File is the file that defines model name ("" when there is none).
func (s *Set) File(name string) string { return s.models[name].file }

// Text is model name's SQL as written, before expansion and binding.
func (s *Set) Text(name string) (string, bool) {
	m, ok := s.models[name]
	return m.sql, ok
}

// SQL renders model name: each {{ref}} becomes rels[ref] when the caller
// has it (a materialized table), else the referenced model's rendered
// SELECT in parentheses; then the {param}s are bound from params.
func (s *Set) SQL(name string, rels map[string]string, params map[string]any) (string, error) {
	text, err := s.expand(name, rels, nil)
	if err != nil {
		return "", err
	}
	q, err := warehouse.BindNamed(text, params)
	if err != nil {
		return "", fmt.Errorf("%s: model %s (%s): %w", s.owner, name, s.models[name].file, err)
	}
	return q, nil
}

// Expand is SQL without binding the parameters.
func (s *Set) Expand(name string, rels map[string]string) (string, error) {
	return s.expand(name, rels, nil)
}

func (s *Set) expand(name string, rels map[string]string, stack []string) (string, error) {
	if slices.Contains(stack, name) {
		return "", fmt.Errorf("%s: model %s refers to itself through %s", s.owner, name, strings.Join(stack, " → "))
	}
	m, ok := s.models[name]
	if !ok {
		return "", fmt.Errorf("%s: no model %q in its model files", s.owner, name)
	}
	var err error
	out := ref.ReplaceAllStringFunc(m.sql, func(r string) string {
		r = r[2 : len(r)-2]
		if t, ok := rels[r]; ok {
			return t
		}
		sub, e := s.expand(r, rels, append(stack, name))
		if e != nil && err == nil {
			err = e
		}
		return "(" + sub + ")"
	})
	return out, err
}

// Refs are the {{names}} model text refers to, in order of appearance.
func Refs(text string) []string {
	var out []string
	for _, m := range ref.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// Each runs model name (rendered as SQL does) on w and calls scan for each
// row; errors say what was being read ("<owner>: reading <what>: …").
func (s *Set) Each(ctx context.Context, w *warehouse.Warehouse, name, what string, rels map[string]string, params map[string]any, scan func(r *warehouse.Rows) error) error {
	q, err := s.SQL(name, rels, params)
	if err != nil {
		return err
	}
	rows, err := w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: reading %s: %w", s.owner, what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("%s: reading %s: %w", s.owner, what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: reading %s: %w", s.owner, what, err)
	}
	return nil
}
