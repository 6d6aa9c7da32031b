package github_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/github"
	"github.com/pmo-oss/pmo/collectors/github/githubsim"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// BenchmarkCollect collects the simulator into the embedded warehouse and
// reports issues/s, beside the rate of fetching and decoding the same
// pages (github.FetchAndDecode) and their ratio.
func BenchmarkCollect(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run("issues="+strconv.Itoa(n), func(b *testing.B) {
			repos := []string{"octo-org/api", "octo-org/web"}
			_, base := startSim(b, githubsim.Config{Repos: repos, Issues: n / 2 * 5 / 4, Seed: 3}) // a fifth are PRs
			cfg := simConfig(base, repos...)
			cfg.PageSize = 100
			cfg.Concurrency = 4 // both sides alike; a real run is serial (the rate limit is the bound there)
			ctx := context.Background()
			start := time.Now()
			fetched, err := github.FetchAndDecode(ctx, "bench", cfg)
			if err != nil {
				b.Fatal(err)
			}
			baseRate := float64(fetched) / time.Since(start).Seconds()
			w := whtest.Open(b, "chdb")
			b.ResetTimer()
			var rate float64
			for i := 0; i < b.N; i++ {
				sink := w.Sink()
				t0 := time.Now()
				st, err := newCollector(b, "bench", cfg).Collect(ctx, sink, collectors.Options{Full: true, Logger: testLogger(b)})
				if err != nil {
					b.Fatal(err)
				}
				if err := sink.Flush(ctx); err != nil {
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
		})
	}
}
