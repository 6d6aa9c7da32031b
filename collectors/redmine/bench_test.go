package redmine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/collectortest"
	"github.com/pmo-oss/pmo/collectors/redmine"
	"github.com/pmo-oss/pmo/internal/model"
)

// BenchmarkCollect measures issues/s of a full collection from the real
// Redmine into a memory sink, and in the same run the rate at which the
// same requests are merely made and JSON-decoded; the ratio shows what the
// collector costs beyond the unavoidable (Redmine itself is the bottleneck:
// one request per issue for its journals).
func BenchmarkCollect(b *testing.B) {
	base, key := redmineServer(b)
	const n = 60
	w := seedFlat(b, base, key, n)
	cfg := w.config(base)
	ctx := context.Background()

	start := time.Now()
	fetched := fetchAndDecode(b, base, key, w.projects[0])
	baseRate := float64(fetched) / time.Since(start).Seconds()

	b.ResetTimer()
	var rate float64
	for i := 0; i < b.N; i++ {
		c, err := redmine.New("bench", cfg)
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		st, err := c.Collect(ctx, collectortest.NewMemorySink(), collectors.Options{Full: true})
		if err != nil {
			b.Fatal(err)
		}
		rate = float64(st.Records[model.KindIssue]) / time.Since(t0).Seconds()
	}
	b.StopTimer()
	b.ReportMetric(rate, "issues/s")
	b.ReportMetric(baseRate, "fetch-decode-issues/s")
	if rate > 0 {
		b.ReportMetric(baseRate/rate, "fetch/pipeline-ratio")
	}
}

// seedFlat creates one project with n issues, each with one status change.
func seedFlat(b *testing.B, base, key string, n int) *world {
	b.Helper()
	a := api{b, base, key}
	w := &world{api: a, prefix: fmt.Sprintf("b%d", time.Now().UnixNano()%1e9)}
	ident := w.prefix + "-bench"
	pid := a.create("projects.json", "project", map[string]any{"name": "bench " + w.prefix, "identifier": ident})
	w.projects = []string{ident}
	inProgress := a.idByName("issue_statuses.json", "issue_statuses", "In Progress")
	for i := 0; i < n; i++ {
		id := a.create("issues.json", "issue", map[string]any{"project_id": pid, "subject": fmt.Sprintf("issue %d", i), "tracker_id": 1})
		a.update(id, map[string]any{"status_id": inProgress})
	}
	w.issues = n
	return w
}

// fetchAndDecode makes the requests a full collection of project makes for
// its issues (the list pages and one detail request per issue) and decodes
// them, nothing else. It returns the issues read.
func fetchAndDecode(b *testing.B, base, key, project string) int {
	b.Helper()
	get := func(path string, v any) {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, base+"/"+path, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("X-Redmine-API-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			b.Fatal(err)
		}
	}
	issues := 0
	for offset := 0; ; {
		q := url.Values{"project_id": {project}, "status_id": {"*"}, "limit": {"100"}, "offset": {fmt.Sprint(offset)}}
		var pg struct {
			Issues []struct {
				ID int64 `json:"id"`
			} `json:"issues"`
			TotalCount int `json:"total_count"`
		}
		get("issues.json?"+q.Encode(), &pg)
		for _, is := range pg.Issues {
			var one map[string]any
			get(fmt.Sprintf("issues/%d.json?include=journals,relations", is.ID), &one)
			issues++
		}
		offset += len(pg.Issues)
		if len(pg.Issues) == 0 || offset >= pg.TotalCount {
			return issues
		}
	}
}
