package github

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	gh "github.com/google/go-github/v93/github"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/collectortest"
	"github.com/pmo-oss/pmo/collectors/github/githubsim"
	"github.com/pmo-oss/pmo/collectors/httpapi"
	"github.com/pmo-oss/pmo/internal/model"
)

// TestProjectMapping: the status of an issue from its state, labels and
// project status option; points and sprint from the item's values.
func TestProjectMapping(t *testing.T) {
	cfg := NewConfig()
	cfg.Project = ProjectConfig{Organization: "octo-org", Number: 1, StatusField: "Status",
		StatusOptions:  StatusOptions{Todo: []string{"Todo", "Backlog"}, InProgress: []string{"In Progress"}, Done: []string{"Done"}},
		IterationField: "Sprint", PointsField: "Estimate"}
	m := newMapper("gh", cfg)
	rp := &gh.Repository{ID: new(int64(500))}
	val := func(typ, field string, set func(*gqlValue)) gqlValue {
		v := gqlValue{Typename: typ}
		v.Single.Field.Common.Name, v.Iteration.Field.Common.Name, v.Number.Field.Common.Name = field, field, field
		set(&v)
		return v
	}
	opt := func(field, name string) gqlValue {
		return val("ProjectV2ItemFieldSingleSelectValue", field, func(v *gqlValue) { v.Single.Name = name })
	}
	num := func(field string, n float64) gqlValue {
		return val("ProjectV2ItemFieldNumberValue", field, func(v *gqlValue) { v.Number.Number = &n })
	}
	iter := func(field, id string) gqlValue {
		return val("ProjectV2ItemFieldIterationValue", field, func(v *gqlValue) { v.Iteration.IterationID, v.Iteration.Title = id, "It "+id })
	}
	for _, tc := range []struct {
		name       string
		open       bool
		labels     []string
		values     []gqlValue
		wantStatus string
		wantCat    model.StatusCategory
		points     string
		sprint     string
		bad        string
	}{
		{"no values: the open status", true, nil, nil, "open", model.CategoryNew, "", "", ""},
		{"no values: the label mapping", true, []string{"in progress"}, nil, "label:in progress", model.CategoryIndeterminate, "", "", ""},
		{"todo option beats the label", true, []string{"in progress"}, []gqlValue{opt("Status", "Todo")}, "project:todo", model.CategoryNew, "", "", ""},
		{"in progress option", true, nil, []gqlValue{opt("Status", "In Progress")}, "project:in progress", model.CategoryIndeterminate, "", "", ""},
		{"option names are case-insensitive", true, nil, []gqlValue{opt("status", "backlog")}, "project:backlog", model.CategoryNew, "", "", ""},
		{"done option on an open issue: in progress", true, nil, []gqlValue{opt("Status", "Done")}, "project:done", model.CategoryIndeterminate, "", "", ""},
		{"closed wins over any option", false, nil, []gqlValue{opt("Status", "In Progress")}, "closed", model.CategoryDone, "", "", ""},
		{"unmapped option: labels", true, []string{"in progress"}, []gqlValue{opt("Status", "Blocked")}, "label:in progress", model.CategoryIndeterminate, "", "", "Blocked"},
		{"another single-select field is ignored", true, nil, []gqlValue{opt("Priority", "In Progress")}, "open", model.CategoryNew, "", "", ""},
		{"points and sprint", true, nil, []gqlValue{num("Estimate", 3), iter("Sprint", "abc")}, "open", model.CategoryNew, "3", "abc@500", ""},
		{"fractional points", true, nil, []gqlValue{num("Estimate", 0.5)}, "open", model.CategoryNew, "0.5", "", ""},
		{"other number and iteration fields are ignored", true, nil, []gqlValue{num("Size", 3), iter("Quarter", "q1")}, "open", model.CategoryNew, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var it gqlItem
			it.FieldValues.Nodes = tc.values
			status, points, sprint, _, bad := m.projectValues(it, rp)
			labels := map[string]bool{}
			for _, l := range tc.labels {
				labels[l] = true
			}
			st := m.statusOf(tc.open, labels, status)
			if st.id != tc.wantStatus || st.cat != tc.wantCat || points != tc.points || sprint != tc.sprint || bad != tc.bad {
				t.Errorf("status %s (%s), points %q, sprint %q, unmapped %q; want %s (%s), %q, %q, %q",
					st.id, st.cat, points, sprint, bad, tc.wantStatus, tc.wantCat, tc.points, tc.sprint, tc.bad)
			}
		})
	}
}

// TestProjectConfig: every problem of a project configuration names its key.
func TestProjectConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*ProjectConfig)
		want string
	}{
		{"no owner", func(p *ProjectConfig) { p.Number = 1 }, "project.organization: required"},
		{"two owners", func(p *ProjectConfig) { p.Organization, p.User, p.Number = "a", "b", 1 }, "project.organization: set either"},
		{"bad login", func(p *ProjectConfig) { p.User, p.Number = "-x", 1 }, "project.user:"},
		{"no number", func(p *ProjectConfig) { p.Organization = "a" }, "project.number: required"},
		{"option twice", func(p *ProjectConfig) {
			p.Organization, p.Number = "a", 1
			p.StatusOptions.InProgress = []string{"todo"}
		}, "project.status_options.in_progress[0]: option \"todo\" is already listed under todo"},
		{"no options", func(p *ProjectConfig) {
			p.Organization, p.Number = "a", 1
			p.StatusOptions = StatusOptions{}
		}, "project.status_options: list the options"},
		{"same field twice", func(p *ProjectConfig) { p.Organization, p.Number, p.PointsField = "a", 1, "status" }, "project.points_field: field \"status\" is already project.status_field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := NewConfig()
			cfg.Token = "t"
			cfg.Repositories = []string{"a/b"}
			tc.set(&cfg.Project)
			var got []string
			for _, e := range cfg.Validate() {
				got = append(got, e.Error())
			}
			found := false
			for _, g := range got {
				if len(g) >= len(tc.want) && g[:len(tc.want)] == tc.want {
					found = true
				}
			}
			if !found {
				t.Errorf("errors %q, want one starting %q", got, tc.want)
			}
		})
	}
	cfg := NewConfig()
	cfg.Token, cfg.Repositories = "t", []string{"a/b"}
	if errs := cfg.Validate(); len(errs) != 0 {
		t.Errorf("without a project: %v", errs)
	}
}

