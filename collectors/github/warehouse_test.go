package github_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/github"
	"github.com/pmo-oss/pmo/collectors/github/githubsim"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

func viewCounts(t *testing.T, ctx context.Context, w *warehouse.Warehouse, source string) map[model.Kind]int {
	t.Helper()
	out := map[model.Kind]int{}
	for _, k := range model.Kinds {
		rows, err := w.Query(ctx, "SELECT count() FROM v_"+string(k)+" WHERE source = ?", source)
		if err != nil {
			t.Fatalf("counting %s: %v", k, err)
		}
		for rows.Next() {
			var n uint64
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			out[k] = int(n)
		}
		rows.Close()
	}
	return out
}

// The SIGKILL test re-runs this test binary as a child that collects the
// parent's simulator into a warehouse; these variables carry its orders.
const (
	envKillChild = "PMO_GITHUB_KILL_CHILD" // the warehouse DSN
	envKillDB    = "PMO_GITHUB_KILL_DB"
	envKillURL   = "PMO_GITHUB_KILL_URL"
)

// TestKillChild is the child's side; it does nothing in a normal run. It
// prints "seen <n>" as issues are collected and at the end "counts <json>"
// and "dups <n>" (issue and change identities readers see twice).
func TestKillChild(t *testing.T) {
	dsn := os.Getenv(envKillChild)
	if dsn == "" {
		return
	}
	ctx := context.Background()
	w, err := warehouse.Open(ctx, warehouse.Options{DSN: dsn, Database: os.Getenv(envKillDB), BatchSize: 500,
		FlushInterval: 100 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
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
	cfg := simConfig(os.Getenv(envKillURL), repos2...)
	cfg.PageSize = 8
	c, err := github.New("gh", cfg)
	if err != nil {
		t.Fatal(err)
	}
	sink := w.Sink()
	_, err = c.Collect(ctx, sink, collectors.Options{Progress: func(p collectors.Progress) { fmt.Printf("seen %d\n", p.IssuesSeen) }})
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
// the end, and expects the warehouse to hold exactly the simulator's truth
// with no identity twice — on the embedded engine and on the server.
func TestSimKilled(t *testing.T) {
	if os.Getenv(envKillChild) != "" {
		t.Skip("in the child")
	}
	for _, engine := range whtest.Engines {
		t.Run(engine, func(t *testing.T) {
			var dsn, db string
			switch engine {
			case "chdb":
				dsn = "chdb://" + t.TempDir() // the child's own engine and directory
			case "server":
				w := whtest.Open(t, "server") // a fresh database, dropped at the end
				dsn, db = os.Getenv(whtest.EnvServerDSN), w.Database()
			}
			sim, base := startSim(t, githubsim.Config{Repos: repos2, Issues: 60, Seed: 31, Latency: 10 * time.Millisecond})
			want := sim.Truth()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			child := func() (*exec.Cmd, *bufio.Scanner) {
				cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestKillChild$", "-test.v")
				cmd.Env = append(os.Environ(), envKillChild+"="+dsn, envKillDB+"="+db, envKillURL+"="+base)
				cmd.Stderr = os.Stderr
				out, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				return cmd, bufio.NewScanner(out)
			}
			// First run: SIGKILL once half of the issues were seen.
			cmd, sc := child()
			killedAt := int64(-1)
			var lines []string
			for sc.Scan() {
				lines = append(lines, sc.Text())
				if n, ok := strings.CutPrefix(sc.Text(), "seen "); ok && killedAt < 0 {
					if v, _ := strconv.ParseInt(n, 10, 64); v >= int64(want.Issues/2) {
						killedAt = v
						if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			err := cmd.Wait()
			var ee *exec.ExitError
			if killedAt < 0 || !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				if strings.Contains(strings.Join(lines, "\n"), "libchdb") {
					whtest.Unavailable(t, "chDB library not found: "+lastLines(lines))
				}
				t.Fatalf("first run was not killed mid-way (seen %d, %v): %s", killedAt, err, lastLines(lines))
			}
			// Second run, to the end; its last line means the data is stored
			// (the child is then killed, as a -race chDB child may hang at exit).
			cmd, sc = child()
			lines = lines[:0]
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
			if dups != 0 {
				t.Errorf("%d identities seen twice by readers", dups)
			}
			t.Logf("killed at %d of %d issues seen, %d stored; after the second run %v", killedAt, want.Issues, resumed, counts)
		})
	}
}

func lastLines(lines []string) string {
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}
