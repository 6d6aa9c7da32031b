// Package deploy holds the deployment files (Prometheus, systemd,
// Kubernetes, Docker). Its tests check what can run here: promtool on the
// Prometheus configuration and alert rules, and the YAML of the Kubernetes
// and compose files; the example configurations load with pmo's own
// configuration loader.
package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	_ "github.com/pmo-oss/pmo/collectors/all"
	"github.com/pmo-oss/pmo/internal/config"
	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

func promtool(t *testing.T, args ...string) string {
	t.Helper()
	bin := whtest.Tool(t, "promtool")
	cmd := exec.Command(bin, args...)
	cmd.Dir = "prometheus"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestPromtool(t *testing.T) {
	for _, args := range [][]string{
		{"check", "config", "prometheus.yml"},
		{"check", "config", "prometheus.compose.yml"},
		{"check", "rules", "pmo.rules.yml"},
		{"test", "rules", "pmo.rules.test.yml"},
	} {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			out := promtool(t, args...)
			if !strings.Contains(out, "SUCCESS") {
				t.Errorf("promtool %v:\n%s", args, out)
			}
		})
	}
}

// docs decodes every YAML document of a file.
func docs(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []map[string]any
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, d)
	}
	return out
}

// dig follows keys (and list index 0) through decoded YAML.
func dig(v any, path ...string) any {
	for _, k := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			if len(x) == 0 {
				return nil
			}
			v = x[0]
			if m, ok := v.(map[string]any); ok {
				v = m[k]
			}
		default:
			return nil
		}
	}
	return v
}

func TestKubernetes(t *testing.T) {
	kinds := map[string]map[string]any{}
	files, _ := filepath.Glob(filepath.Join("kubernetes", "*.yaml"))
	if len(files) < 3 {
		t.Fatalf("kubernetes files: %v", files)
	}
	for _, f := range files {
		for _, d := range docs(t, f) {
			kind, _ := d["kind"].(string)
			if kind == "" || d["apiVersion"] == nil || dig(d, "metadata", "name") == nil {
				t.Errorf("%s: a document without kind, apiVersion or metadata.name", f)
			}
			kinds[kind] = d
		}
	}
	cj := kinds["CronJob"]
	if got := dig(cj, "spec", "concurrencyPolicy"); got != "Forbid" {
		t.Errorf("CronJob concurrencyPolicy = %v, want Forbid", got)
	}
	dep := kinds["Deployment"]
	if got := dig(dep, "spec", "replicas"); got != 1 {
		t.Errorf("Deployment replicas = %v, want 1", got)
	}
	if got := dig(dep, "spec", "strategy", "type"); got != "Recreate" {
		t.Errorf("Deployment strategy = %v, want Recreate (never two serve pods at once)", got)
	}
	c := dig(dep, "spec", "template", "spec", "containers")
	if got := dig(c, "readinessProbe", "httpGet", "path"); got != "/readyz" {
		t.Errorf("readiness probe path = %v", got)
	}
	if got := dig(c, "livenessProbe", "httpGet", "path"); got != "/healthz" {
		t.Errorf("liveness probe path = %v", got)
	}
	// The ConfigMap's pmo.yaml loads with pmo's configuration loader.
	cm := kinds["ConfigMap"]
	yml, _ := dig(cm, "data", "pmo.yaml").(string)
	loadConfig(t, "kubernetes/config.yaml (pmo.yaml)", []byte(yml))
}

func loadConfig(t *testing.T, name string, b []byte) {
	t.Helper()
	env := map[string]string{"JIRA_TOKEN": "t0ken", "JIRA_DC_TOKEN": "t0ken", "CLICKHOUSE_PASSWORD": "pw"}
	_, err := pipeline.ParseConfig(b, name, config.Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Errorf("%s does not load: %v", name, err)
	}
}

func TestDockerFiles(t *testing.T) {
	d := docs(t, filepath.Join("docker", "compose.yaml"))
	if len(d) != 1 || dig(d[0], "services", "pmo", "build", "dockerfile") != "deploy/docker/Dockerfile" {
		t.Errorf("compose.yaml: unexpected shape")
	}
	b, err := os.ReadFile(filepath.Join("docker", "pmo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	loadConfig(t, "docker/pmo.yaml", b)
	df, err := os.ReadFile(filepath.Join("docker", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"./cmd/pmo", "libchdb.so", "EXPOSE 9477"} {
		if !bytes.Contains(df, []byte(want)) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
}

// TestSystemdUnits checks the units' shape (systemd-analyze needs a
// running systemd, which test machines do not have).
func TestSystemdUnits(t *testing.T) {
	for _, f := range []string{"pmo-serve.service", "pmo-collect.service", "pmo-collect.timer"} {
		b, err := os.ReadFile(filepath.Join("systemd", f))
		if err != nil {
			t.Fatal(err)
		}
		section := ""
		keys := map[string]string{}
		for i, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			switch {
			case line == "" || strings.HasPrefix(line, "#"):
			case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
				section = line
			case strings.Contains(line, "="):
				k, v, _ := strings.Cut(line, "=")
				keys[section+k] = v
			default:
				t.Errorf("%s:%d: not a key=value line: %q", f, i+1, line)
			}
		}
		if strings.HasSuffix(f, ".service") {
			start := keys["[Service]ExecStart"]
			if !strings.Contains(start, "flock --nonblock") || !strings.Contains(start, "/run/pmo/pmo.lock") {
				t.Errorf("%s: ExecStart %q does not hold the host lock", f, start)
			}
		}
	}
}