// TestProjectFaults: 20 % faulty answers on the REST and GraphQL sides
// (GraphQL's RATE_LIMITED, secondary limits, 5xx, bodies cut short, hangs)
// → the same records as a clean run.
func TestProjectFaults(t *testing.T) {
	sim := githubsim.New(githubsim.Config{Repos: []string{"octo-org/api"}, Issues: 20, Seed: 11, HangFor: time.Second,
		Project: &githubsim.ProjectConfig{Owner: "octo-org", Number: 3}})
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	cfg := testConfig(srv.URL + "/api/v3")
	cfg.Token = "sim-token"
	cfg.PageSize = 5
	cfg.Timeout = 150 * time.Millisecond
	cfg.Retry.MaxAttempts = 12
	cfg.Project = ProjectConfig{Organization: "octo-org", Number: 3, StatusField: "Status",
		StatusOptions:  StatusOptions{Todo: []string{"Todo"}, InProgress: []string{"In Progress"}, Done: []string{"Done"}},
		IterationField: "Sprint", PointsField: "Estimate"}
	run := func() (*collectortest.MemorySink, collectors.Stats) {
		c, err := New("gh", cfg)
		if err != nil {
			t.Fatal(err)
		}
		c.clock = &fakeClock{}
		sink := collectortest.NewMemorySink()
		st, err := c.Collect(context.Background(), sink, collectors.Options{Logger: testLog()})
		if err != nil {
			t.Fatal(err)
		}
		return sink, st
	}
	clean, _ := run()
	sim.SetFaultRate(0.2)
	sim.ResetStats()
	faulty, st := run()
	ss := sim.Stats()
	t.Logf("with faults: %d requests (%d GraphQL), %d faults, %d retries", st.Requests, ss.GraphQL, ss.Faults, st.Retries)
	if ss.Faults < 3 || st.Retries < ss.Faults {
		t.Errorf("%d faults injected, %d retries: want some faults, each retried", ss.Faults, st.Retries)
	}
	want, got := clean.DigestByKind(), faulty.DigestByKind()
	for _, k := range model.Kinds {
		if want[k] != got[k] {
			t.Errorf("%s differ between the clean and the faulty run", k)
		}
	}
	if len(clean.Records(model.KindSprint)) == 0 {
		t.Error("no sprints collected")
	}
}

// TestGraphQLErrors: how GraphQL answers are classified.
func TestGraphQLErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header map[string]string
		body   string
		kind   string
	}{
		{"ok", 200, nil, `{"data":{}}`, ""},
		{"rate limited", 200, map[string]string{"X-RateLimit-Remaining": "0"}, `{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded"}]}`, collectors.KindRateLimited},
		{"not found", 200, nil, `{"data":{"organization":null},"errors":[{"type":"NOT_FOUND","message":"Could not resolve"}]}`, collectors.KindNotFound},
		{"forbidden", 200, nil, `{"errors":[{"type":"INSUFFICIENT_SCOPES","message":"needs read:project"}]}`, collectors.KindAuth},
		{"secondary", 403, map[string]string{"Retry-After": "3"}, `{"message":"You have exceeded a secondary rate limit."}`, collectors.KindRateLimited},
		{"bad credentials", 401, nil, `{"message":"Bad credentials"}`, collectors.KindAuth},
		{"server error", 502, nil, `{"message":"Server Error"}`, collectors.KindTransient},
		{"html", 200, nil, `<html>login</html>`, collectors.KindBadResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &client{source: "gh", clock: httpapi.RealClock{}, authKey: "token"}
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{}}
			for k, v := range tc.header {
				resp.Header.Set(k, v)
			}
			err := c.classifyGraphQL(resp, []byte(tc.body), "https://api.github.com/graphql")
			if got := collectors.ErrorKind(err); (err == nil) != (tc.kind == "") || (err != nil && got != tc.kind) {
				t.Errorf("error %v of kind %q, want kind %q", err, got, tc.kind)
			}
		})
	}
}

func TestGraphQLURL(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"https://api.github.com", "https://api.github.com/graphql"},
		{"https://ghe.example.com", "https://ghe.example.com/api/graphql"},
		{"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"},
		{"http://127.0.0.1:8080/api/v3", "http://127.0.0.1:8080/api/graphql"},
	} {
		cfg := NewConfig()
		cfg.URL = tc.url
		base, err := cfg.apiBase()
		if err != nil {
			t.Fatal(err)
		}
		if got := graphqlURL(base); got != tc.want {
			t.Errorf("%s: GraphQL at %s, want %s", tc.url, got, tc.want)
		}
	}
}
