package pipeline_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/pipeline"
)

// observingCollector reports its requests through collectors.Observer, as
// a collector that supports the hook does.
type observingCollector struct{}

func (observingCollector) Source() string { return "obs" }

func (observingCollector) Collect(ctx context.Context, sink collectors.Sink, _ collectors.Options) (collectors.Stats, error) {
	o := collectors.ObserverFrom(ctx)
	o.Request(200, time.Millisecond)
	o.Request(200, time.Millisecond)
	o.Request(429, time.Millisecond)
	o.Retry(429, 2*time.Second)
	o.RateLimitWait(2 * time.Second)
	o.Request(0, time.Second) // no answer
	p := &model.Project{Source: "obs", ID: "1", Key: "OBS", Name: "Observed"}
	if err := sink.Put(ctx, p); err != nil {
		return collectors.Stats{}, err
	}
	// 6 requests made, 4 reported one by one: 2 end up as "unknown".
	return collectors.Stats{Source: "obs", Records: map[model.Kind]int64{model.KindProject: 1}, Requests: 6, Retries: 1}, nil
}

func TestObserverMetrics(t *testing.T) {
	w := openKeepDB(t, 0)
	p := &pipeline.Pipeline{Warehouse: w, Sources: []pipeline.Source{{Name: "obs", Collector: observingCollector{}}}, Logger: testLogger(t)}
	pipeline.NewServer(p, pipeline.ServeConfig{})
	if _, err := p.Collect(context.Background(), "obs", false); err != nil {
		t.Fatal(err)
	}
	m := p.Metrics
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"requests 2xx", testutil.ToFloat64(m.Requests.WithLabelValues("obs", "2xx")), 2},
		{"requests 4xx", testutil.ToFloat64(m.Requests.WithLabelValues("obs", "4xx")), 1},
		{"requests error", testutil.ToFloat64(m.Requests.WithLabelValues("obs", "error")), 1},
		{"requests unknown", testutil.ToFloat64(m.Requests.WithLabelValues("obs", "unknown")), 2},
		{"retries 4xx", testutil.ToFloat64(m.Retries.WithLabelValues("obs", "4xx")), 1},
		{"rate limit waits", testutil.ToFloat64(m.RateLimitWaits.WithLabelValues("obs")), 1},
		{"rate limit seconds", testutil.ToFloat64(m.RateLimitSeconds.WithLabelValues("obs")), 2},
		{"records", testutil.ToFloat64(m.RecordsWritten.WithLabelValues("obs", "projects")), 1},
		{"up", testutil.ToFloat64(m.SourceUp.WithLabelValues("obs")), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.WarehouseWrite); n == 0 {
		t.Error("no warehouse write latency observed")
	}
}
