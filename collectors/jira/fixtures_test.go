package jira

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/pmo-oss/pmo/collectors/httpapi"
	"github.com/pmo-oss/pmo/internal/model"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// fixtureDir is ../shared/fixtures/real-world from the repository root (the
// repository is cloned with shared/ beside it).
func fixtureDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "fixtures", "real-world")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("real-world fixtures missing at %s (clone the shared folder beside the repository): %v", dir, err)
		}
		t.Skipf("real-world fixtures not found at %s (clone the shared folder beside the repository); skipping", dir)
	}
	return dir
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

// devlakeRows reads the data column of a DevLake raw table.
func devlakeRows(t *testing.T, path string) []json.RawMessage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.LazyQuotes = true
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	col := -1
	for i, h := range recs[0] {
		if h == "data" {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("%s: no data column", path)
	}
	var out []json.RawMessage
	for _, rec := range recs[1:] {
		out = append(out, json.RawMessage(rec[col]))
	}
	return out
}

type goldenRecord struct {
	Kind   model.Kind   `json:"kind"`
	ID     string       `json:"identity"`
	Record model.Record `json:"record"`
}

type goldenSet struct {
	Counts  map[model.Kind]int `json:"counts"`
	Records []goldenRecord     `json:"records"`
}

// toGolden also holds every change of the real payloads to the change
// vocabulary's contract (model.Change.CheckValue), since every fixture
// test passes through it.
func toGolden(t *testing.T, recs []model.Record) goldenSet {
	t.Helper()
	for _, r := range recs {
		if c, ok := r.(model.Change); ok {
			if err := c.CheckValue(); err != nil {
				t.Errorf("change %s (field %q, id %q): %v", c.Identity(), c.Field, c.FieldID, err)
			}
		}
	}
	g := goldenSet{Counts: map[model.Kind]int{}}
	for _, r := range recs {
		g.Counts[r.Kind()]++
		g.Records = append(g.Records, goldenRecord{r.Kind(), r.Identity(), r})
	}
	sort.SliceStable(g.Records, func(i, j int) bool {
		if g.Records[i].Kind != g.Records[j].Kind {
			return g.Records[i].Kind < g.Records[j].Kind
		}
		return g.Records[i].ID < g.Records[j].ID
	})
	return g
}

func issueRecords(t *testing.T, m *mapper, issues []wIssue) []model.Record {
	t.Helper()
	var recs []model.Record
	for i := range issues {
		p, err := m.issue(&issues[i])
		if err != nil {
			t.Fatalf("mapping: %v", err)
		}
		recs = append(recs, p.Issue)
		for _, c := range p.Changes {
			recs = append(recs, c)
		}
		for _, w := range p.Worklogs {
			recs = append(recs, w)
		}
		for _, l := range p.Links {
			recs = append(recs, l)
		}
	}
	return recs
}

func statusCategories(t *testing.T, rows []json.RawMessage) map[string]model.StatusCategory {
	m := &mapper{source: "s"}
	out := map[string]model.StatusCategory{}
	for _, r := range rows {
		var w wStatus
		if err := json.Unmarshal(r, &w); err != nil {
			t.Fatal(err)
		}
		out[string(w.ID)] = m.status(w).Category
	}
	return out
}

