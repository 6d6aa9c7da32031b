package clustertest

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// changes makes n changelog rows of n/10 issues, deterministically.
func changes(n int) []model.Record {
	base := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	out := make([]model.Record, n)
	for i := range out {
		issue := strconv.Itoa(10000 + i/10)
		out[i] = model.Change{
			Source: "jira", IssueID: issue, ChangeID: strconv.Itoa(i), At: base.Add(time.Duration(i) * time.Minute),
			AuthorID: "u2", ChangeKind: model.ChangeStatus, Field: "status", FieldID: "status", FieldType: "jira",
			From: "1", FromString: "To Do", To: "3", ToString: "In Progress",
			FromCategory: model.CategoryNew, ToCategory: model.CategoryIndeterminate,
		}
	}
	return out
}

// BenchmarkCluster measures, on the test cluster (two shards) and on a
// single server (node 1 alone) in the same run: the sink's throughput
// (sink: rows/s of 100,000 changes put and flushed) and the KPI snapshot
// time (kpi: pmo kpi over a 2,000-issue simulated organisation). ratio =
// cluster ÷ single server (rows/s above 1 is faster; seconds above 1 is
// slower).
func BenchmarkCluster(b *testing.B) {
	c := startCluster(b)
	ctx := context.Background()
	rows := changes(100_000)
	b.Run("sink", func(b *testing.B) {
		rate := map[bool]float64{}
		for _, onCluster := range []bool{false, true} {
			opts := warehouse.Options{DSN: c.dsn, Database: "bench_sink_" + strconv.FormatBool(onCluster), Logger: slog.New(slog.DiscardHandler)}
			if onCluster {
				opts.Cluster = c.name
			}
			w, err := warehouse.Open(ctx, opts)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := w.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			for range b.N {
				for i := 0; i < len(rows); i += 5000 {
					if err := w.Sink().Put(ctx, rows[i:min(i+5000, len(rows))]...); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Sink().Flush(ctx); err != nil {
					b.Fatal(err)
				}
			}
			rate[onCluster] = float64(b.N*len(rows)) / time.Since(start).Seconds()
			w.Close()
		}
		b.ReportMetric(rate[true], "rows/s")
		b.ReportMetric(rate[true]/rate[false], "ratio")
		b.Logf("sink: cluster %.0f rows/s, single server %.0f rows/s", rate[true], rate[false])
	})
	b.Run("kpi", func(b *testing.B) {
		sim, err := jirasim.New(jirasim.Config{Mode: jirasim.Cloud, Issues: 2000, Seed: 5})
		if err != nil {
			b.Fatal(err)
		}
		defer sim.Close()
		srv := httptest.NewServer(sim.Handler())
		defer srv.Close()
		asOf := time.Now().UTC().Format(time.DateOnly)
		took := map[bool]time.Duration{}
		for _, onCluster := range []bool{false, true} {
			cfg := writeConfig(b, c, "bench_kpi_"+strconv.FormatBool(onCluster), onCluster, srv.URL, sim.ProjectKeys())
			for _, args := range [][]string{{"migrate", "-c", cfg}, {"collect", "-c", cfg}} {
				if code, out, errs := pmo(b, args...); code != 0 {
					b.Fatalf("%v: exit %d\n%s%s", args, code, out, errs)
				}
			}
			start := time.Now()
			for range b.N {
				if code, out, errs := pmo(b, "kpi", "-c", cfg, "--as-of", asOf); code != 0 {
					b.Fatalf("kpi: exit %d\n%s%s", code, out, errs)
				}
			}
			took[onCluster] = time.Since(start) / time.Duration(b.N)
		}
		b.ReportMetric(took[true].Seconds(), "s/snapshot")
		b.ReportMetric(took[true].Seconds()/took[false].Seconds(), "ratio")
		b.Logf("kpi snapshot: cluster %v, single server %v", took[true].Round(time.Millisecond), took[false].Round(time.Millisecond))
	})
}
