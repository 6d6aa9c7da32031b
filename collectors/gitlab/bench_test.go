package gitlab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/gitlab/gitlabsim"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/secret"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// fetchAndDecode is the yardstick of BenchmarkCollect: it requests the same
// pages a full collection does (issue lists and each issue's event lists,
// 4 at a time) and decodes them into the same types, and nothing else. It
// returns the number of issues.
func fetchAndDecode(ctx context.Context, base string, projects []string) (int, error) {
	get := func(path string, v any) (http.Header, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v4/"+path, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("PRIVATE-TOKEN", gitlabsim.DefaultToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return resp.Header, json.NewDecoder(resp.Body).Decode(v)
	}
	n := 0
	for _, p := range projects {
		for pg := 1; pg > 0; {
			var ws []wIssue
			h, err := get("projects/"+p+"/issues?scope=all&order_by=updated_at&sort=asc&per_page=100&page="+strconv.Itoa(pg), &ws)
			if err != nil {
				return n, err
			}
			sem := make(chan struct{}, 4)
			errs := make(chan error, len(ws))
			for _, w := range ws {
				sem <- struct{}{}
				go func(iid int64) {
					defer func() { <-sem }()
					base := "projects/" + p + "/issues/" + strconv.FormatInt(iid, 10) + "/"
					var st []wStateEvent
					var lb []wLabelEvent
					var ms []wMilestoneEvent
					var it []wIterationEvent
					var wt []wWeightEvent
					for path, v := range map[string]any{"resource_state_events": &st, "resource_label_events": &lb,
						"resource_milestone_events": &ms, "resource_iteration_events": &it, "resource_weight_events": &wt} {
						if _, err := get(base+path+"?per_page=100&page=1", v); err != nil {
							errs <- err
							return
						}
					}
				}(w.IID)
			}
			for range cap(sem) {
				sem <- struct{}{}
			}
			close(errs)
			if err := <-errs; err != nil {
				return n, err
			}
			n += len(ws)
			pg, _ = strconv.Atoi(h.Get("X-Next-Page"))
		}
	}
	return n, nil
}

// BenchmarkCollect measures issues/s of a full collection (every issue's five
// event lists, Premium) from the simulator into the embedded warehouse, and
// in the same run the rate at which the same pages are merely fetched and
// decoded; the ratio is what the collector costs beyond the unavoidable.
func BenchmarkCollect(b *testing.B) {
	for _, n := range []int{2_000} {
		b.Run("issues="+strconv.Itoa(n), func(b *testing.B) {
			sim, err := gitlabsim.New(gitlabsim.Config{Issues: n, Seed: 3, Premium: true, Keyset: true, Projects: 4,
				Now: time.Now().UTC().Add(-time.Hour).Truncate(time.Second)})
			if err != nil {
				b.Fatal(err)
			}
			base, err := sim.Start()
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(sim.Close)
			ctx := context.Background()
			start := time.Now()
			fetched, err := fetchAndDecode(ctx, base, []string{"1", "2", "3", "4"})
			if err != nil {
				b.Fatal(err)
			}
			baseRate := float64(fetched) / time.Since(start).Seconds()

			cfg := NewConfig()
			cfg.URL, cfg.Auth.PrivateToken, cfg.Groups = base, secret.Secret(gitlabsim.DefaultToken), []string{sim.GroupPath()}
			cfg.RequestsPerSecond = 0
			w := whtest.Open(b, "chdb")
			b.ResetTimer()
			var rate float64
			for i := 0; i < b.N; i++ {
				sink := w.Sink()
				t0 := time.Now()
				c, err := New("bench", cfg)
				if err != nil {
					b.Fatal(err)
				}
				st, err := c.Collect(ctx, sink, collectors.Options{Full: true})
				if err != nil {
					b.Fatal(err)
				}
				if err := sink.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				rate = float64(st.Records[model.KindIssue]+st.Records[model.KindIssueDeleted]) / time.Since(t0).Seconds()
			}
			b.StopTimer()
			b.ReportMetric(rate, "issues/s")
			b.ReportMetric(baseRate, "fetch-decode-issues/s")
			if rate > 0 {
				b.ReportMetric(baseRate/rate, "fetch/pipeline-ratio")
			}
		})
	}
}
