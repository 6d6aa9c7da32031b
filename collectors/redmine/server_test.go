package redmine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors/redmine"
	"github.com/pmo-oss/pmo/internal/secret"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// The tests run against a real Redmine 5.0: the one named by
// PMO_TEST_REDMINE_URL and PMO_TEST_REDMINE_API_KEY (an administrator's
// key), else one this package starts with scripts/redmine-test-server.sh
// and stops in TestMain. Without Redmine the tests skip, or fail under
// CI=true.
const (
	envURL = "PMO_TEST_REDMINE_URL"
	envKey = "PMO_TEST_REDMINE_API_KEY"
)

var server struct {
	once     sync.Once
	url, key string
	err      error
	state    string // set when this process started the server
}

// TestMain stops the Redmine this package started, then exits past chDB's
// exit handlers (which hang a race-enabled binary that used chDB).
func TestMain(m *testing.M) {
	code := m.Run()
	if server.state != "" {
		cmd := exec.Command(scriptPath(), "stop")
		cmd.Env = append(os.Environ(), "PMO_REDMINE_STATE="+server.state)
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping the test Redmine: %v: %s\n", err, out)
		}
		_ = os.RemoveAll(server.state)
	}
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	syscall.Exit(code)
}

func scriptPath() string { return filepath.Join("..", "..", "scripts", "redmine-test-server.sh") }

// redmineServer returns the base URL and admin API key of the test Redmine.
func redmineServer(t testing.TB) (string, string) {
	t.Helper()
	server.once.Do(func() {
		if u, k := os.Getenv(envURL), os.Getenv(envKey); u != "" && k != "" {
			server.url, server.key = strings.TrimRight(u, "/"), k
			return
		}
		if _, err := os.Stat("/usr/share/redmine/config.ru"); err != nil {
			server.err = fmt.Errorf("no Redmine: set %s and %s, or install Debian's redmine, redmine-sqlite and puma (scripts/setup.sh)", envURL, envKey)
			return
		}
		state, err := os.MkdirTemp("", "pmo-redmine-test.")
		if err != nil {
			server.err = err
			return
		}
		server.state = state
		env := append(os.Environ(), "PMO_REDMINE_STATE="+state, "PMO_REDMINE_OWNER_PID="+strconv.Itoa(os.Getpid()))
		start := time.Now()
		cmd := exec.Command(scriptPath(), "start")
		cmd.Env = env
		var errb bytes.Buffer
		cmd.Stderr = &errb
		out, err := cmd.Output()
		if err != nil {
			server.err = fmt.Errorf("starting Redmine with %s start: %v: %s", scriptPath(), err, errb.String())
			return
		}
		key, err := os.ReadFile(filepath.Join(state, "api_key"))
		if err != nil {
			server.err = err
			return
		}
		server.url, server.key = strings.TrimSpace(string(out)), strings.TrimSpace(string(key))
		fmt.Fprintf(os.Stderr, "test Redmine at %s started in %s\n", server.url, time.Since(start).Round(100*time.Millisecond))
	})
	if server.err != nil {
		whtest.Unavailable(t, server.err.Error())
	}
	return server.url, server.key
}

// api is a small REST client for seeding the test Redmine.
type api struct {
	t        testing.TB
	url, key string
}

