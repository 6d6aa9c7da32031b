package exporter

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestHandlerServesSelfAndKPIs checks /metrics both plain and gzipped
// (two gzip members): it parses, holds the self-metrics and the KPIs once.
func TestHandlerServesSelfAndKPIs(t *testing.T) {
	self := prometheus.NewRegistry()
	m := NewMetrics(self)
	m.SourceUp.WithLabelValues("jira").Set(1)
	h := Handler(self, fixedCollector(), nil)
	for _, gz := range []bool{false, true} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var body io.Reader = rec.Body
		if gz {
			if rec.Header().Get("Content-Encoding") != "gzip" {
				t.Fatal("no gzip")
			}
			zr, err := gzip.NewReader(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			body = zr
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		mfs, err := p.TextToMetricFamilies(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("gzip=%v: exposition does not parse: %v", gz, err)
		}
		for _, name := range []string{"pmo_source_up", "pmo_cycle_time_seconds", "pmo_kpi_rag", "pmo_kpi_snapshot_timestamp_seconds"} {
			if mfs[name] == nil {
				t.Errorf("gzip=%v: %s missing", gz, name)
			}
		}
		if n := strings.Count(string(raw), "# TYPE pmo_cycle_time_seconds "); n != 1 {
			t.Errorf("gzip=%v: pmo_cycle_time_seconds declared %d times", gz, n)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
			t.Errorf("content type %q", ct)
		}
	}
}
