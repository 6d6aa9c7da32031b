package gitlab_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/gitlab"
	"github.com/pmo-oss/pmo/collectors/gitlab/gitlabsim"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/secret"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// skipUnderRace skips the tests that load a real warehouse (and the SIGKILL
// test's child processes) under -race: chDB cannot run under ThreadSanitizer,
// and the collector's own code runs under -race in the simulator tests.
// make test-go runs these tests once without -race, on both engines.
func skipUnderRace(t *testing.T) {
	t.Helper()
	if raceEnabled {
		t.Skip("runs without -race, on both engines (make test-go does): go test -run '" + t.Name() + "' ./collectors/gitlab/")
	}
}

// countViews counts each kind's rows of source as readers see them.
func countViews(t *testing.T, w *warehouse.Warehouse, source string) map[model.Kind]int {
	t.Helper()
	out := map[model.Kind]int{}
	for _, k := range model.Kinds {
		rows, err := w.Query(context.Background(), "SELECT count() FROM v_"+string(k)+" WHERE source = ?", source)
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

// The kill test re-runs this test binary as a child that collects the
// parent's simulator into a warehouse; these variables carry its orders.
const (
	envKillDSN   = "PMO_GITLAB_KILL_DSN" // the warehouse; chdb:// or the test server's
	envKillDB    = "PMO_GITLAB_KILL_DB"  // the database (server)
	envKillURL   = "PMO_GITLAB_KILL_URL"
	envKillGroup = "PMO_GITLAB_KILL_GROUP"
)

// TestKillChild is the child's side; it does nothing in a normal run. It
// flushes after each page and prints "stored <n>" (issues seen and stored),
// then at the end "counts <json>" and "dups <n>" (identities readers see
// more than once).
func TestKillChild(t *testing.T) {
	dsn := os.Getenv(envKillDSN)
	if dsn == "" {
		return // only runs as TestSimKilled's child
	}
	ctx := context.Background()
	w, err := warehouse.Open(ctx, warehouse.Options{DSN: dsn, Database: os.Getenv(envKillDB), Logger: slog.New(slog.DiscardHandler)})
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
	cfg := gitlab.NewConfig()
	cfg.URL = os.Getenv(envKillURL)
	cfg.Auth.PrivateToken = secret.Secret(gitlabsim.DefaultToken)
	cfg.Groups = []string{os.Getenv(envKillGroup)}
	cfg.RequestsPerSecond = 0
	c, err := gitlab.New("gl", cfg)
	if err != nil {
		t.Fatal(err)
	}
	sink := w.Sink()
	_, err = c.Collect(ctx, sink, collectors.Options{Progress: func(p collectors.Progress) {
		if p.Phase != "issues" {
			return
		}
		if err := sink.Flush(ctx); err != nil {
			t.Error(err)
		}
		fmt.Printf("stored %d\n", p.IssuesSeen)
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

// gate holds every issue list request after the first few until it is
// opened, so the first child is killed mid-way for certain.
type gate struct {
	after    int64
	n        atomic.Int64
	open     chan struct{}
	held     chan struct{} // closed when the first request is held
	once     sync.Once
	heldOnce sync.Once
}

func (g *gate) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/issues") && g.n.Add(1) > g.after {
			g.heldOnce.Do(func() { close(g.held) })
			select {
			case <-g.open:
			case <-r.Context().Done():
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// TestSimKilled kills a collection with SIGKILL mid-way (after some pages
// were stored and a cursor checkpoint was set), runs it again to the end
// and expects the warehouse to hold exactly the truth, without duplicates —
// on the embedded engine and on the server.
func TestSimKilled(t *testing.T) {
	if os.Getenv(envKillDSN) != "" {
		t.Skip("in the child")
	}
	skipUnderRace(t)
	for _, engine := range whtest.Engines {
		t.Run(engine, func(t *testing.T) {
			var dsn, db string
			switch engine {
			case "chdb":
				dsn = "chdb://" + t.TempDir()
			case "server":
				w := whtest.Open(t, "server") // a fresh database, dropped at the end
				dsn, db = os.Getenv(whtest.EnvServerDSN), w.Database()
			}
			g := &gate{after: 8, open: make(chan struct{}), held: make(chan struct{})}
			t.Cleanup(g.release)
			sim, base := startSimWith(t, gitlabsim.Config{Issues: 150, Seed: 31, Premium: true, Keyset: true, MaxPerPage: 10}, g.wrap)
			child := func(ctx context.Context) *exec.Cmd {
				cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestKillChild$", "-test.v")
				cmd.Env = append(os.Environ(), envKillDSN+"="+dsn, envKillDB+"="+db, envKillURL+"="+base, envKillGroup+"="+sim.GroupPath())
				cmd.Stderr = os.Stderr
				return cmd
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			want := sim.Truth()

			// First run: SIGKILL once the gate holds it, after pages were stored.
			cmd := child(ctx)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// The child prints "stored" after each page it stored; when the
			// gate holds its 9th issue page (the 4th of the second project;
			// the first project's cursor is stored), kill it there.
			var lines []string
			done := make(chan struct{})
			go func() {
				defer close(done)
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					lines = append(lines, sc.Text())
				}
			}()
			select {
			case <-g.held:
			case <-done:
			}
			killed := false
			select {
			case <-done:
			default:
				killed = cmd.Process.Signal(syscall.SIGKILL) == nil
			}
			<-done
			err = cmd.Wait()
			var ee *exec.ExitError
			if !killed || !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				if strings.Contains(strings.Join(lines, "\n"), "libchdb") {
					whtest.Unavailable(t, "chDB library not found: "+lastLines(lines))
				}
				t.Fatalf("first run was not killed mid-way (%v): %s", err, lastLines(lines))
			}
			g.release()

			// Second run: to the end. Its "dups" line means the collection
			// is stored; the child is then killed rather than awaited (a
			// chDB child may hang at exit).
			cmd = child(ctx)
			out, err = cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines = lines[:0]
			sc := bufio.NewScanner(out)
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
			t.Logf("%s: killed with %d issues stored of %d; after the second run %v", engine, resumed, want.Issues, counts)
		})
	}
}

func lastLines(lines []string) string {
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}
