package pipeline

import (
	"context"
	"maps"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/internal/exporter"
	"github.com/pmo-oss/pmo/internal/model"
)

// timedSink measures the sink calls that write to the warehouse for
// pmo_warehouse_write_duration_seconds: every Flush and SetCursor (which
// flushes first), and the Put calls that filled a batch and wrote it.
type timedSink struct {
	collectors.Sink
	written func() map[model.Kind]int64
	m       *exporter.Metrics
}

func (s *timedSink) Put(ctx context.Context, recs ...model.Record) error {
	before := s.written()
	start := time.Now()
	err := s.Sink.Put(ctx, recs...)
	d := time.Since(start)
	if !maps.Equal(before, s.written()) {
		s.m.WarehouseWrite.WithLabelValues("put").Observe(d.Seconds())
	}
	return err
}

func (s *timedSink) Flush(ctx context.Context) error {
	start := time.Now()
	err := s.Sink.Flush(ctx)
	s.m.WarehouseWrite.WithLabelValues("flush").Observe(time.Since(start).Seconds())
	return err
}

func (s *timedSink) SetCursor(ctx context.Context, source, name, value string) error {
	start := time.Now()
	err := s.Sink.SetCursor(ctx, source, name, value)
	s.m.WarehouseWrite.WithLabelValues("set_cursor").Observe(time.Since(start).Seconds())
	return err
}
