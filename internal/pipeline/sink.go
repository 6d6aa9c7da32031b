package pipeline

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/internal/exporter"
	"github.com/pmo-oss/pmo/internal/model"
)

// storeSink is the warehouse sink as a collector sees it: its errors carry
// the kind "warehouse" (collectors.ErrorKind), and with metrics on it
// measures the calls that write for pmo_warehouse_write_duration_seconds:
// every Flush and SetCursor (which flushes first), and the Put calls that
// filled a batch and wrote it.
type storeSink struct {
	collectors.Sink
	written func() map[model.Kind]int64
	m       *exporter.Metrics // nil: not measured
}

func (s *storeSink) Put(ctx context.Context, recs ...model.Record) error {
	if s.m == nil {
		return warehouseErr(s.Sink.Put(ctx, recs...))
	}
	before := s.written()
	start := time.Now()
	err := s.Sink.Put(ctx, recs...)
	d := time.Since(start)
	if !maps.Equal(before, s.written()) {
		s.m.WarehouseWrite.WithLabelValues("put").Observe(d.Seconds())
	}
	return warehouseErr(err)
}

func (s *storeSink) Flush(ctx context.Context) error {
	start := time.Now()
	err := s.Sink.Flush(ctx)
	if s.m != nil {
		s.m.WarehouseWrite.WithLabelValues("flush").Observe(time.Since(start).Seconds())
	}
	return warehouseErr(err)
}

func (s *storeSink) SetCursor(ctx context.Context, source, name, value string) error {
	start := time.Now()
	err := s.Sink.SetCursor(ctx, source, name, value)
	if s.m != nil {
		s.m.WarehouseWrite.WithLabelValues("set_cursor").Observe(time.Since(start).Seconds())
	}
	return warehouseErr(err)
}

// warehouseError is a failure to store records; its kind is "warehouse".
type warehouseError struct{ err error }

func (e *warehouseError) Error() string     { return e.err.Error() }
func (e *warehouseError) Unwrap() error     { return e.err }
func (e *warehouseError) ErrorKind() string { return collectors.KindWarehouse }

// warehouseErr marks err as a warehouse failure, unless it is nil or a
// cancellation (which keeps its own kind).
func warehouseErr(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &warehouseError{err}
}

// programSink puts every project a collector emits into one program
// (sources[].program): the PMO's grouping replaces the tracker's.
type programSink struct {
	collectors.Sink
	program string
}

func (s programSink) Put(ctx context.Context, recs ...model.Record) error {
	out, cloned := recs, false
	for i, r := range recs {
		var p model.Project
		switch x := r.(type) {
		case model.Project:
			p = x
		case *model.Project:
			p = *x
		default:
			continue
		}
		if !cloned {
			out, cloned = slices.Clone(recs), true // the collector's slice stays as it was
		}
		p.Category, p.CategoryID = s.program, "program:"+strings.ToLower(s.program)
		out[i] = p
	}
	return s.Sink.Put(ctx, out...)
}
