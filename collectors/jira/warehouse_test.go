package jira_test

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/jira"
	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestSimWarehouse collects the simulator into the real warehouse (both
// engines) and compares the view counts with the ground truth; a re-run
// changes nothing.
func TestSimWarehouse(t *testing.T) {
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		if raceEnabled && w.Engine() == warehouse.EngineChDB {
			t.Skip("chDB in-process runs without -race (ThreadSanitizer makes libchdb fail at random): go test -run TestSimWarehouse ./collectors/jira/")
		}
		for _, mode := range []jirasim.Mode{jirasim.Cloud, jirasim.DataCenter} {
			t.Run(string(mode), func(t *testing.T) {
				sim, base := startSim(t, jirasim.Config{Mode: mode, Issues: 1000, Seed: 21})
				cfg := simConfig(t, sim, base)
				source := "sim-" + string(mode)
				ctx := context.Background()
				run := func() collectors.Stats {
					c, err := jira.New(source, cfg)
					if err != nil {
						t.Fatal(err)
					}
					sink := w.Sink()
					st, err := c.Collect(ctx, sink, collectors.Options{Logger: testLogger(t)})
					if err != nil {
						t.Fatal(err)
					}
					if err := sink.Flush(ctx); err != nil {
						t.Fatal(err)
					}
					return st
				}
				count := func() map[model.Kind]int {
					out := map[model.Kind]int{}
					for _, k := range model.Kinds {
						rows, err := w.Query(ctx, "SELECT count() FROM v_"+string(k)+" WHERE source = ?", source)
						if err != nil {
							t.Fatalf("counting %s: %v", k, err)
						}
						for rows.Next() {
							var n uint64
							if err := rows.Scan(&n); err != nil {
								t.Fatal(err)
							}
							out[k] = int(n)
						}
						rows.Close()
					}
					return out
				}
				run()
				first := count()
				want := truthCounts(sim.Truth())
				for k, n := range want {
					if first[k] != n {
						t.Errorf("%s: warehouse has %d, truth %d", k, first[k], n)
					}
				}
				run()
				if again := count(); !mapsEqual(first, again) {
					t.Errorf("re-run changed the counts: %v -> %v", first, again)
				}
			})
		}
	})
}

func mapsEqual(a, b map[model.Kind]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// vmHWM reads the peak resident set size of this process in bytes.
func vmHWM() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb * 1024
		}
	}
	return 0
}

// peakHeap samples the Go heap while fn runs and returns its peak in bytes
// (VmHWM only ever grows within one process, so it cannot show a flat
// profile across sub-benchmarks; the sampled heap can).
func peakHeap(fn func()) float64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return float64(peak.Load())
}

// BenchmarkCollect measures issues/s with full changelogs from the simulator
// into the embedded warehouse, and in the same run the rate at which the
// same search pages are merely fetched and JSON-decoded; the ratio shows
// what the pipeline costs beyond the unavoidable.
func BenchmarkCollect(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run("issues="+strconv.Itoa(n), func(b *testing.B) {
			sim, base := startSim(b, jirasim.Config{Mode: jirasim.Cloud, Issues: n, Seed: 3})
			cfg := simConfig(b, sim, base)
			ctx := context.Background()

			// Baseline: fetch and decode the same pages, nothing else.
			start := time.Now()
			fetched, err := jira.FetchAndDecode(ctx, "bench", cfg)
			if err != nil {
				b.Fatal(err)
			}
			baseRate := float64(fetched) / time.Since(start).Seconds()

			w := whtest.Open(b, "chdb")
			b.ResetTimer()
			var rate float64
			heap := peakHeap(func() {
				for i := 0; i < b.N; i++ {
					sink := w.Sink()
					t0 := time.Now()
					c, _ := jira.New("bench", cfg)
					st, err := c.Collect(ctx, sink, collectors.Options{Full: true, Logger: testLogger(b)})
					if err != nil {
						b.Fatal(err)
					}
					if err := sink.Flush(ctx); err != nil {
						b.Fatal(err)
					}
					rate = float64(st.Records[model.KindIssue]) / time.Since(t0).Seconds()
				}
			})
			b.StopTimer()
			b.ReportMetric(rate, "issues/s")
			b.ReportMetric(baseRate, "fetch-decode-issues/s")
			if rate > 0 {
				b.ReportMetric(baseRate/rate, "fetch/pipeline-ratio")
			}
			b.ReportMetric(heap/(1<<20), "peak-heap-MiB")
			b.ReportMetric(vmHWM()/(1<<20), "VmHWM-MiB")
		})
	}
}