func TestFixturesDevLakeCloud(t *testing.T) {
	dir := filepath.Join(fixtureDir(t), "devlake", "jira", "raw_tables")
	cats := statusCategories(t, devlakeRows(t, filepath.Join(dir, "_raw_jira_api_status.csv")))
	m := &mapper{source: "merico", baseURL: "https://merico.atlassian.net/", categories: cats,
		fields: Fields{Sprint: "customfield_10020", StoryPoints: []string{"customfield_10024"}}}

	var issues []wIssue
	for _, row := range devlakeRows(t, filepath.Join(dir, "_raw_jira_api_issues.csv")) {
		var w wIssue
		if err := json.Unmarshal(row, &w); err != nil {
			t.Fatal(err)
		}
		issues = append(issues, w)
	}
	recs := issueRecords(t, m, issues)

	// Changelog pages of /rest/api/3/issue/{id}/changelog (one row per value).
	for _, row := range devlakeRows(t, filepath.Join(dir, "_raw_jira_api_issue_changelogs.csv")) {
		var h wHistory
		if err := json.Unmarshal(row, &h); err != nil {
			t.Fatal(err)
		}
		cs, err := m.changes("from-changelog-endpoint", []wHistory{h})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			recs = append(recs, c)
		}
	}
	for _, row := range devlakeRows(t, filepath.Join(dir, "_raw_jira_api_worklogs.csv")) {
		var w wWorklog
		if err := json.Unmarshal(row, &w); err != nil {
			t.Fatal(err)
		}
		ws, err := m.worklogs("", []wWorklog{w})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, ws[0])
	}
	for _, row := range devlakeRows(t, filepath.Join(dir, "_raw_jira_api_sprints.csv")) {
		var w wSprint
		if err := json.Unmarshal(row, &w); err != nil {
			t.Fatal(err)
		}
		s, err := m.sprint(w, "8")
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, s)
	}
	for _, row := range devlakeRows(t, filepath.Join(dir, "_raw_jira_api_projects.csv")) {
		var w wProject
		if err := json.Unmarshal(row, &w); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, m.project(w))
	}
	g := toGolden(t, recs)

	// Facts the notes promise, checked outright as well as in the golden file.
	var sawStringSP, sawNoFieldID, sawSprintItem, sawStatusCat bool
	for _, r := range recs {
		switch x := r.(type) {
		case model.Issue:
			if x.Key == "" || x.Created.IsZero() {
				t.Errorf("issue %s without key or created", x.ID)
			}
			if x.StoryPoints != nil && *x.StoryPoints == -1 {
				sawStringSP = true
			}
		case model.Change:
			if x.FieldID == "" {
				sawNoFieldID = true
			}
			if x.FieldID == "customfield_10020" && strings.Contains(x.To, ",") {
				sawSprintItem = true
			}
			if x.FieldID == "status" && x.ToCategory != "" && x.ToCategory != model.CategoryUnknown {
				sawStatusCat = true
			}
		}
	}
	if !sawStringSP || !sawNoFieldID || !sawSprintItem || !sawStatusCat {
		t.Errorf("string story points %v, items without fieldId %v, multi-id sprint items %v, status categories %v: want all",
			sawStringSP, sawNoFieldID, sawSprintItem, sawStatusCat)
	}
	golden(t, "devlake_cloud", g)
}

func TestFixturesDevLakeServer(t *testing.T) {
	dir := filepath.Join(fixtureDir(t), "devlake", "jira", "raw_tables")
	m := &mapper{source: "server", baseURL: "http://3.81.151.94:8080/", categories: map[string]model.StatusCategory{}}
	var issues []wIssue
	for _, row := range devlakeRows(t, filepath.Join(dir, "_raw_jira_api_issue_relationships.csv")) {
		var w wIssue
		if err := json.Unmarshal(row, &w); err != nil {
			t.Fatal(err)
		}
		issues = append(issues, w)
	}
	recs := issueRecords(t, m, issues)
	links := 0
	for _, r := range recs {
		if l, ok := r.(model.Link); ok {
			links++
			if l.FromIssueID == "" || l.ToIssueID == "" || l.FromIssueID == l.ToIssueID {
				t.Errorf("link %s: from %q to %q", l.ID, l.FromIssueID, l.ToIssueID)
			}
		}
	}
	if links == 0 {
		t.Error("no links mapped from the issue relationships table")
	}
	golden(t, "devlake_server", toGolden(t, recs))
}

