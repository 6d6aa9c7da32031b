package githubsim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestAPI checks the simulator's answers against GitHub's documented REST
// behaviour, one request each.
func TestAPI(t *testing.T) {
	sim := New(Config{Repos: []string{"octo-org/api"}, Issues: 12, Seed: 1})
	sim.Delete("octo-org/api", 3)
	sim.Transfer("octo-org/api", 4, "octo-org/api", time.Date(2026, 11, 30, 13, 0, 0, 0, time.UTC))
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	get := func(path string, hdr map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer sim-token")
		req.Header.Set("X-GitHub-Api-Version", APIVersion)
		for k, v := range hdr {
			if v == "" {
				req.Header.Del(k)
			} else {
				req.Header.Set(k, v)
			}
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	count := func(resp *http.Response) int {
		var list []map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	tests := []struct {
		name  string
		path  string
		hdr   map[string]string
		check func(t *testing.T, r *http.Response)
	}{
		{"bad token is 401", "/repos/octo-org/api", map[string]string{"Authorization": "Bearer nope"}, func(t *testing.T, r *http.Response) {
			if r.StatusCode != 401 {
				t.Errorf("status %d", r.StatusCode)
			}
		}},
		{"unsupported API version is 400", "/repos/octo-org/api", map[string]string{"X-GitHub-Api-Version": "2099-01-01"}, func(t *testing.T, r *http.Response) {
			if r.StatusCode != 400 {
				t.Errorf("status %d", r.StatusCode)
			}
		}},
		{"first page links to the next and the last under /repositories/{id}", "/repos/octo-org/api/issues?state=all&per_page=5", nil, func(t *testing.T, r *http.Response) {
			link := r.Header.Get("Link")
			if count(r) != 5 || !strings.Contains(link, `/repositories/500/issues?`) || !strings.Contains(link, `rel="next"`) || !strings.Contains(link, `rel="last"`) {
				t.Errorf("Link %q", link)
			}
			if r.Header.Get("X-RateLimit-Remaining") == "" || r.Header.Get("ETag") == "" {
				t.Errorf("headers %v", r.Header)
			}
		}},
		{"last page has no next", "/repositories/500/issues?state=all&per_page=5&page=3", nil, func(t *testing.T, r *http.Response) {
			// 12 issues, one deleted, one transferred (to the same repository, as #13): 11 listed.
			if n, link := count(r), r.Header.Get("Link"); n != 1 || strings.Contains(link, `rel="next"`) || !strings.Contains(link, `rel="prev"`) {
				t.Errorf("%d entries, Link %q", n, link)
			}
		}},
		{"state defaults to open", "/repos/octo-org/api/issues?per_page=100", nil, func(t *testing.T, r *http.Response) {
			var list []map[string]any
			_ = json.NewDecoder(r.Body).Decode(&list)
			for _, is := range list {
				if is["state"] != "open" {
					t.Errorf("state %v listed without state=all", is["state"])
				}
			}
		}},
		{"since filters on updated_at", "/repos/octo-org/api/issues?state=all&since=2026-11-30T12:30:00Z", nil, func(t *testing.T, r *http.Response) {
			if n := count(r); n != 1 { // only the transferred issue was updated after the data's end
				t.Errorf("%d entries since 12:30", n)
			}
		}},
		{"deleted issue is 410", "/repos/octo-org/api/issues/3", nil, func(t *testing.T, r *http.Response) {
			if r.StatusCode != 410 {
				t.Errorf("status %d", r.StatusCode)
			}
		}},
		{"transferred issue is 301 to its new place", "/repos/octo-org/api/issues/4/events", nil, func(t *testing.T, r *http.Response) {
			if loc := r.Header.Get("Location"); r.StatusCode != 301 || !strings.HasSuffix(loc, "/repos/octo-org/api/issues/13/events") {
				t.Errorf("status %d, Location %q", r.StatusCode, loc)
			}
		}},
		{"enterprise prefix", "/api/v3/repos/octo-org/api/milestones?state=all", nil, func(t *testing.T, r *http.Response) {
			if r.StatusCode != 200 || count(r) != 3 {
				t.Errorf("status %d", r.StatusCode)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, get(tc.path, tc.hdr)) })
	}

	t.Run("a matching If-None-Match is 304 and leaves the limit alone", func(t *testing.T) {
		first := get("/repos/octo-org/api/issues/1/events", nil)
		etag := first.Header.Get("ETag")
		again := get("/repos/octo-org/api/issues/1/events", map[string]string{"If-None-Match": etag})
		if again.StatusCode != http.StatusNotModified || again.Header.Get("X-RateLimit-Remaining") != "4000" {
			t.Errorf("status %d, remaining %s", again.StatusCode, again.Header.Get("X-RateLimit-Remaining"))
		}
		sim.AddLabel("octo-org/api", 1, "x", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
		if changed := get("/repos/octo-org/api/issues/1/events", map[string]string{"If-None-Match": etag}); changed.StatusCode != 200 {
			t.Errorf("after a change: status %d", changed.StatusCode)
		}
	})
}

// TestFindCallsBack: Find's callback may call the simulator (it ran under
// the simulator's lock and deadlocked).
func TestFindCallsBack(t *testing.T) {
	sim := New(Config{Repos: []string{"octo-org/api"}, Issues: 12, Seed: 1})
	order := sim.ByUpdated("octo-org/api")
	n := sim.Find("octo-org/api", func(is Issue) bool {
		return len(sim.ByUpdated("octo-org/api")) == len(order) && is.State == "open"
	})
	if n == 0 {
		t.Fatal("no open issue found")
	}
}
