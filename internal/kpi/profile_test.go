package kpi

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// TestProfileSnapshot is a developer tool for tuning the engine at scale:
// with KPI_PROFILE_DB=<dir> it keeps a chDB warehouse of the benchmark's
// synthetic data (KPI_PROFILE_ISSUES, default 1,000,000) in dir — built on
// the first run, reused afterwards — and computes the full snapshot over it
// with the debug log on (each step's time), then runs the SQL of the file in
// KPI_PROFILE_SQL, if set, timing each statement (KPI_PROFILE_ONLY=sprints:
// only the sprint reports; KPI_PROFILE_MODEL=NAME: print that model's SQL
// at the portfolio's settings). Skipped unless set.
func TestProfileSnapshot(t *testing.T) {
	dir := os.Getenv("KPI_PROFILE_DB")
	if dir == "" {
		t.Skip("set KPI_PROFILE_DB to a directory to profile the snapshot at scale")
	}
	n := 1_000_000
	if s := os.Getenv("KPI_PROFILE_ISSUES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatalf("KPI_PROFILE_ISSUES=%q: %v", s, err)
		}
	}
	ctx := context.Background()
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, statErr := os.Stat(filepath.Join(dir, "loaded"))
	w, err := warehouse.Open(ctx, warehouse.Options{DSN: "chdb://" + dir, Database: "pmo", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if statErr != nil {
		kpitest.PutRecords(t, w, synth(n))
		if err := w.Sink().Close(ctx); err != nil {
			t.Fatal(err)
		}
		if err := w.Optimize(ctx); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "loaded"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	slog.SetLogLoggerLevel(slog.LevelDebug)
	cfg := benchConfig(t, n)
	asOf := benchBase.AddDate(0, 0, 365)
	if m := os.Getenv("KPI_PROFILE_MODEL"); m != "" { // print a model's SQL at the portfolio's settings
		set, err := cfg.resolve(ScopePortfolio, "all", "", "")
		if err != nil {
			t.Fatal(err)
		}
		q, err := modelSQL(m, nil, set.modelParams(asOf))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println(q)
		return
	}
	if f := os.Getenv("KPI_PROFILE_SQL"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range strings.Split(string(b), ";\n") {
			if strings.TrimSpace(q) == "" {
				continue
			}
			q = strings.ReplaceAll(q, "{as_of}", "toDateTime('"+asOf.UTC().Format(time.DateTime)+"', 'UTC')")
			t0, c0 := time.Now(), cpuTime()
			rows, err := w.Query(ctx, q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			nr := 0
			for rows.Next() {
				nr++
			}
			rows.Close()
			fmt.Printf("%d rows in %v (CPU %v): %.80s\n", nr, time.Since(t0).Round(time.Millisecond), (cpuTime() - c0).Round(time.Millisecond), strings.Join(strings.Fields(q), " "))
		}
		return
	}
	if os.Getenv("KPI_PROFILE_ONLY") == "sprints" {
		t0, c0 := time.Now(), cpuTime()
		reps, err := SprintReports(ctx, w, cfg, asOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("sprint reports: %d in %v (CPU %v)\n", len(reps), time.Since(t0).Round(time.Millisecond), (cpuTime() - c0).Round(time.Millisecond))
		return
	}
	t0, c0 := time.Now(), cpuTime()
	s, err := Compute(ctx, w, cfg, asOf, ScopeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("snapshot: %d values in %v (CPU %v)\n", len(s.Values), time.Since(t0).Round(time.Millisecond), (cpuTime() - c0).Round(time.Millisecond))
}

// cpuTime is the CPU time (user + system) this process has used: on a
// shared machine a steadier measure than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
