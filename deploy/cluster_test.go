package deploy

import (
	"encoding/xml"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/config"
	"github.com/pmo-oss/pmo/internal/pipeline"
)

// parseConfig loads a pmo.yaml as pmo does, with every ${VAR} set.
func parseConfig(t *testing.T, name string, b []byte) *pipeline.Config {
	t.Helper()
	cfg, err := pipeline.ParseConfig(b, name, config.Options{LookupEnv: func(string) (string, bool) { return "x", true }})
	if err != nil {
		t.Fatalf("%s does not load: %v", name, err)
	}
	return cfg
}

var envRef = regexp.MustCompile(`\$\{(\w+)\}`)

// TestKubernetesPerSource: collect-per-source.yaml has one CronJob per
// source of the ConfigMap's pmo.yaml (collect --source NAME), plus pmo-kpi;
// every container of every Kubernetes file sets each ${VAR} that pmo.yaml
// uses (pmo refuses a configuration with an unset one).
func TestKubernetesPerSource(t *testing.T) {
	var cm map[string]any
	for _, d := range docs(t, filepath.Join("kubernetes", "config.yaml")) {
		if d["kind"] == "ConfigMap" {
			cm = d
		}
	}
	yml, _ := dig(cm, "data", "pmo.yaml").(string)
	cfg := parseConfig(t, "kubernetes/config.yaml (pmo.yaml)", []byte(yml))
	var vars []string
	for _, m := range envRef.FindAllStringSubmatch(yml, -1) {
		vars = append(vars, m[1])
	}
	files, _ := filepath.Glob(filepath.Join("kubernetes", "*.yaml"))
	for _, f := range files {
		for _, d := range docs(t, f) {
			var containers any
			switch d["kind"] {
			case "CronJob":
				containers = dig(d, "spec", "jobTemplate", "spec", "template", "spec", "containers")
			case "Deployment":
				containers = dig(d, "spec", "template", "spec", "containers")
			default:
				continue
			}
			name := dig(d, "metadata", "name")
			env, _ := dig(containers, "env").([]any)
			var set []string
			for _, e := range env {
				if n, ok := dig(e, "name").(string); ok {
					set = append(set, n)
				}
			}
			for _, v := range vars {
				if !slices.Contains(set, v) {
					t.Errorf("%s: %s does not set %s, which pmo.yaml uses", f, name, v)
				}
			}
		}
	}

	jobs := map[string]string{} // source → CronJob
	for _, d := range docs(t, filepath.Join("kubernetes", "collect-per-source.yaml")) {
		name, _ := dig(d, "metadata", "name").(string)
		if d["kind"] != "CronJob" {
			t.Errorf("collect-per-source.yaml: %s is a %v, want only CronJobs", name, d["kind"])
			continue
		}
		if got := dig(d, "spec", "concurrencyPolicy"); got != "Forbid" {
			t.Errorf("%s: concurrencyPolicy = %v, want Forbid", name, got)
		}
		raw, _ := dig(d, "spec", "jobTemplate", "spec", "template", "spec", "containers", "args").([]any)
		var args []string
		for _, a := range raw {
			s, _ := a.(string)
			args = append(args, s)
		}
		switch {
		case len(args) > 0 && args[0] == "kpi":
		case len(args) > 2 && args[0] == "collect" && args[1] == "--source":
			if prev, dup := jobs[args[2]]; dup {
				t.Errorf("source %s is collected by %s and %s", args[2], prev, name)
			}
			jobs[args[2]] = name
		default:
			t.Errorf("%s: args %v are neither collect --source NAME nor kpi", name, args)
		}
	}
	for _, s := range cfg.Sources {
		if _, ok := jobs[s.Name]; !ok {
			t.Errorf("source %s of config.yaml has no CronJob in collect-per-source.yaml", s.Name)
		}
		delete(jobs, s.Name)
	}
	for s, job := range jobs {
		t.Errorf("%s collects source %s, which config.yaml does not configure", job, s)
	}
}

