package exporter

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// The KPI part of /metrics can hold a few hundred thousand series (1,000
// projects × the catalog). Encoding that on every scrape would cost far
// more than reading memory, so Update renders it once, as text and as a
// gzip member; a scrape encodes only the small self-metrics registry and
// appends the ready bytes (two gzip members make one valid gzip stream).

// textFormat is the exposition format served: Prometheus text 0.0.4,
// which every Prometheus version accepts.
var textFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

// render encodes metrics in the text format, plain and gzipped.
func render(ms []prometheus.Metric) (text, gz []byte) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(staticCollector(ms)); err != nil {
		return nil, nil
	}
	mfs, err := reg.Gather()
	if err != nil {
		slog.Default().Error("exporter: rendering the KPI metrics", "err", err.Error())
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, textFormat)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			slog.Default().Error("exporter: encoding the KPI metrics", "family", mf.GetName(), "err", err.Error())
		}
	}
	text = buf.Bytes()
	var zb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zb, gzip.BestSpeed)
	_, _ = zw.Write(text)
	_ = zw.Close()
	return text, zb.Bytes()
}

// staticCollector hands out a fixed set of metrics (unchecked).
type staticCollector []prometheus.Metric

func (s staticCollector) Describe(chan<- *prometheus.Desc) {}
func (s staticCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range s {
		ch <- m
	}
}

// Handler serves /metrics: the self-metrics gathered from self at each
// scrape, followed by the KPI snapshot rendered at its last Update. Do not
// register kpis on self as well.
func Handler(self prometheus.Gatherer, kpis *KPICollector, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mfs, err := self.Gather()
		if err != nil {
			// Partial results are still served (as promhttp's
			// ContinueOnError does); the problem goes to the log.
			log.Error("gathering the self-metrics", "err", err.Error())
		}
		var buf bytes.Buffer
		enc := expfmt.NewEncoder(&buf, textFormat)
		for _, mf := range mfs {
			if err := enc.Encode(mf); err != nil {
				log.Error("encoding the self-metrics", "family", mf.GetName(), "err", err.Error())
			}
		}
		b := kpis.cur.Load()
		h := w.Header()
		h.Set("Content-Type", string(textFormat))
		var out io.Writer = w
		if acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			h.Add("Vary", "Accept-Encoding")
			zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
			_, _ = zw.Write(buf.Bytes())
			if err := zw.Close(); err != nil {
				return
			}
			_, _ = w.Write(b.gzipped)
			return
		}
		h.Set("Content-Length", fmt.Sprint(buf.Len()+len(b.text)))
		_, _ = out.Write(buf.Bytes())
		_, _ = out.Write(b.text)
	})
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
