package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompletion: pmo completion is listed and writes the shell scripts;
// values complete: KPI ids for kpi explain/sql, source names for --source,
// and scopes for --scope — from the configuration when the warehouse
// cannot be read (here: a warehouse folder that does not exist).
func TestCompletion(t *testing.T) {
	if r := run(t, nil, "--help"); !strings.Contains(r.stdout, "completion") {
		t.Errorf("pmo --help does not list completion:\n%s", r.stdout)
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if r := run(t, nil, "completion", shell); r.code != 0 || len(r.stdout) < 500 {
			t.Errorf("pmo completion %s: exit %d, %d bytes\n%s", shell, r.code, len(r.stdout), r.stderr)
		}
	}
	cfg := writeConfig(t, fmt.Sprintf(`warehouse:
  dsn: chdb://%s
sources:
  - name: jira-main
    type: jira
    url: https://example.atlassian.net
    deployment: cloud
    auth: {email: a@example.com, api_token: t0ken}
    projects: [PAY]
  - name: jira-dc
    type: jira
    url: https://jira.example.com
    deployment: datacenter
    auth: {personal_access_token: t0ken}
    projects: [OPS]
kpi:
  scopes:
    - kind: program
      name: Payments
      sle: {days: 9, percentile: 0.85}
email:
  host: localhost
  from: pmo@example.com
  reports:
    - name: weekly-board
      to: [board@example.com]
`, filepath.Join(t.TempDir(), "missing", "wh")))
	for _, tt := range []struct {
		args []string
		want []string
		not  []string
	}{
		{[]string{"kpi", "explain", "cyc"}, []string{"cycle_time\tCycle time"}, []string{"throughput"}},
		{[]string{"kpi", "sql", ""}, []string{"throughput", "wip", "cycle_time"}, nil},
		{[]string{"kpi", "explain", "wip", ""}, nil, []string{"throughput"}},
		{[]string{"collect", "--source", ""}, []string{"jira-main\tjira", "jira-dc\tjira"}, nil},
		{[]string{"collect", "--source", "jira-d"}, []string{"jira-dc"}, []string{"jira-main"}},
		{[]string{"kpi", "--scope", ""}, []string{"portfolio", "source:jira-main", "source:jira-dc", "program:Payments", "project"}, nil},
		{[]string{"report", "--scope", "source:"}, []string{"source:jira-main", "source:jira-dc"}, []string{"portfolio", "program:Payments"}},
		{[]string{"email", "--scope", "prog"}, []string{"program:Payments", "program"}, []string{"portfolio"}},
		{[]string{"kpi", "explain", "wip", "--scope", "p"}, []string{"portfolio", "program:Payments"}, []string{"source:"}},
		{[]string{"email", "--report", ""}, []string{"weekly-board"}, nil},
		{[]string{"kpi", "--format", ""}, []string{"table", "json", "csv"}, nil},
	} {
		r := run(t, nil, append([]string{"-c", cfg, "__complete"}, tt.args...)...)
		name := strings.Join(tt.args, " ")
		if r.code != 0 {
			t.Errorf("__complete %s: exit %d\n%s", name, r.code, r.stderr)
		}
		lines := strings.Split(r.stdout, "\n")
		for _, w := range tt.want {
			if !contains(lines, w) {
				t.Errorf("__complete %s lacks %q:\n%s", name, w, r.stdout)
			}
		}
		for _, n := range tt.not {
			for _, l := range lines {
				if strings.HasPrefix(l, n) {
					t.Errorf("__complete %s offers %q:\n%s", name, l, r.stdout)
				}
			}
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(cfg), "missing")); err == nil {
		t.Errorf("completing created the warehouse folder")
	}
}

// contains reports whether a completion is offered (with or without its
// description).
func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s || strings.HasPrefix(l, s+"\t") {
			return true
		}
	}
	return false
}
