package jira_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/jira"
	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/secret"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// The SIGKILL test re-runs this test binary as a child that collects the
// parent's simulator into an embedded warehouse. These variables carry the
// child's orders.
const (
	envKillChild    = "PMO_JIRA_KILL_CHILD" // the chDB data directory
	envKillURL      = "PMO_JIRA_KILL_URL"
	envKillMode     = "PMO_JIRA_KILL_MODE"
	envKillProjects = "PMO_JIRA_KILL_PROJECTS"
)

// TestKillChild is the child's side; it does nothing in a normal test run.
// It prints "seen <n>" as issues are collected and, when the collection
// ends, "counts <json>" with the warehouse's reader counts and "dups <n>",
// the number of issue and change identities readers see more than once.
func TestKillChild(t *testing.T) {
	dir := os.Getenv(envKillChild)
	if dir == "" {
		return // only runs as TestSimKilled's child
	}
	ctx := context.Background()
	w, err := warehouse.Open(ctx, warehouse.Options{DSN: "chdb://" + dir, BatchSize: 2000, FlushInterval: 200 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	before, err := w.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("before %d\n", before[string(model.KindIssue)])
	cfg := jira.NewConfig()
	cfg.URL = os.Getenv(envKillURL)
	if jirasim.Mode(os.Getenv(envKillMode)) == jirasim.Cloud {
		cfg.Auth.Email, cfg.Auth.APIToken = "sim@example.com", secret.Secret("sim-token")
	} else {
		cfg.Auth.PersonalAccessToken = secret.Secret("sim-pat")
	}
	cfg.Projects = strings.Split(os.Getenv(envKillProjects), ",")
	cfg.RequestsPerSecond = 0
	c, err := jira.New("sim", cfg)
	if err != nil {
		t.Fatal(err)
	}
	sink := w.Sink()
	_, err = c.Collect(ctx, sink, collectors.Options{Progress: func(p collectors.Progress) {
		fmt.Printf("seen %d\n", p.IssuesSeen)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(ctx); err != nil {
		t.Fatal(err)
	}
	counts, err := w.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(counts)
	fmt.Printf("counts %s\n", b)
	var dups uint64
	for _, q := range []string{
		"SELECT count() FROM (SELECT id FROM v_issues GROUP BY source, id HAVING count() > 1)",
		"SELECT count() FROM (SELECT change_id, item FROM v_changes GROUP BY source, issue_id, change_id, item HAVING count() > 1)",
	} {
		rows, err := w.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n uint64
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			dups += n
		}
		rows.Close()
	}
	fmt.Printf("dups %d\n", dups)
}

// TestSimKilled kills a collection with SIGKILL half-way, runs it again to
// the end and expects the warehouse to hold exactly the simulator's truth.
func TestSimKilled(t *testing.T) {
	if os.Getenv(envKillChild) != "" {
		t.Skip("in the child")
	}
	modes := []jirasim.Mode{jirasim.Cloud, jirasim.DataCenter}
	if raceEnabled {
		modes = modes[1:] // a -race child is slow; one deployment is enough there
	}
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			sim, base := startSim(t, jirasim.Config{Mode: mode, Issues: 4000, Seed: 31})
			projects := simProjects(t, sim, base)
			dir := t.TempDir()
			child := func(ctx context.Context) *exec.Cmd {
				cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestKillChild$", "-test.v")
				cmd.Env = append(os.Environ(), envKillChild+"="+dir, envKillURL+"="+base, envKillMode+"="+string(mode),
					envKillProjects+"="+strings.Join(projects, ","))
				cmd.Stderr = os.Stderr
				return cmd
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			want := sim.Truth()

			// First run: SIGKILL once half of the issues were seen.
			cmd := child(ctx)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			killedAt := int64(-1)
			var lines []string
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				line := sc.Text()
				lines = append(lines, line)
				if n, ok := strings.CutPrefix(line, "seen "); ok && killedAt < 0 {
					if v, _ := strconv.ParseInt(n, 10, 64); v >= int64(want.Issues/2) {
						killedAt = v
						if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			err = cmd.Wait()
			var ee *exec.ExitError
			if killedAt < 0 || !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				if strings.Contains(strings.Join(lines, "\n"), "libchdb") {
					whtest.Unavailable(t, "chDB library not found: "+lastLines(lines))
				}
				t.Fatalf("first run was not killed mid-way (seen %d, %v): %s", killedAt, err, lastLines(lines))
			}
			if _, err := os.Stat(filepath.Clean(dir)); err != nil {
				t.Fatal(err)
			}

			// Second run: to the end. Its last line ("dups …") means the
			// collection is stored; the child is then killed rather than
			// awaited, because a -race child with chDB may hang at exit.
			cmd = child(ctx)
			out, err = cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines = lines[:0]
			sc = bufio.NewScanner(out)
			for sc.Scan() {
				lines = append(lines, sc.Text())
				if strings.HasPrefix(sc.Text(), "dups ") {
					_ = cmd.Process.Kill()
					break
				}
			}
			_ = cmd.Wait()
			var counts map[string]uint64
			dups, resumed := int64(-1), int64(-1)
			for _, line := range lines {
				if j, ok := strings.CutPrefix(line, "counts "); ok {
					if err := json.Unmarshal([]byte(j), &counts); err != nil {
						t.Fatal(err)
					}
				}
				if n, ok := strings.CutPrefix(line, "before "); ok {
					resumed, _ = strconv.ParseInt(n, 10, 64)
				}
				if n, ok := strings.CutPrefix(line, "dups "); ok {
					dups, _ = strconv.ParseInt(n, 10, 64)
				}
			}
			if resumed <= 0 || resumed >= int64(want.Issues) {
				t.Errorf("the killed run left %d issues in the warehouse; want some, not all", resumed)
			}
			if counts == nil || dups < 0 {
				t.Fatalf("the second run did not finish: %s", lastLines(lines))
			}
			for k, n := range truthCounts(want) {
				if got := counts[string(k)]; got != uint64(n) {
					t.Errorf("%s: readers see %d, truth %d", k, got, n)
				}
			}
			if got := counts[string(model.KindIssueDeleted)]; got != 0 {
				t.Errorf("%d deletions recorded, want none", got)
			}
			if dups != 0 {
				t.Errorf("%d identities seen twice by readers", dups)
			}
			t.Logf("%s: killed at %d of %d issues seen, %d stored; after the second run %v", mode, killedAt, want.Issues, resumed, counts)
		})
	}
}

func lastLines(lines []string) string {
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}
