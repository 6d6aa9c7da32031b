package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestRealPrometheusScrapesServe starts pmo serve in-process on loopback
// (collecting the simulator at start), a real Prometheus scraping it every
// second, and asks Prometheus' HTTP API for a KPI series and a self-metric.
// The exposition also passes promtool check metrics.
func TestRealPrometheusScrapesServe(t *testing.T) {
	promBin := whtest.Tool(t, "prometheus")
	promtool := whtest.Tool(t, "promtool")
	w := openKeepDB(t, 0)
	s, base := sim(t, 300)
	p := &pipeline.Pipeline{Warehouse: w, Sources: []pipeline.Source{simSource(t, "sim", base, "@daily")}, Logger: testLogger(t),
		Now: func() time.Time { return s.Config().Now }}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := pipeline.NewServer(p, pipeline.ServeConfig{})
	srv.Listener = ln
	srv.RunAtStart = true
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	target := ln.Addr().String()

	// /healthz at once; /readyz once migrated and a snapshot is loaded.
	if code, _ := get(t, "http://"+target+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	waitFor(t, 2*time.Minute, "/readyz 200", func() bool { code, _ := get(t, "http://"+target+"/readyz"); return code == 200 })
	waitFor(t, 2*time.Minute, "the first collection's KPI refresh", func() bool {
		_, body := get(t, "http://"+target+"/metrics")
		return strings.Contains(body, `pmo_source_runs_total{result="success",source="sim"} 1`) && strings.Contains(body, "pmo_throughput_items{")
	})

	// promtool check metrics on the real exposition.
	_, body := get(t, "http://"+target+"/metrics")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}

	// A real Prometheus on a free loopback port, scraping every second.
	api := startPrometheus(t, promBin, fmt.Sprintf("  - job_name: pmo\n    static_configs:\n      - targets: [%q]\n", target))
	for _, q := range []struct{ query, what string }{
		{`up{job="pmo"}`, "the scrape"},
		{`pmo_throughput_items{scope="portfolio",measure="count",window="4w"}`, "a KPI series"},
		{`pmo_source_last_success_timestamp_seconds{source="sim"}`, "a self-metric"},
		{`pmo_kpi_rag`, "RAG states"},
	} {
		var val string
		waitFor(t, time.Minute, "Prometheus to have "+q.what+" ("+q.query+")", func() bool {
			v, ok := promQuery(api, q.query)
			val = v
			return ok
		})
		t.Logf("%s = %s", q.query, val)
	}
	if v, _ := promQuery(api, `up{job="pmo"}`); v != "1" {
		t.Errorf(`up{job="pmo"} = %s, want 1`, v)
	}
}

// promQuery runs an instant query and returns the first sample's value.
func promQuery(api, q string) (string, bool) {
	resp, err := http.Get(api + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r struct {
		Status string
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			}
		}
	}
	if json.Unmarshal(b, &r) != nil || r.Status != "success" || len(r.Data.Result) == 0 {
		return "", false
	}
	v, _ := r.Data.Result[0].Value[1].(string)
	return v, true
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
