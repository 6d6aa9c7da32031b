package jirasim

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	jira "github.com/andygrunwald/go-jira"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// strictDecode decodes b into v and fails on any error.
func strictDecode(t *testing.T, what string, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s does not decode into %T: %v\n%.400s", what, v, err, b)
	}
}

// The endpoints decode into go-jira v1's types, which is what a client
// built on that library expects.
func TestShapesDecodeIntoGoJira(t *testing.T) {
	for _, mode := range []Mode{Cloud, DataCenter} {
		t.Run(string(mode), func(t *testing.T) {
			s, err := New(Config{Mode: mode, Issues: 500, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			c := newClient(t, s)
			get := func(path string) []byte {
				t.Helper()
				st, _, b := c.do("GET", path, nil)
				if st != 200 {
					t.Fatalf("GET %s: %d %s", path, st, b)
				}
				return b
			}
			var statuses []jira.Status
			strictDecode(t, "status", get("/rest/api/2/status"), &statuses)
			cats := map[string]bool{}
			for _, st := range statuses {
				cats[st.StatusCategory.Key] = true
			}
			if len(statuses) != s.Truth().Statuses || !cats["new"] || !cats["indeterminate"] || !cats["done"] {
				t.Errorf("statuses %d, categories %v", len(statuses), cats)
			}
			var fields []jira.Field
			strictDecode(t, "field", get("/rest/api/2/field"), &fields)
			found := map[string]string{}
			for _, f := range fields {
				found[f.Schema.Custom] = f.ID
			}
			if found["com.pyxis.greenhopper.jira:gh-sprint"] != fieldSprint {
				t.Errorf("sprint field not found by schema.custom: %v", found)
			}
			if mode == DataCenter && found["com.pyxis.greenhopper.jira:gh-epic-link"] != fieldEpicLink {
				t.Errorf("epic link field not found: %v", found)
			}
			var projects []jira.Project
			strictDecode(t, "project", get("/rest/api/2/project"), &projects)
			if len(projects) != s.Truth().Projects || projects[0].ProjectCategory.ID == "" {
				t.Errorf("projects: %+v", projects)
			}
			var versions []jira.Version
			strictDecode(t, "versions", get("/rest/api/2/project/"+projects[0].Key+"/versions"), &versions)
			released, unreleased := 0, 0
			for _, v := range versions {
				if *v.Released {
					released++
				} else {
					unreleased++
				}
			}
			if released == 0 || unreleased == 0 || versions[0].ReleaseDate == "" {
				t.Errorf("versions: released %d unreleased %d first %+v", released, unreleased, versions[0])
			}
			var boards struct {
				IsLast bool         `json:"isLast"`
				Values []jira.Board `json:"values"`
			}
			strictDecode(t, "board", get("/rest/agile/1.0/board"), &boards)
			var sprints struct {
				IsLast bool          `json:"isLast"`
				Values []jira.Sprint `json:"values"`
			}
			strictDecode(t, "sprint", get("/rest/agile/1.0/board/300/sprint?maxResults=100"), &sprints)
			states := map[string]int{}
			for _, sp := range sprints.Values {
				states[sp.State]++
				if sp.State == "closed" && (sp.CompleteDate == nil || sp.StartDate == nil) {
					t.Errorf("closed sprint without dates: %+v", sp)
				}
			}
			if states["active"] != 1 || states["closed"] == 0 || states["future"] == 0 {
				t.Errorf("sprint states %v", states)
			}

			// A DC issue with its full changelog; in Cloud the v2 issue (v3
			// renders rich text as ADF, which go-jira v1 does not model).
			var is jira.Issue
			strictDecode(t, "issue", get("/rest/api/2/issue/"+s.org.key(7)+"?expand=changelog"), &is)
			if is.Fields == nil || is.Fields.Status == nil || is.Fields.Status.StatusCategory.Key == "" || is.Changelog == nil {
				t.Fatalf("issue: %+v", is)
			}
			if time := is.Fields.Created; time == (jira.Time{}) {
				t.Errorf("created not parsed")
			}
			hs := len(is.Changelog.Histories)
			if mode == Cloud && hs != 100 || mode == DataCenter && hs <= 100 {
				t.Errorf("%s: %d embedded histories of a long issue", mode, hs)
			}
			var wl jira.Worklog
			strictDecode(t, "worklog", get("/rest/api/2/issue/"+s.org.key(11)+"/worklog"), &wl)
			if wl.Total <= 20 || len(wl.Worklogs) != wl.Total || wl.Worklogs[0].Started == nil {
				t.Errorf("worklog of %s: total %d, %d returned", s.org.key(11), wl.Total, len(wl.Worklogs))
			}
		})
	}
}

// Golden pages: the exact bytes of a few responses of a small org, which
// also proves determinism across runs and machines. go test -update rewrites.
func TestGolden(t *testing.T) {
	cases := []struct {
		name, method, path string
		body               any
	}{
		{"cloud_search_jql", "POST", "/rest/api/3/search/jql", map[string]any{"jql": `project = "APO" AND updated >= 0 ORDER BY updated ASC, id ASC`, "fields": []string{"*all"}, "expand": "changelog", "maxResults": 3}},
		{"cloud_changelog", "GET", "/rest/api/3/issue/APO-3/changelog?startAt=0&maxResults=3", nil},
		{"cloud_fields", "GET", "/rest/api/2/field", nil},
		{"dc_search", "GET", "/rest/api/2/search?jql=project%3DBOR%20ORDER%20BY%20id%20ASC&maxResults=2&expand=changelog", nil},
		{"dc_sprints", "GET", "/rest/agile/1.0/board/300/sprint?startAt=40&maxResults=5", nil},
		{"cloud_legacy_search_410", "GET", "/rest/api/3/search?jql=project%3DAPO", nil},
	}
	servers := map[Mode]*client{}
	for _, mode := range []Mode{Cloud, DataCenter} {
		s, err := New(Config{Mode: mode, Issues: 100, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		servers[mode] = newClient(t, s)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := servers[Cloud]
			if strings.HasPrefix(tc.name, "dc_") {
				c = servers[DataCenter]
			}
			_, _, b := c.do(tc.method, tc.path, tc.body)
			// The base URL is a random port: normalise it.
			b = []byte(strings.ReplaceAll(string(b), c.base, "http://jirasim"))
			var pretty any
			strictDecode(t, tc.name, b, &pretty)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(pretty); err != nil {
				t.Fatal(err)
			}
			out := buf.Bytes()
			path := filepath.Join("testdata", "golden", tc.name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if string(want) != string(out) {
				t.Errorf("%s differs from %s (run go test -update after checking the change)", tc.name, path)
			}
		})
	}
}
