package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
)

// summaryRow parses the summary line of source from `pmo collect` output.
func summaryRow(t *testing.T, out, source string) map[string]int64 {
	t.Helper()
	lines := strings.Split(out, "\n")
	var header []string
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] == "source" {
			header = f
		}
		if len(f) > 0 && f[0] == source && header != nil {
			row := map[string]int64{}
			for i, h := range header[1:] {
				if i+1 < len(f) {
					if n, err := strconv.ParseInt(f[i+1], 10, 64); err == nil {
						row[h] = n
					}
				}
			}
			return row
		}
	}
	t.Fatalf("no summary row for %s in:\n%s", source, out)
	return nil
}

// TestCollectFromSimulator runs `pmo migrate` and `pmo collect` against the
// Jira simulator (Cloud and Data Center) into a real engine: the summary
// matches the simulator's ground truth, an immediate re-run changes nothing,
// and `pmo status` shows the rows and the cursors.
func TestCollectFromSimulator(t *testing.T) {
	for _, engine := range []string{"chdb", "server"} {
		t.Run(engine, func(t *testing.T) {
			cfgBase, dsn, db := engineConfig(t, engine)
			_ = cfgBase
			var sources strings.Builder
			truths := map[string]jirasim.Truth{}
			for _, mode := range []jirasim.Mode{jirasim.Cloud, jirasim.DataCenter} {
				sim, err := jirasim.New(jirasim.Config{Mode: mode, Issues: 300, Seed: 7})
				if err != nil {
					t.Fatal(err)
				}
				base, err := sim.Start()
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(sim.Close)
				name := "sim-" + string(mode)
				truths[name] = sim.Truth()
				auth := "{email: sim@example.com, api_token: \"${SIM_TOKEN}\"}"
				if mode == jirasim.DataCenter {
					auth = "{personal_access_token: \"${SIM_PAT}\"}"
				}
				fmt.Fprintf(&sources, "  - name: %s\n    type: jira\n    url: %s\n    deployment: %s\n    auth: %s\n    projects: [%s]\n",
					name, base, mode, auth, strings.Join(sim.ProjectKeys(), ", "))
			}
			cfg := writeConfig(t, fmt.Sprintf("warehouse:\n  dsn: %q\n  database: %s\n  chdb_library: %q\nsources:\n%s",
				dsn, db, chdbLibraryOrEmpty(engine, t), sources.String()))
			env := map[string]string{"SIM_TOKEN": "sim-token", "SIM_PAT": "sim-pat"}
			if r := run(t, env, "migrate", "-c", cfg); r.code != 0 {
				t.Fatalf("migrate: %d %s", r.code, r.stderr)
			}
			r := run(t, env, "collect", "-c", cfg)
			t.Logf("collect: exit %d\n%s", r.code, r.stdout)
			if r.code != 0 {
				t.Fatalf("collect: exit %d\n%s", r.code, tail(r.stderr, 20))
			}
			for name, truth := range truths {
				row := summaryRow(t, r.stdout, name)
				if row["issues"] != int64(truth.Issues) || row["changes"] != int64(truth.Changes) || row["worklogs"] != int64(truth.Worklogs) {
					t.Errorf("%s summary %v, want issues %d changes %d worklogs %d", name, row, truth.Issues, truth.Changes, truth.Worklogs)
				}
				if row["requests"] == 0 {
					t.Errorf("%s summary shows no requests: %v", name, row)
				}
			}
			status := run(t, env, "status", "-c", cfg)
			wantIssues := truths["sim-cloud"].Issues + truths["sim-datacenter"].Issues
			if !regexp.MustCompile(`\n  issues\s+` + strconv.Itoa(wantIssues) + `\n`).MatchString(status.stdout) {
				t.Errorf("status does not show %d issues:\n%s", wantIssues, status.stdout)
			}
			if strings.Contains(status.stdout, "never collected") {
				t.Errorf("status shows a source without cursors:\n%s", status.stdout)
			}
			// Again, only the cloud source: nothing changes.
			r = run(t, env, "collect", "-c", cfg, "--source", "sim-cloud")
			if r.code != 0 {
				t.Fatalf("second collect: exit %d\n%s", r.code, tail(r.stderr, 20))
			}
			if strings.Contains(r.stdout, "sim-datacenter") {
				t.Errorf("--source sim-cloud also collected sim-datacenter:\n%s", r.stdout)
			}
			again := run(t, env, "status", "-c", cfg)
			rows := regexp.MustCompile(`(?s)rows.*cursors:`)
			if rows.FindString(again.stdout) != rows.FindString(status.stdout) {
				t.Errorf("an immediate re-run changed the warehouse:\nbefore\n%s\nafter\n%s", status.stdout, again.stdout)
			}
			// --full re-reads everything; readers still see each record once.
			r = run(t, env, "collect", "-c", cfg, "--source", "sim-datacenter", "--full")
			if r.code != 0 {
				t.Fatalf("collect --full: exit %d\n%s", r.code, tail(r.stderr, 20))
			}
			if row := summaryRow(t, r.stdout, "sim-datacenter"); row["issues"] != int64(truths["sim-datacenter"].Issues) {
				t.Errorf("--full collected %v, want every issue (%d)", row, truths["sim-datacenter"].Issues)
			}
			full := run(t, env, "status", "-c", cfg)
			if rows.FindString(full.stdout) != rows.FindString(status.stdout) {
				t.Errorf("collect --full changed what readers see:\nbefore\n%s\nafter\n%s", status.stdout, full.stdout)
			}
			// A source that is not configured is a usage error.
			r = run(t, env, "collect", "-c", cfg, "--source", "nope")
			checkOneLineError(t, r, ExitUsage, []string{"--source nope: no source of that name", "sim-cloud, sim-datacenter"}, nil)
		})
	}
}

