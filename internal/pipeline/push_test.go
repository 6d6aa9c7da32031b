package pipeline_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/internal/exporter"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/pipeline"
)

// TestBatchPush pushes a collect run's metrics to an in-process server
// standing in for the Pushgateway and checks the request.
func TestBatchPush(t *testing.T) {
	var (
		mu     sync.Mutex
		method string
		path   string
		user   string
		pass   string
		ctype  string
		body   string
	)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		method, path, ctype = r.Method, r.URL.Path, r.Header.Get("Content-Type")
		user, pass, _ = r.BasicAuth()
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		w.WriteHeader(http.StatusOK)
	}))
	defer gw.Close()
	u := strings.Replace(gw.URL, "http://", "http://pusher:s3cret@", 1)
	b, err := pipeline.NewBatch(u, "pmo_collect")
	if err != nil {
		t.Fatal(err)
	}
	st := collectors.Stats{Source: "jira", Records: map[model.Kind]int64{model.KindIssue: 12}, Requests: 5, Duration: 2 * time.Second}
	pipeline.RecordCollection(b.Metrics, "jira", st, nil, exporter.ResultSuccess, nil, time.Unix(1750000000, 0))
	if err := b.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if method != http.MethodPut {
		t.Errorf("method %s, want PUT (replace the job's metrics)", method)
	}
	if !strings.HasPrefix(path, "/metrics/job/pmo_collect/instance/") {
		t.Errorf("path %s, want /metrics/job/pmo_collect/instance/<host>", path)
	}
	if user != "pusher" || pass != "s3cret" {
		t.Errorf("basic auth %q/%q, want the URL's credentials", user, pass)
	}
	if !strings.Contains(ctype, "protobuf") {
		t.Errorf("content type %q", ctype)
	}
	for _, want := range []string{"pmo_source_last_success_timestamp_seconds", "pmo_source_records_written_total", "jira"} {
		if !strings.Contains(body, want) {
			t.Errorf("pushed body lacks %s", want)
		}
	}
}

func TestBatchPushErrorsHideCredentials(t *testing.T) {
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusBadRequest)
	}))
	defer gw.Close()
	u := strings.Replace(gw.URL, "http://", "http://pusher:s3cret@", 1)
	b, err := pipeline.NewBatch(u, "pmo_kpi")
	if err != nil {
		t.Fatal(err)
	}
	err = b.Push(context.Background())
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "Pushgateway") {
		t.Errorf("push error %v: want a failure naming the Pushgateway without the password", err)
	}
	if _, err := pipeline.NewBatch("ftp://x:s3cret@host", "pmo_kpi"); err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "--pushgateway") {
		t.Errorf("bad URL error %v", err)
	}
	if b, err := pipeline.NewBatch("", "pmo_kpi"); err != nil || b.Push(context.Background()) != nil {
		t.Errorf("no URL: %v", err)
	}
}

func TestServeConfigValidate(t *testing.T) {
	badWeb := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(badWeb, []byte("basic_auth_users:\n  prom: not-a-bcrypt-hash\ntls_server_config:\n  cert_file: /nonexistent/cert.pem\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := pipeline.ServeConfig{Listen: "9477", DefaultSchedule: "hourly", TimeZone: "Mars/Base", ShutdownGrace: -time.Second, Pushgateway: "gw:9091", WebConfigFile: badWeb}
	var msgs []string
	for _, e := range c.Validate() {
		msgs = append(msgs, e.Error())
	}
	got := strings.Join(msgs, "\n")
	for _, want := range []string{"serve.listen:", "serve.default_schedule:", "serve.time_zone:", "serve.shutdown_grace:", "serve.pushgateway:", "serve.web_config_file: " + badWeb} {
		if !strings.Contains(got, want) {
			t.Errorf("Validate() lacks %s:\n%s", want, got)
		}
	}
	if d := pipeline.DefaultServeConfig(); d.Listen != "127.0.0.1:9477" {
		t.Errorf("serve.listen defaults to %q, want this host only (127.0.0.1:9477)", d.Listen)
	}
	if errs := pipeline.DefaultServeConfig().Validate(); len(errs) > 0 {
		t.Errorf("defaults invalid: %v", errs)
	}
}
