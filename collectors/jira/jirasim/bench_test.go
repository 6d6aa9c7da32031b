package jirasim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	jira "github.com/andygrunwald/go-jira"
)

// pageRequest is a full search page (100 issues, every field, changelog).
func pageRequest(s *Server) *http.Request {
	var req *http.Request
	if s.cfg.Mode == Cloud {
		body := `{"jql":"project in (APO, BOR, CAS) AND updated >= 0 ORDER BY updated ASC, id ASC","fields":["*all"],"expand":"changelog","maxResults":100}`
		req = httptest.NewRequest("POST", "/rest/api/3/search/jql", strings.NewReader(body))
		req.SetBasicAuth("sim@example.com", "sim-token")
	} else {
		req = httptest.NewRequest("GET", "/rest/api/2/search?jql=project%20in%20(APO,BOR,CAS)%20ORDER%20BY%20updated%20ASC&startAt=5000&maxResults=100&expand=changelog", nil)
		req.Header.Set("Authorization", "Bearer sim-pat")
	}
	return req
}

// BenchmarkSearchPage measures rendering one 100-issue page with full
// changelogs (render) against the baseline a client cannot avoid: decoding
// the same bytes with encoding/json into go-jira's types (decode). The
// render/decode ratio of ns/op shows the simulator is not the bottleneck.
func BenchmarkSearchPage(b *testing.B) {
	for _, mode := range []Mode{Cloud, DataCenter} {
		s, err := New(Config{Mode: mode, Issues: 10_000, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		h := s.Handler()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, pageRequest(s))
		page := rec.Body.Bytes()
		if rec.Code != 200 {
			b.Fatalf("%d %s", rec.Code, page)
		}
		b.Run(string(mode)+"/render", func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			for b.Loop() {
				w := discard{h: http.Header{}}
				h.ServeHTTP(&w, pageRequest(s))
			}
			b.ReportMetric(float64(b.N)*100/b.Elapsed().Seconds(), "issues/s")
		})
		b.Run(string(mode)+"/decode-baseline", func(b *testing.B) {
			// v2 pages decode into go-jira's types; Cloud's v3 page carries
			// ADF rich text, so it decodes into generic maps.
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			for b.Loop() {
				if mode == DataCenter {
					var v struct{ Issues []jira.Issue }
					if err := json.Unmarshal(page, &v); err != nil {
						b.Fatal(err)
					}
				} else {
					var v struct{ Issues []map[string]any }
					if err := json.Unmarshal(page, &v); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N)*100/b.Elapsed().Seconds(), "issues/s")
		})
	}
}

type discard struct {
	h      http.Header
	status int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(s int)           { d.status = s }

// BenchmarkWalkHTTP serves a whole 10k-issue organisation over loopback
// HTTP, page by page with changelogs, to a client that only reads the bytes.
func BenchmarkWalkHTTP(b *testing.B) {
	for _, mode := range []Mode{Cloud, DataCenter} {
		b.Run(string(mode)+"-10k", func(b *testing.B) {
			s, err := New(Config{Mode: mode, Issues: 10_000, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			base, err := s.Start()
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			hc := &http.Client{}
			var pages, bytesRead int64
			start := time.Now()
			for b.Loop() {
				token, startAt := "", 0
				for {
					var req *http.Request
					if mode == Cloud {
						body, _ := json.Marshal(map[string]any{"jql": "project in (APO, BOR, CAS) ORDER BY updated ASC, id ASC",
							"fields": []string{"*all"}, "expand": "changelog", "maxResults": 100, "nextPageToken": token})
						req, _ = http.NewRequest("POST", base+"/rest/api/3/search/jql", bytes.NewReader(body))
						req.SetBasicAuth("sim@example.com", "sim-token")
					} else {
						req, _ = http.NewRequest("GET", base+"/rest/api/2/search?jql=project%20in%20(APO,BOR,CAS)%20ORDER%20BY%20updated%20ASC&maxResults=100&expand=changelog&startAt="+itoa(startAt), nil)
						req.Header.Set("Authorization", "Bearer sim-pat")
					}
					resp, err := hc.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					data, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != 200 {
						b.Fatalf("%v %d", err, resp.StatusCode)
					}
					pages++
					bytesRead += int64(len(data))
					startAt += 100
					if mode == Cloud {
						i := bytes.Index(data, []byte(`"nextPageToken":"`))
						if i < 0 {
							break
						}
						rest := data[i+len(`"nextPageToken":"`):]
						token = string(rest[:bytes.IndexByte(rest, '"')])
					} else if startAt >= 10_000 {
						break
					}
				}
			}
			secs := time.Since(start).Seconds()
			b.ReportMetric(float64(pages)/secs, "pages/s")
			b.ReportMetric(float64(pages*100)/secs, "issues/s")
			b.ReportMetric(float64(bytesRead)/secs/1e6, "MB/s")
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// BenchmarkNew builds the index of a 1M-issue organisation (Truth included)
// against the baseline of 100k issues: the ratio shows linear growth.
func BenchmarkNew(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(itoa(n), func(b *testing.B) {
			for b.Loop() {
				s, err := New(Config{Issues: n})
				if err != nil {
					b.Fatal(err)
				}
				_ = s.Truth()
			}
		})
	}
}