func chdbLibraryOrEmpty(engine string, t *testing.T) string {
	if engine == "chdb" {
		return chdbLibrary(t)
	}
	return ""
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestDemo runs `pmo demo` twice on the embedded engine: the first run
// migrates and collects the simulator completely, the second is an
// incremental run that finds nothing new.
func TestDemo(t *testing.T) {
	cfg, _, _ := engineConfig(t, "chdb")
	r := runAt(t, demoDay, "demo", "--issues", "200", "--no-serve", "--history-weeks", "0", "--out", t.TempDir(), "-c", cfg)
	if r.code != 0 {
		t.Fatalf("demo: exit %d\n%s", r.code, tail(r.stderr, 20))
	}
	m := regexp.MustCompile(`simulator ground truth: (\d+) issues, (\d+) changes`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("demo output lacks the ground truth:\n%s", r.stdout)
	}
	row := summaryRow(t, r.stdout, "demo-jira-cloud-200")
	if strconv.FormatInt(row["issues"], 10) != m[1] || strconv.FormatInt(row["changes"], 10) != m[2] {
		t.Errorf("demo collected %v, ground truth %s issues %s changes", row, m[1], m[2])
	}
	if !regexp.MustCompile(`\n  issues\s+` + m[1] + `\n`).MatchString(r.stdout) {
		t.Errorf("demo status does not show %s issues:\n%s", m[1], r.stdout)
	}
	r = runAt(t, demoDay, "demo", "--issues", "200", "--no-serve", "--history-weeks", "0", "--out", t.TempDir(), "-c", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, "schema is up to date") {
		t.Fatalf("second demo: exit %d\n%s\n%s", r.code, r.stdout, tail(r.stderr, 20))
	}
	if !regexp.MustCompile(`\n  issues\s+` + m[1] + `\n`).MatchString(r.stdout) {
		t.Errorf("second demo changed the issue count:\n%s", r.stdout)
	}
	r = run(t, nil, "demo", "--mode", "onprem")
	checkOneLineError(t, r, ExitUsage, []string{`--mode "onprem": expected cloud or datacenter`}, nil)
	r = run(t, nil, "demo", "--trackers", "jira,redmine")
	checkOneLineError(t, r, ExitUsage, []string{`--trackers: "redmine" is not a simulated tracker`}, nil)
	r = run(t, nil, "demo", "--trackers", "github")
	checkOneLineError(t, r, ExitUsage, []string{`jira is the demo's organisation`}, nil)
}

// TestDemoMixedTrackers: pmo demo --trackers jira,github,gitlab collects a
// GitHub repository and a GitLab project beside the Jira organisation into
// its programs (sources[].program): one portfolio across trackers, with a
// report page per project and the program pages linking them.
func TestDemoMixedTrackers(t *testing.T) {
	cfg, _, _ := engineConfig(t, "chdb")
	out := t.TempDir()
	r := runAt(t, demoDay, "demo", "--trackers", "jira,github,gitlab", "--issues", "100", "--no-serve", "--history-weeks", "0", "--out", out, "-c", cfg)
	if r.code != 0 {
		t.Fatalf("demo: exit %d\n%s", r.code, tail(r.stderr, 20))
	}
	for _, src := range []string{"demo-github", "demo-gitlab"} {
		if row := summaryRow(t, r.stdout, src); row["issues"] == 0 {
			t.Errorf("demo collected no issues from %s: %v", src, row)
		}
	}
	pages, err := filepath.Glob(filepath.Join(out, "current", "program-*.html"))
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, page := range []string{"project-demo-github-acme-mobile-app.html", "project-demo-gitlab-acme-proj-1.html"} {
			if strings.Contains(string(b), `href="`+page+`"`) {
				linked[page] = true
				if _, err := os.Stat(filepath.Join(out, "current", page)); err != nil {
					t.Errorf("%s links %s, which was not written: %v", filepath.Base(p), page, err)
				}
			}
		}
	}
	if len(linked) != 2 {
		t.Errorf("the program pages link %v; want the GitHub and the GitLab project pages (pages %v)", linked, pages)
	}
}