// serverConfig is the part of a ClickHouse server configuration that
// cluster/clickhouse/pmo-cluster.xml sets.
type serverConfig struct {
	XMLName xml.Name
	Remote  struct {
		Clusters []struct {
			XMLName xml.Name
			Shards  []struct {
				Internal bool `xml:"internal_replication"`
				Replicas []struct {
					Host string `xml:"host"`
					Port int    `xml:"port"`
				} `xml:"replica"`
			} `xml:"shard"`
		} `xml:",any"`
	} `xml:"remote_servers"`
	ZooKeeper []struct {
		Host string `xml:"host"`
	} `xml:"zookeeper>node"`
	DDLPath string `xml:"distributed_ddl>path"`
	Shard   string `xml:"macros>shard"`
	Replica string `xml:"macros>replica"`
}

// TestClusterAndCloudExamples: the cluster and ClickHouse Cloud examples
// load with pmo's configuration loader; the cluster one names the cluster
// the server snippet defines (shards replicating internally, ZooKeeper, the
// distributed DDL queue ON CLUSTER needs, and the macros pmo's table paths
// use); both speak TLS; Cloud sets no cluster.
func TestClusterAndCloudExamples(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("cluster", "clickhouse", "pmo-cluster.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var sc serverConfig
	if err := xml.Unmarshal(b, &sc); err != nil {
		t.Fatalf("pmo-cluster.xml: %v", err)
	}
	if sc.XMLName.Local != "yandex" {
		t.Errorf("pmo-cluster.xml: root <%s>, want <yandex> (what ClickHouse 18.16 reads)", sc.XMLName.Local)
	}
	if len(sc.Remote.Clusters) != 1 {
		t.Fatalf("pmo-cluster.xml: %d clusters in remote_servers, want 1", len(sc.Remote.Clusters))
	}
	cl := sc.Remote.Clusters[0]
	if len(cl.Shards) < 2 {
		t.Errorf("cluster %s: %d shards, want at least 2", cl.XMLName.Local, len(cl.Shards))
	}
	for i, s := range cl.Shards {
		if !s.Internal || len(s.Replicas) < 2 {
			t.Errorf("shard %d: internal_replication %v with %d replicas, want true with 2 or more", i+1, s.Internal, len(s.Replicas))
		}
	}
	if len(sc.ZooKeeper) < 3 || sc.DDLPath == "" || sc.Shard == "" || sc.Replica == "" {
		t.Errorf("pmo-cluster.xml: zookeeper nodes %d (want 3), distributed_ddl path %q, macros shard %q replica %q", len(sc.ZooKeeper), sc.DDLPath, sc.Shard, sc.Replica)
	}

	for _, tc := range []struct{ file, cluster string }{
		{filepath.Join("cluster", "pmo.yaml"), cl.XMLName.Local},
		{filepath.Join("cloud", "pmo.yaml"), ""},
	} {
		b, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		cfg := parseConfig(t, tc.file, b)
		if cfg.Warehouse.Cluster != tc.cluster {
			t.Errorf("%s: warehouse.cluster %q, want %q", tc.file, cfg.Warehouse.Cluster, tc.cluster)
		}
		u, err := url.Parse(string(cfg.Warehouse.DSN))
		if err != nil {
			t.Fatalf("%s: warehouse.dsn: %v", tc.file, err)
		}
		if u.Scheme != "clickhouse" || u.Query().Get("secure") != "true" || !strings.Contains(u.Host, ":9440") {
			t.Errorf("%s: warehouse.dsn %s: want clickhouse:// on port 9440 with secure=true", tc.file, cfg.Warehouse.DSN)
		}
		if u.User != nil {
			if _, set := u.User.Password(); set {
				t.Errorf("%s: a password in warehouse.dsn: use warehouse.password", tc.file)
			}
		}
	}
}
