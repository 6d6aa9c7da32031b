package pipeline

import (
	"context"
	"fmt"
	"net/url"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"

	"github.com/pmo-oss/pmo/internal/exporter"
)

// Batch holds the metrics of one batch run (`pmo collect`, `pmo kpi`) for a
// Pushgateway: the usual pattern for cron and Kubernetes CronJob runs,
// whose process is gone before Prometheus could scrape it.
type Batch struct {
	Registry *prometheus.Registry
	Metrics  *exporter.Metrics
	URL      string // Pushgateway URL; "" = no push
	Job      string // job label: pmo_collect, pmo_kpi
}

// NewBatch returns a batch registry with the self-metrics registered. url
// may be empty (then Push does nothing).
func NewBatch(pushURL, job string) (*Batch, error) {
	if pushURL != "" {
		if err := checkPushURL(pushURL); err != nil {
			return nil, fmt.Errorf("--pushgateway: %w", err)
		}
	}
	reg := prometheus.NewRegistry()
	return &Batch{Registry: reg, Metrics: exporter.NewMetrics(reg), URL: pushURL, Job: job}, nil
}

// Push replaces the metrics of this job and instance on the Pushgateway
// (PUT), so a finished run's last-success timestamp stays visible until
// the next run. Credentials in the URL are sent as basic auth and never
// appear in the error.
func (b *Batch) Push(ctx context.Context) error {
	if b == nil || b.URL == "" {
		return nil
	}
	u, err := url.Parse(b.URL)
	if err != nil {
		return fmt.Errorf("pushing run metrics: %q is not a URL", redactURL(b.URL))
	}
	user := u.User
	u.User = nil
	p := push.New(u.String(), b.Job).Gatherer(b.Registry)
	if host, err := os.Hostname(); err == nil && host != "" {
		p = p.Grouping("instance", host)
	}
	if user != nil {
		pw, _ := user.Password()
		p = p.BasicAuth(user.Username(), pw)
	}
	if err := p.PushContext(ctx); err != nil {
		return fmt.Errorf("pushing run metrics to the Pushgateway %s: %w", redactURL(u.String()), err)
	}
	return nil
}