// TestCollectAuthFailure: a source whose token the tracker refuses fails
// with a one-line error naming the source, exit code 1, and no token.
func TestCollectAuthFailure(t *testing.T) {
	cfgBase, dsn, db := engineConfig(t, "chdb")
	_ = cfgBase
	sim, err := jirasim.New(jirasim.Config{Mode: jirasim.Cloud, Issues: 100})
	if err != nil {
		t.Fatal(err)
	}
	base, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	cfg := writeConfig(t, fmt.Sprintf(`warehouse:
  dsn: %q
  database: %s
  chdb_library: %q
sources:
  - name: wrong-token
    type: jira
    url: %s
    deployment: cloud
    auth: {email: sim@example.com, api_token: "${SIM_TOKEN}"}
    projects: [ABC]
`, dsn, db, chdbLibrary(t), base))
	env := map[string]string{"SIM_TOKEN": "not-the-Token-123"}
	if r := run(t, env, "migrate", "-c", cfg); r.code != 0 {
		t.Fatalf("migrate: %d %s", r.code, r.stderr)
	}
	r := run(t, env, "collect", "-c", cfg, "--log-level", "error")
	// The collector's own error log line may precede the final one; the
	// final "pmo: " line is what scripts see.
	if r.code != ExitFailure {
		t.Errorf("exit %d, want %d:\n%s", r.code, ExitFailure, r.stderr)
	}
	var last string
	for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if strings.HasPrefix(l, "pmo: ") {
			if last != "" {
				t.Errorf("more than one pmo: line:\n%s", r.stderr)
			}
			last = l
		}
	}
	if !strings.Contains(last, "wrong-token") || !regexp.MustCompile(`(?i)authentication failed|401`).MatchString(last) {
		t.Errorf("error does not name the source and the authentication failure: %q", last)
	}
	if strings.Contains(r.stderr+r.stdout, "not-the-Token-123") {
		t.Errorf("the token reached the output:\n%s", r.stderr)
	}
	t.Logf("stderr:\n%s", r.stderr)
}

// TestCollectProgressBarOnTerminal takes the terminal branch: a progress
// spinner on stderr (and text logs) instead of JSON progress logs.
func TestCollectProgressBarOnTerminal(t *testing.T) {
	cfg, _, _ := engineConfig(t, "chdb")
	var out, errb bytes.Buffer
	a := &App{
		Stdout:     &out,
		Stderr:     &errb,
		LookupEnv:  func(string) (string, bool) { return "", false },
		IsTerminal: func(io.Writer) bool { return true },
	}
	if code := a.Run(context.Background(), []string{"demo", "--issues", "300", "--seed", "3", "--no-serve", "--history-weeks", "0", "--out", t.TempDir(), "-c", cfg}); code != 0 {
		t.Fatalf("demo on a terminal: exit %d\n%s", code, tail(errb.String(), 10))
	}
	stderr := errb.String()
	if !strings.Contains(stderr, "demo-jira-cloud-300-seed3: ") || !strings.Contains(stderr, "issues/s") {
		t.Errorf("no progress bar on the terminal:\n%s", tail(stderr, 10))
	}
	if strings.Contains(stderr, `"level":"INFO"`) {
		t.Errorf("JSON logs on a terminal (want text):\n%s", tail(stderr, 10))
	}
	if !strings.Contains(out.String(), "demo-jira-cloud-300-seed3") {
		t.Errorf("no summary:\n%s", out.String())
	}
}
