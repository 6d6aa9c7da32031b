package redmine

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// fixtureDir is ../shared/fixtures/real-world/redmine from the repository
// root (the repository is cloned with shared/ beside it).
func fixtureDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "fixtures", "real-world", "redmine")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("real-world fixtures missing at %s (clone the shared folder beside the repository): %v", dir, err)
		}
		t.Skipf("real-world fixtures not found at %s (clone the shared folder beside the repository); skipping", dir)
	}
	return dir
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// golden compares v, as indented JSON, with testdata/golden/<name>.json.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("%s differs from the golden file %s (run with -update if the change is intended)", name, path)
	}
}

// fixtureMapper is a mapper loaded with the live Redmine 5.0 lookups.
func fixtureMapper(t *testing.T, dir string) *mapper {
	t.Helper()
	m := newMapper("rm", "https://redmine.example.com/", NewConfig())
	var st struct {
		IssueStatuses []wStatus `json:"issue_statuses"`
	}
	var tr struct {
		Trackers []wTracker `json:"trackers"`
	}
	var pr struct {
		IssuePriorities []wPriority `json:"issue_priorities"`
	}
	var pj wProjectPage
	readJSON(t, filepath.Join(dir, "live-5.0", "issue_statuses.json"), &st)
	readJSON(t, filepath.Join(dir, "live-5.0", "trackers.json"), &tr)
	readJSON(t, filepath.Join(dir, "live-5.0", "issue_priorities.json"), &pr)
	readJSON(t, filepath.Join(dir, "live-5.0", "projects.json"), &pj)
	for _, p := range pr.IssuePriorities {
		m.priorities[id(p.ID)] = p.Name
	}
	m.statuses(st.IssueStatuses, tr.Trackers)
	for _, p := range pj.Projects {
		m.projects[id(p.ID)] = p
	}
	return m
}

// TestFixtureIssues maps real issues (a live Redmine 5.0 and the perceval
// project's captures of redmine.org-style servers) into golden records, and
// checks every change against the vocabulary.
func TestFixtureIssues(t *testing.T) {
	dir := fixtureDir(t)
	m := fixtureMapper(t, dir)
	tests := []struct{ name, file string }{
		{"live_issue_include_all", "live-5.0/issue_show_include_all.json"},
		{"live_issue_journals", "live-5.0/issue_show_journals.json"},
		{"perceval_issue_2", "perceval/redmine_issue_2.json"},
		{"perceval_issue_5", "perceval/redmine_issue_5.json"},
		{"perceval_issue_7311", "perceval/redmine_issue_7311.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var one wIssueOne
			readJSON(t, filepath.Join(dir, tc.file), &one)
			ip, err := m.issue(&one.Issue, func(s string) string { return "#" + s })
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range ip.Changes {
				if err := c.CheckValue(); err != nil {
					t.Errorf("change %s: %v", c.Identity(), err)
				}
			}
			golden(t, tc.name, ip)
		})
	}
}

// TestFixtureGrimoireLab maps the issues of GrimoireLab's Redmine test
// items (perceval's answers wrapped as {"data": issue}).
func TestFixtureGrimoireLab(t *testing.T) {
	dir := fixtureDir(t)
	m := fixtureMapper(t, dir)
	var items []struct {
		Data wIssue `json:"data"`
	}
	readJSON(t, filepath.Join(dir, "grimoirelab-elk", "redmine.json"), &items)
	if len(items) == 0 {
		t.Fatal("no items")
	}
	var out []issueParts
	for i := range items {
		ip, err := m.issue(&items[i].Data, func(s string) string { return "#" + s })
		if err != nil {
			t.Fatalf("item %d: %v", i, err)
		}
		for _, c := range ip.Changes {
			if err := c.CheckValue(); err != nil {
				t.Errorf("change %s: %v", c.Identity(), err)
			}
		}
		out = append(out, ip)
	}
	golden(t, "grimoirelab_items", out)
}

// TestFixtureStatusChanges pins the facts the KPIs read from the 22-journal
// issue: status changes with categories, notes-only journals dropped, the
// resolved instant from the last change into a done status.
func TestFixtureStatusChanges(t *testing.T) {
	dir := fixtureDir(t)
	m := fixtureMapper(t, dir)
	var one wIssueOne
	readJSON(t, filepath.Join(dir, "perceval", "redmine_issue_7311.json"), &one)
	ip, err := m.issue(&one.Issue, func(s string) string { return "#" + s })
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[model.ChangeKind]int{}
	for _, c := range ip.Changes {
		kinds[c.ChangeKind]++
	}
	if kinds[model.ChangeStatus] == 0 || kinds[model.ChangePriority] == 0 {
		t.Errorf("change kinds %v: want status and priority changes", kinds)
	}
	notesOnly := 0
	for _, j := range one.Issue.Journals {
		if len(j.Details) == 0 {
			notesOnly++
		}
	}
	details := 0
	for _, j := range one.Issue.Journals {
		details += len(j.Details)
	}
	if len(ip.Changes) != details {
		t.Errorf("%d changes from %d details (%d notes-only journals)", len(ip.Changes), details, notesOnly)
	}
}

func TestFixtureLists(t *testing.T) {
	dir := fixtureDir(t)
	m := fixtureMapper(t, dir)
	observed := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	var vs struct {
		Versions []wVersion `json:"versions"`
	}
	readJSON(t, filepath.Join(dir, "live-5.0", "versions.json"), &vs)
	var te wTimeEntryPage
	readJSON(t, filepath.Join(dir, "live-5.0", "time_entries.json"), &te)
	var pj wProjectPage
	readJSON(t, filepath.Join(dir, "live-5.0", "projects.json"), &pj)
	var st struct {
		IssueStatuses []wStatus `json:"issue_statuses"`
	}
	readJSON(t, filepath.Join(dir, "live-5.0", "issue_statuses.json"), &st)
	var tr struct {
		Trackers []wTracker `json:"trackers"`
	}
	readJSON(t, filepath.Join(dir, "live-5.0", "trackers.json"), &tr)
	out := map[string]any{}
	var versions []model.Version
	for _, w := range vs.Versions {
		v, err := m.version(w, observed)
		if err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	out["versions"] = versions
	var worklogs []model.Worklog
	for _, w := range te.TimeEntries {
		wl, ok, err := m.worklog(w)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			worklogs = append(worklogs, wl)
		}
	}
	out["worklogs"] = worklogs
	var projects []model.Project
	for _, p := range pj.Projects {
		projects = append(projects, m.project(p))
	}
	out["projects"] = projects
	out["statuses"] = m.statuses(st.IssueStatuses, tr.Trackers)
	golden(t, "lists", out)
}