func (a api) do(method, path string, body, out any) int {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, a.url+"/"+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("X-Redmine-API-Key", a.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 && !(method == http.MethodDelete && resp.StatusCode == 404) {
		a.t.Fatalf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, data)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			a.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	return resp.StatusCode
}

// create POSTs {kind: fields} and returns the new record's id.
func (a api) create(path, kind string, fields map[string]any) int64 {
	a.t.Helper()
	var out map[string]struct {
		ID int64 `json:"id"`
	}
	a.do(http.MethodPost, path, map[string]any{kind: fields}, &out)
	return out[kind].ID
}

func (a api) update(issue int64, fields map[string]any) {
	a.t.Helper()
	a.do(http.MethodPut, fmt.Sprintf("issues/%d.json", issue), map[string]any{"issue": fields}, nil)
}

// idByName finds a record id by name in a list answer.
func (a api) idByName(path, list, name string) int64 {
	a.t.Helper()
	var out map[string]json.RawMessage
	a.do(http.MethodGet, path, nil, &out)
	var items []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal(out[list], &items); err != nil {
		a.t.Fatalf("%s: %v", path, err)
	}
	for _, it := range items {
		if it.Name == name {
			return it.ID
		}
	}
	a.t.Fatalf("%s: no %q", path, name)
	return 0
}

// world is what the seed created, the truth the tests compare with.
type world struct {
	api
	prefix                         string // unique per seed: project identifiers start with it
	program                        int64
	projects                       []string // identifiers of the collected projects
	issues                         int      // issues created in them
	versions                       int
	worklogs                       int
	links                          int
	statusNew, statusInProgress    int64
	statusClosed, statusRejected   int64
	statusResolved                 int64
	closed, rejected, blocker, sub int64 // notable issues of the first project
	blocked                        int64 // the first project's blocked issue, the sub-task's parent
	storyPointsField               int64
	dev1, dev2                     int64
	activity                       int64 // the time entry activity "Development"
	priorityHigh                   int64
}

var seedCount struct {
	mu sync.Mutex
	n  int
}

// seed creates a program (a parent project) with the named projects, all
// through the REST API. The first holds versions, issues with a history of
// status, assignee, estimate, version, priority, due date, story points,
// tracker and parent changes, relations and time entries; the others a
// started issue, an untouched one and some time.
func seed(t testing.TB, url, key string, names ...string) *world {
	t.Helper()
	seedCount.mu.Lock()
	seedCount.n++
	n := seedCount.n
	seedCount.mu.Unlock()
	a := api{t, url, key}
	w := &world{api: a, prefix: fmt.Sprintf("t%d%d", time.Now().Unix()%100000, n)}
	w.statusNew = a.idByName("issue_statuses.json", "issue_statuses", "New")
	w.statusInProgress = a.idByName("issue_statuses.json", "issue_statuses", "In Progress")
	w.statusResolved = a.idByName("issue_statuses.json", "issue_statuses", "Resolved")
	w.statusClosed = a.idByName("issue_statuses.json", "issue_statuses", "Closed")
	w.statusRejected = a.idByName("issue_statuses.json", "issue_statuses", "Rejected")
	w.storyPointsField = a.idByName("custom_fields.json", "custom_fields", "Story points")
	bug := a.idByName("trackers.json", "trackers", "Bug")
	feature := a.idByName("trackers.json", "trackers", "Feature")
	high := a.idByName("enumerations/issue_priorities.json", "issue_priorities", "High")
	urgent := a.idByName("enumerations/issue_priorities.json", "issue_priorities", "Urgent")
	developer := a.idByName("roles.json", "roles", "Developer")
	activity := a.idByName("enumerations/time_entry_activities.json", "time_entry_activities", "Development")
	w.activity, w.priorityHigh = activity, high

	user := func(login string) int64 {
		return a.create("users.json", "user", map[string]any{"login": w.prefix + login, "firstname": "Dev", "lastname": login,
			"mail": w.prefix + login + "@example.com", "password": "secret-pass-123"})
	}
	w.dev1, w.dev2 = user("one"), user("two")
	w.program = a.create("projects.json", "project", map[string]any{"name": "Program " + w.prefix, "identifier": w.prefix + "-prog"})
	sp := func(v string) []map[string]any { return []map[string]any{{"id": w.storyPointsField, "value": v}} }
	day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format(time.DateOnly) }

	for pi, name := range names {
		ident := w.prefix + "-" + name
		w.projects = append(w.projects, ident)
		pid := a.create("projects.json", "project", map[string]any{"name": name + " " + w.prefix, "identifier": ident,
			"parent_id": w.program, "tracker_ids": []int64{1, 2, 3}})
		for _, u := range []int64{w.dev1, w.dev2} {
			a.create(fmt.Sprintf("projects/%d/memberships.json", pid), "membership", map[string]any{"user_id": u, "role_ids": []int64{developer}})
		}
		v1 := a.create(fmt.Sprintf("projects/%d/versions.json", pid), "version", map[string]any{"name": "v1", "due_date": day(10)})
		v2 := a.create(fmt.Sprintf("projects/%d/versions.json", pid), "version", map[string]any{"name": "v2", "due_date": day(40)})
		w.versions += 2
		issue := func(subject string, fields map[string]any) int64 {
			f := map[string]any{"project_id": pid, "subject": subject, "tracker_id": feature}
			for k, v := range fields {
				f[k] = v
			}
			w.issues++
			return a.create("issues.json", "issue", f)
		}
		if pi > 0 {
			// The other projects are small: an issue started and one not,
			// and some time logged (seeding through the API takes a while).
			started := issue("started", map[string]any{"fixed_version_id": v1, "custom_fields": sp("1")})
			a.update(started, map[string]any{"status_id": w.statusInProgress, "assigned_to_id": w.dev2})
			issue("untouched", map[string]any{"fixed_version_id": v2})
			a.create("time_entries.json", "time_entry", map[string]any{"issue_id": started, "hours": 2, "spent_on": day(-1),
				"activity_id": activity, "comments": "work"})
			w.worklogs++
			continue
		}
		// A feature that goes the whole way: every kind of history.
		done := issue("feature done", map[string]any{"estimated_hours": 4, "fixed_version_id": v1, "custom_fields": sp("3"), "due_date": day(5)})
		a.update(done, map[string]any{"status_id": w.statusInProgress, "assigned_to_id": w.dev1})
		a.update(done, map[string]any{"estimated_hours": 6, "custom_fields": sp("5"), "priority_id": high})
		a.update(done, map[string]any{"fixed_version_id": v2, "due_date": day(7), "assigned_to_id": w.dev2})
		a.update(done, map[string]any{"status_id": w.statusResolved})
		a.update(done, map[string]any{"status_id": w.statusClosed})
		// A bug rejected from New.
		rej := issue("bug rejected", map[string]any{"tracker_id": bug, "priority_id": urgent})
		a.update(rej, map[string]any{"status_id": w.statusRejected, "notes": "not a bug"})
		// In progress, blocked by another open issue, with a sub-task.
		blocker := issue("blocker", map[string]any{"custom_fields": sp("2")})
		blocked := issue("blocked work", map[string]any{"assigned_to_id": w.dev1, "custom_fields": sp("8")})
		a.update(blocked, map[string]any{"status_id": w.statusInProgress, "tracker_id": bug})
		a.create(fmt.Sprintf("issues/%d/relations.json", blocker), "relation", map[string]any{"issue_to_id": blocked, "relation_type": "blocks"})
		a.create(fmt.Sprintf("issues/%d/relations.json", done), "relation", map[string]any{"issue_to_id": rej, "relation_type": "relates"})
		w.links += 2
		sub := issue("sub-task", map[string]any{"estimated_hours": 1.5})
		a.update(sub, map[string]any{"parent_issue_id": blocked})
		issue("untouched", nil)
		for i, iss := range []int64{done, done, blocked} {
			a.create("time_entries.json", "time_entry", map[string]any{"issue_id": iss, "hours": 1.5 + float64(i), "spent_on": day(-i - 1),
				"activity_id": activity, "comments": "work"})
			w.worklogs++
		}
		w.closed, w.rejected, w.blocker, w.sub, w.blocked = done, rej, blocker, sub, blocked
	}
	return w
}

// config returns a collector config for the seeded projects.
func (w *world) config(url string) *redmine.Config {
	cfg := redmine.NewConfig()
	cfg.URL = url
	cfg.Auth.APIKey = secret.Secret(w.key)
	cfg.Projects = append([]string(nil), w.projects...)
	cfg.RequestsPerSecond = 0
	cfg.Retry.InitialBackoff = 5 * time.Millisecond
	cfg.Retry.MaxBackoff = 50 * time.Millisecond
	return cfg
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