func TestFixturesSearchPages(t *testing.T) {
	root := fixtureDir(t)
	tests := []struct {
		name, file string
		fields     Fields
		wantIssues int
		wantErr    string // the mapping must fail with this (a payload missing a required field)
	}{
		{"actionableagile_v2_changelog", "jira/actionableagile/search_v2_expand_changelog_25_issues.json", Fields{}, 25, ""},
		{"goatlassian_search_v2", "jira/go-atlassian/jira_issue-search-v2.json",
			Fields{Sprint: "customfield_10020", StoryPoints: []string{"customfield_10016", "customfield_10036"}}, 18, ""},
		{"grid2print_v3_legacy_sprints", "jira/grid2print/cloud_v3_search_issues_array_2018.json",
			Fields{Sprint: "customfield_10019"}, 50, ""},
		{"drill_138_truncated_changelog", "jira/issueshark/drill_138_issue.json", Fields{}, 1, ""},
		{"engplans_server_worklog", "jira/imhotep-builder-jira/ENGPLANS-10.json", Fields{}, 1, ""},
		{"atlassian_search_jql", "jira/atlassian-openapi-examples/cloud_platform_v3__rest_api_3_search_jql.post.200.json", Fields{}, 1,
			"issue ED-1: field created: missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(root, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var issues []wIssue
			switch bytes.TrimSpace(data)[0] {
			case '[':
				err = json.Unmarshal(data, &issues)
			default:
				var pg wSearchPage
				if err = json.Unmarshal(data, &pg); err == nil {
					issues = pg.Issues
				}
				if len(issues) == 0 && err == nil {
					var one wIssue
					if err = json.Unmarshal(data, &one); err == nil && one.Key != "" {
						issues = []wIssue{one}
					}
				}
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.file, err)
			}
			if len(issues) != tc.wantIssues {
				t.Fatalf("%d issues, want %d", len(issues), tc.wantIssues)
			}
			m := &mapper{source: "fixture", baseURL: "https://example.atlassian.net/", fields: tc.fields,
				categories: map[string]model.StatusCategory{}}
			if tc.wantErr != "" {
				_, err := m.issue(&issues[0])
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want %q", err, tc.wantErr)
				}
				return
			}
			golden(t, tc.name, toGolden(t, issueRecords(t, m, issues)))
		})
	}
}

