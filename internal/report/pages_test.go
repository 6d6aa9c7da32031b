package report

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
)

// smallModel is a portfolio of two programs with two projects each, from
// two sources, without values (pages and links only).
func smallModel() *Model {
	m := &Model{Title: "t", AsOf: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), TZ: time.UTC}
	m.Portfolio = &Scope{Kind: kpi.ScopePortfolio, Name: "all", Label: "Portfolio", Slug: "index"}
	for _, prog := range []string{"Alpha", "Beta"} {
		pg := &Scope{Kind: kpi.ScopeProgram, Name: prog, Label: prog, Slug: "program-" + strings.ToLower(prog)}
		m.Programs = append(m.Programs, pg)
		for i, src := range []string{"jira", "cloud"} {
			key := strings.ToUpper(prog[:1]) + string(rune('1'+i))
			p := &Scope{Kind: kpi.ScopeProject, Name: src + "/" + key, Label: key, Program: prog, Slug: "project-" + src + "-" + strings.ToLower(key)}
			pg.Children = append(pg.Children, p)
			m.Projects = append(m.Projects, p)
		}
	}
	m.Portfolio.Children = m.Programs
	for _, s := range append(append([]*Scope{}, m.Programs...), m.Projects...) {
		m.Scopes = append(m.Scopes, kpi.ScopeName(s.Kind, s.Name))
	}
	return m
}

var hrefRE = regexp.MustCompile(`href="([^"#:]+\.html)`)

// TestScopePagesLinkOnlyWrittenPages: whatever --scope selects, the set has
// a page for the selected scopes (a program brings its projects, a source
// its projects) and no page links to one the set does not have — the
// portfolio, crumbs, sibling chips and tables name the others unlinked.
func TestScopePagesLinkOnlyWrittenPages(t *testing.T) {
	js := filepath.Join(t.TempDir(), "echarts.min.js")
	if err := os.WriteFile(js, []byte("/* echarts */"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		scope string
		pages []string // besides index
	}{
		{"", []string{"program-alpha", "program-beta", "project-jira-a1", "project-cloud-a2", "project-jira-b1", "project-cloud-b2"}},
		{"program:Alpha", []string{"program-alpha", "project-jira-a1", "project-cloud-a2"}},
		{"project:A2", []string{"project-cloud-a2"}},
		{"project:jira/B1", []string{"project-jira-b1"}},
		{"source:jira", []string{"project-jira-a1", "project-jira-b1"}},
		{"program", []string{"program-alpha", "program-beta", "project-jira-a1", "project-cloud-a2", "project-jira-b1", "project-cloud-b2"}},
		{"project", []string{"project-jira-a1", "project-cloud-a2", "project-jira-b1", "project-cloud-b2"}},
	} {
		t.Run(tt.scope, func(t *testing.T) {
			f, err := kpi.ParseScopeFilter(tt.scope)
			if err != nil {
				t.Fatal(err)
			}
			m := smallModel()
			selectPages(m, f)
			out := t.TempDir()
			files, err := Write(context.Background(), m, WriteOptions{Out: out, EChartsJS: js})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range files {
				if name := filepath.Base(p); strings.HasSuffix(name, ".html") && !strings.HasSuffix(name, "-explain.html") && name != "index.html" {
					got = append(got, strings.TrimSuffix(name, ".html"))
				}
			}
			slices.Sort(got)
			want := slices.Clone(tt.pages)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("pages %v, want %v", got, want)
			}
			for _, p := range files {
				if !strings.HasSuffix(p, ".html") {
					continue
				}
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range hrefRE.FindAllStringSubmatch(string(b), -1) {
					if _, err := os.Stat(filepath.Join(out, l[1])); err != nil {
						t.Errorf("%s links to %s, which the set does not have", filepath.Base(p), l[1])
					}
				}
			}
		})
	}
}
