package pipeline_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// testPKI writes a CA and a server certificate for 127.0.0.1 signed by
// it into dir; it returns the CA pool and the three file paths.
func testPKI(t *testing.T, dir string) (pool *x509.CertPool, caFile, certFile, keyFile string) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	now := time.Now()
	caKey := newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pmo test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	srvKey := newKey()
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "pmo serve"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pool = x509.NewCertPool()
	pool.AddCert(ca)
	return pool, write("ca.pem", "CERTIFICATE", caDER), write("cert.pem", "CERTIFICATE", srvDER), write("key.pem", "EC PRIVATE KEY", keyDER)
}

// TestServeWebConfigTLSBasicAuth: with serve.web_config_file (the web
// configuration of Prometheus and node_exporter) pmo serve speaks TLS and
// asks for basic auth on every endpoint. A real Prometheus scrapes it with
// the credentials and the CA (up = 1, pmo's metrics ingested); a request
// without credentials, with a wrong password or without TLS is refused.
func TestServeWebConfigTLSBasicAuth(t *testing.T) {
	promBin := whtest.Tool(t, "prometheus")
	dir := t.TempDir()
	pool, caFile, certFile, keyFile := testPKI(t, dir)
	const user, password = "prometheus", "scrape-pw-7f3a"
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webFile := filepath.Join(dir, "web.yml")
	web := fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  %s: %s\n", certFile, keyFile, user, hash)
	if err := os.WriteFile(webFile, []byte(web), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.ServeConfig{WebConfigFile: webFile}
	if errs := cfg.Validate(); len(errs) > 0 {
		t.Fatalf("a valid web config file is refused: %v", errs)
	}

	w := openKeepDB(t, 0)
	p := &pipeline.Pipeline{Warehouse: w, Logger: testLogger(t)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := pipeline.NewServer(p, cfg)
	srv.Listener = ln
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

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	request := func(url, user, pw string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if user != "" {
			req.SetBasicAuth(user, pw)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitFor(t, 2*time.Minute, "/readyz 200 over TLS with credentials", func() bool {
		code, _ := request("https://"+target+"/readyz", user, password)
		return code == 200
	})
	for _, tt := range []struct {
		name, url, user, pw string
		code                int
	}{
		{"no credentials", "https://" + target + "/metrics", "", "", http.StatusUnauthorized},
		{"wrong password", "https://" + target + "/metrics", user, "wrong", http.StatusUnauthorized},
		{"unknown user", "https://" + target + "/metrics", "someone", password, http.StatusUnauthorized},
		{"health without credentials", "https://" + target + "/healthz", "", "", http.StatusUnauthorized},
		{"credentials", "https://" + target + "/metrics", user, password, http.StatusOK},
	} {
		if code, body := request(tt.url, tt.user, tt.pw); code != tt.code {
			t.Errorf("%s: GET %s = %d, want %d\n%.200s", tt.name, tt.url, code, tt.code, body)
		}
	}
	if resp, err := http.Get("http://" + target + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP answered 200 on a TLS listener")
		}
	}

	// A real Prometheus scraping with the credentials and the CA.
	scrape := fmt.Sprintf("  - job_name: pmo\n    scheme: https\n    basic_auth:\n      username: %s\n      password: %s\n"+
		"    tls_config:\n      ca_file: %s\n    static_configs:\n      - targets: [%q]\n", user, password, caFile, target)
	api := startPrometheus(t, promBin, scrape)
	for _, q := range []struct{ query, want string }{
		{`up{job="pmo"}`, "1"},
		{`count({job="pmo",__name__=~"pmo_kpi_refresh_runs_total|pmo_build_info|pmo_kpi_refresh_last_success_timestamp_seconds"}) > 0`, ""},
	} {
		var val string
		waitFor(t, time.Minute, "Prometheus to have "+q.query, func() bool {
			v, ok := promQuery(api, q.query)
			val = v
			return ok && (q.want == "" || v == q.want)
		})
		t.Logf("%s = %s", q.query, val)
	}
}

// startPrometheus runs a real Prometheus on a free loopback port that
// scrapes every second with the given scrape_configs entries; it returns
// its API address.
func startPrometheus(t *testing.T, promBin, scrapeConfigs string) string {
	t.Helper()
	promPort := freePort(t)
	dir := t.TempDir()
	cfg := "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n" + scrapeConfigs
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	pctx, pstop := context.WithCancel(context.Background())
	prom := exec.CommandContext(pctx, promBin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address=127.0.0.1:"+promPort, "--log.level=warn")
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	prom.Stdout, prom.Stderr = logf, logf
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pstop()
		_ = prom.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Logf("prometheus log:\n%s", strings.TrimSpace(string(b)))
		}
	})
	return "http://127.0.0.1:" + promPort
}
