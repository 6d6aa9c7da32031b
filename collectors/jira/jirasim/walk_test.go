package jirasim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// client is a minimal test client with the simulator's default credentials.
type client struct {
	t    testing.TB
	base string
	mode Mode
	hc   *http.Client
}

func newClient(t testing.TB, s *Server) *client {
	t.Helper()
	base, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return &client{t: t, base: base, mode: s.cfg.Mode, hc: &http.Client{}}
}

func (c *client) do(method, path string, body any) (int, http.Header, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.mode == DataCenter {
		req.Header.Set("Authorization", "Bearer sim-pat")
	} else {
		req.SetBasicAuth("sim@example.com", "sim-token")
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, b
}

func (c *client) getJSON(path string, v any) {
	c.t.Helper()
	st, _, b := c.do("GET", path, nil)
	if st != 200 {
		c.t.Fatalf("GET %s: %d %s", path, st, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
}

type wIssue struct {
	ID     string `json:"id"`
	Key    string `json:"key"`
	Fields struct {
		Updated string `json:"updated"`
		Worklog struct {
			Total    int               `json:"total"`
			Worklogs []json.RawMessage `json:"worklogs"`
		} `json:"worklog"`
		IssueLinks []struct {
			ID string `json:"id"`
		} `json:"issuelinks"`
	} `json:"fields"`
	Changelog struct {
		Total     int `json:"total"`
		Histories []struct {
			ID    string            `json:"id"`
			Items []json.RawMessage `json:"items"`
		} `json:"histories"`
	} `json:"changelog"`
}

type walkResult struct {
	issues, changes, worklogs, links, pages int
	keys                                    []string
}

// walk collects every issue matching jql the way a collector would and
// counts what it gets, paging changelogs and worklogs when truncated.
func (c *client) walk(jql string, max int) walkResult {
	c.t.Helper()
	var res walkResult
	seen := map[string]bool{}
	links := map[string]bool{}
	fields := []string{"summary", "status", "updated", "worklog", "issuelinks", fieldSprint}
	handle := func(is []wIssue) {
		for _, is := range is {
			if seen[is.ID] {
				c.t.Fatalf("issue %s returned twice", is.Key)
			}
			seen[is.ID] = true
			res.keys = append(res.keys, is.Key)
			res.issues++
			hs := is.Changelog.Histories
			if is.Changelog.Total > len(hs) {
				if c.mode != Cloud {
					c.t.Fatalf("%s: DC changelog truncated", is.Key)
				}
				hs = hs[:0]
				for start := 0; ; {
					var pg struct {
						IsLast bool `json:"isLast"`
						Values []struct {
							Items []json.RawMessage `json:"items"`
						} `json:"values"`
					}
					c.getJSON(fmt.Sprintf("/rest/api/3/issue/%s/changelog?startAt=%d&maxResults=100", is.Key, start), &pg)
					for _, v := range pg.Values {
						res.changes += len(v.Items)
					}
					start += len(pg.Values)
					if pg.IsLast || len(pg.Values) == 0 {
						break
					}
				}
			}
			for _, h := range hs {
				res.changes += len(h.Items)
			}
			wl := is.Fields.Worklog
			if wl.Total > len(wl.Worklogs) {
				var pg struct {
					Total    int               `json:"total"`
					Worklogs []json.RawMessage `json:"worklogs"`
				}
				c.getJSON("/rest/api/2/issue/"+is.Key+"/worklog", &pg)
				res.worklogs += len(pg.Worklogs)
			} else {
				res.worklogs += len(wl.Worklogs)
			}
			for _, l := range is.Fields.IssueLinks {
				links[l.ID] = true
			}
		}
	}
	if c.mode == Cloud {
		token := ""
		for {
			body := map[string]any{"jql": jql, "fields": fields, "expand": "changelog", "maxResults": max}
			if token != "" {
				body["nextPageToken"] = token
			}
			st, _, b := c.do("POST", "/rest/api/3/search/jql", body)
			if st != 200 {
				c.t.Fatalf("search/jql: %d %s", st, b)
			}
			var pg struct {
				Issues        []wIssue `json:"issues"`
				NextPageToken *string  `json:"nextPageToken"`
				IsLast        bool     `json:"isLast"`
			}
			if err := json.Unmarshal(b, &pg); err != nil {
				c.t.Fatal(err)
			}
			res.pages++
			handle(pg.Issues)
			if pg.IsLast != (pg.NextPageToken == nil) {
				c.t.Fatalf("isLast=%v but nextPageToken=%v", pg.IsLast, pg.NextPageToken)
			}
			if pg.IsLast {
				break
			}
			token = *pg.NextPageToken
		}
	} else {
		for start := 0; ; {
			st, _, b := c.do("POST", "/rest/api/2/search", map[string]any{"jql": jql, "fields": fields,
				"expand": []string{"changelog"}, "maxResults": max, "startAt": start})
			if st != 200 {
				c.t.Fatalf("search: %d %s", st, b)
			}
			var pg struct {
				StartAt, MaxResults, Total int
				Issues                     []wIssue `json:"issues"`
			}
			if err := json.Unmarshal(b, &pg); err != nil {
				c.t.Fatal(err)
			}
			res.pages++
			handle(pg.Issues)
			start += len(pg.Issues)
			if len(pg.Issues) == 0 || start >= pg.Total {
				break
			}
		}
	}
	res.links = len(links)
	return res
}

func projectsJQL(s *Server) string {
	var ks []string
	for _, p := range s.org.projects {
		ks = append(ks, `"`+p.key+`"`)
	}
	return "project in (" + strings.Join(ks, ",") + ") ORDER BY updated ASC, id ASC"
}

func TestWalkEqualsTruth(t *testing.T) {
	for _, mode := range []Mode{Cloud, DataCenter} {
		t.Run(string(mode), func(t *testing.T) {
			s, err := New(Config{Mode: mode, Issues: 3000, Seed: 42})
			if err != nil {
				t.Fatal(err)
			}
			c := newClient(t, s)
			res := c.walk(projectsJQL(s), 1000)
			tr := s.Truth()
			if res.issues != tr.Issues || res.changes != tr.Changes || res.worklogs != tr.Worklogs || res.links != tr.Links {
				t.Errorf("walk got issues=%d changes=%d worklogs=%d links=%d; truth %d %d %d %d",
					res.issues, res.changes, res.worklogs, res.links, tr.Issues, tr.Changes, tr.Worklogs, tr.Links)
			}
			if want := (tr.Issues + 99) / 100; res.pages != want {
				t.Errorf("pages = %d, want %d (page size capped at 100)", res.pages, want)
			}
		})
	}
}
