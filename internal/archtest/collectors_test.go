package archtest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/collectors"
	_ "github.com/pmo-oss/pmo/collectors/all" // every collector type of the pmo binary
	"github.com/pmo-oss/pmo/internal/config"
	"github.com/pmo-oss/pmo/internal/pipeline"
)

// registered reports whether collectors/all registers type name.
func registered(name string) bool {
	_, err := collectors.Lookup(name)
	return err == nil
}

// loadSample loads a sample as pmo.yaml's sources, strictly and validated,
// with every ${VAR} set to a placeholder (a sample names its secrets as
// environment variables).
func loadSample(file string, data []byte) ([]string, error) {
	cfg, err := pipeline.ParseConfig(SampleAsConfig(data), file, config.Options{
		LookupEnv: func(k string) (string, bool) { return "sample-" + k, true },
	})
	var ce *config.Error
	if errors.As(err, &ce) {
		// Point at the sample's own lines: SampleAsConfig added a first line
		// and indented every other by two.
		for i := range ce.Problems {
			if p := &ce.Problems[i]; p.Line > 1 {
				p.Line--
				p.Column = max(p.Column-2, 0)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	types := make([]string, len(cfg.Sources))
	for i, s := range cfg.Sources {
		types[i] = s.Type
	}
	return types, nil
}

// TestCollectorConventions checks every collectors/<name>/ folder of the
// repository.
func TestCollectorConventions(t *testing.T) {
	dir := filepath.Join(root, "collectors")
	for _, p := range CollectorProblems(dir, registered, loadSample) {
		t.Error(p)
	}
	// The check must see the real collectors, or it proves nothing.
	if _, err := os.Stat(filepath.Join(dir, "jira", "sample.yaml")); err != nil {
		t.Fatalf("collectors/jira/sample.yaml: %v", err)
	}
}

// TestCollectorConventionsCatchDefects runs the check over a made-up
// collectors folder with one defect per case.
func TestCollectorConventionsCatchDefects(t *testing.T) {
	const sample = "- name: jira-cloud\n  type: jira\n  url: https://example.atlassian.net\n  auth:\n    email: bot@example.com\n    api_token: ${JIRA_API_TOKEN}\n  projects: [ABC]\n"
	type folder struct {
		name           string
		readme, sample string // "" = file absent
	}
	tests := []struct {
		name    string
		folders []folder
		want    []string // substrings of the problems; none = no problem
	}{
		{"sound", []folder{{"jira", "# Jira", sample}, {"all", "", ""}, {"collectortest", "", ""}}, nil},
		{"unregistered folder", []folder{{"jira", "# Jira", sample}, {"bugzilla", "# Bugzilla", strings.ReplaceAll(sample, "type: jira", "type: bugzilla")}},
			[]string{`collectors/bugzilla: no collector type "bugzilla" is registered`, "collectors/bugzilla: sample.yaml does not load", `unknown source type "bugzilla"`}},
		{"no README", []folder{{"jira", "", sample}}, []string{"collectors/jira: no README.md"}},
		{"no sample", []folder{{"jira", "# Jira", ""}}, []string{"collectors/jira: no sample.yaml"}},
		{"sample with an unknown key", []folder{{"jira", "# Jira", sample + "  projekts: [X]\n"}},
			[]string{"collectors/jira: sample.yaml does not load", `collectors/jira/sample.yaml:8:3: sources[0].projekts: unknown key (did you mean "projects"?)`}},
		{"sample that does not validate", []folder{{"jira", "# Jira", strings.ReplaceAll(sample, "https://example.atlassian.net", "example.atlassian.net")}},
			[]string{"collectors/jira: sample.yaml does not load", "sources[0].url"}},
		{"sample that is not YAML", []folder{{"jira", "# Jira", "- name: [x\n"}}, []string{"collectors/jira: sample.yaml does not load", "malformed YAML"}},
		{"sample of another type", []folder{{"jira", "# Jira", sample}, {"jira2", "# Jira 2", sample}},
			[]string{`collectors/jira2: no collector type "jira2" is registered`, `collectors/jira2: sample.yaml source 0 has type "jira"`}},
		{"empty sample", []folder{{"jira", "# Jira", "# nothing yet\n"}}, []string{"collectors/jira: sample.yaml holds no source"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tt.folders {
				if err := os.Mkdir(filepath.Join(dir, f.name), 0o755); err != nil {
					t.Fatal(err)
				}
				for file, body := range map[string]string{"README.md": f.readme, "sample.yaml": f.sample} {
					if body == "" {
						continue
					}
					if err := os.WriteFile(filepath.Join(dir, f.name, file), []byte(body), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			got := strings.Join(CollectorProblems(dir, registered, loadSample), "\n")
			if len(tt.want) == 0 && got != "" {
				t.Fatalf("want no problem, got:\n%s", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("problems lack %q:\n%s", w, got)
				}
			}
		})
	}
}