func TestFixturesLegacySprintStrings(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(fixtureDir(t), "jira", "curated", "legacy_sprint_strings.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Samples []struct {
			Value string `json:"value"`
		} `json:"samples"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	type out struct {
		Value  string    `json:"value"`
		Parsed SprintRef `json:"parsed"`
		Error  string    `json:"error,omitempty"`
	}
	var got []out
	for _, s := range doc.Samples {
		r, err := ParseLegacySprint(s.Value)
		o := out{Value: s.Value, Parsed: r}
		if err != nil {
			o.Error = err.Error()
			t.Errorf("%s: %v", s.Value, err)
		}
		if r.StartDate != "" {
			if _, err := parseTime(r.StartDate); err != nil {
				t.Errorf("startDate %q of %s does not parse: %v", r.StartDate, r.ID, err)
			}
		}
		got = append(got, o)
	}
	golden(t, "legacy_sprint_strings", got)
}

func TestFixturesFieldDetection(t *testing.T) {
	root := fixtureDir(t)
	sites := map[string]Fields{}
	for _, f := range []string{"jira_field_information.json", "jira_field_information_MAY_2021.json"} {
		data, err := os.ReadFile(filepath.Join(root, "jira", "public-jira-dataset", f))
		if err != nil {
			t.Fatal(err)
		}
		var bySite map[string][]gojira.Field
		if err := json.Unmarshal(data, &bySite); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for site, defs := range bySite {
			sites[strings.TrimSuffix(f, ".json")+"/"+site] = DetectFields(defs, FieldOverrides{})
		}
	}
	for _, f := range []string{"jira/go-atlassian/jira_v3_get-fields.json", "jira/jira-cli/fields.json"} {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		var defs []gojira.Field
		if err := json.Unmarshal(data, &defs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		sites[f] = DetectFields(defs, FieldOverrides{})
	}
	if s := sites["jira_field_information/Apache"]; s.Sprint != "customfield_12310921" || len(s.StoryPoints) == 0 || s.StoryPoints[0] != "customfield_12310293" {
		t.Errorf("Apache: got %+v, want Sprint customfield_12310921 and Story Points customfield_12310293", s)
	}
	if s := sites["jira/go-atlassian/jira_v3_get-fields.json"]; s.Sprint != "customfield_10020" ||
		strings.Join(s.StoryPoints, ",") != "customfield_10016,customfield_10036" {
		t.Errorf("go-atlassian: got %+v", s)
	}
	ov := DetectFields(nil, FieldOverrides{StoryPoints: "customfield_1", Sprint: "customfield_2"})
	if ov.Sprint != "customfield_2" || ov.StoryPoints[0] != "customfield_1" {
		t.Errorf("overrides ignored: %+v", ov)
	}
	golden(t, "field_detection", sites)
}

func TestFixturesErrorResponses(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(fixtureDir(t), "jira", "curated", "error_responses.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Responses []struct {
			Status   int               `json:"status"`
			Headers  map[string]string `json:"headers"`
			Body     json.RawMessage   `json:"body"`
			BodyText string            `json:"body_text"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	c := &client{source: "jira-cloud", authKey: "auth.email and auth.api_token", clock: httpapi.RealClock{}}
	type out struct {
		Status    int    `json:"status"`
		Error     string `json:"error"`
		Kind      string `json:"kind,omitempty"`
		RetryWait string `json:"retryWait,omitempty"`
	}
	var got []out
	for _, r := range doc.Responses {
		body := []byte(r.Body)
		if len(body) == 0 {
			body = []byte(r.BodyText)
		}
		h := http.Header{}
		for k, v := range r.Headers {
			h.Set(k, v)
		}
		// X-RateLimit-Reset in a fixture lies in the past: it means "now".
		err := c.httpError("GET", "https://example.atlassian.net/rest/api/3/search", &http.Response{StatusCode: r.Status, Header: h}, body)
		he := err.(*HTTPError)
		o := out{Status: r.Status, Error: err.Error()}
		if he.Kind != nil {
			o.Kind = he.Kind.Error()
		}
		if he.RetryAfter != nil && h.Get("Retry-After") != "" {
			o.RetryWait = he.RetryAfter.Duration.String()
		}
		if strings.Contains(o.Error, "\n") {
			t.Errorf("multi-line error: %q", o.Error)
		}
		got = append(got, o)
	}
	if len(got) == 0 {
		t.Fatal("no responses")
	}
	golden(t, "error_responses", got)
}

func TestParseTime(t *testing.T) {
	tests := []struct{ in, want, off string }{
		{"2025-01-06T08:00:00.000+0100", "2025-01-06T07:00:00Z", "+0100"},
		{"2025-01-06T08:00:00.000+0000", "2025-01-06T08:00:00Z", "+0000"},
		{"2016-02-09T14:24:02.654Z", "2016-02-09T14:24:02.654Z", "Z"},
		{"2014-04-07T13:55:52.263+02:00", "2014-04-07T11:55:52.263Z", "+0200"},
		{"2017-03-10T11:17:23.728-05:00", "2017-03-10T16:17:23.728Z", "-0500"},
		{"2020-06-17T13:04:03.848+0800", "2020-06-17T05:04:03.848Z", "+0800"},
	}
	for _, tc := range tests {
		got, err := parseTime(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if g := got.Format(time.RFC3339Nano); g != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, g, tc.want)
		}
		if o := offsetOf(tc.in); o != tc.off {
			t.Errorf("offset of %s: got %q, want %q", tc.in, o, tc.off)
		}
	}
	if _, err := parseTime("12/Jun/20"); err == nil {
		t.Error("display date accepted as an instant")
	}
	_ = fmt.Sprint()
}
