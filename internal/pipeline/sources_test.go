package pipeline_test

import (
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/config"
	"github.com/pmo-oss/pmo/internal/pipeline"
)

// TestNewSources builds collectors from the registry (collectors/all is
// imported by this test, as by the pmo binary — never by the pipeline).
func TestNewSources(t *testing.T) {
	jira := func(name string) config.Source {
		cfg, err := pipeline.ParseConfig([]byte("sources:\n  - {name: "+name+", type: jira, url: https://example.atlassian.net, auth: {email: a@example.com, api_token: t}, projects: [A]}\n"), "(test)", config.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Sources[0]
	}
	tests := []struct {
		name    string
		sources []config.Source
		want    []string // source names, or
		wantErr string
	}{
		{"none", nil, nil, ""},
		{"two in order", []config.Source{jira("b"), jira("a")}, []string{"b", "a"}, ""},
		{"unknown type", []config.Source{jira("a"), {Name: "bz", Type: "bugzilla"}}, nil, `source bz: unknown source type "bugzilla"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pipeline.NewSources(tt.sources)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range got {
				if s.Collector == nil || s.Collector.Source() != s.Name {
					t.Errorf("source %s has collector %v", s.Name, s.Collector)
				}
				names = append(names, s.Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Errorf("sources %v, want %v", names, tt.want)
			}
		})
	}
}
