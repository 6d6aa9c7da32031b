package kpi

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteFormats(t *testing.T) {
	at := time.Date(2025, 1, 31, 23, 0, 0, 0, time.UTC)
	s := Snapshot{AsOf: at, ComputedAt: at.Add(time.Hour), Values: []Value{
		{ScopeKind: ScopeProject, Scope: "jira/A", KPI: "cycle_time", Window: "4w", Labels: Labels{"quantile": "0.85", "method": "nr", "unit": "dc"}, AsOf: at, Value: fptr(9), N: 3, ComputedAt: at.Add(time.Hour), RAG: ragPtr(Red)},
		{ScopeKind: ScopeProject, Scope: "jira/A", KPI: "reopen_rate", Window: "4w", Labels: Labels{}, AsOf: at, Value: nil, N: 0, ComputedAt: at.Add(time.Hour)},
	}}
	for _, f := range Formats {
		t.Run(f, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, s, f); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "write."+f+".golden")
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s output:\n%s\nwant:\n%s", f, b.String(), want)
			}
		})
	}
	if err := Write(&bytes.Buffer{}, s, "xml"); err == nil || !bytes.Contains([]byte(err.Error()), []byte(`unknown output format "xml"`)) {
		t.Errorf("Write(xml) = %v, want an unknown-format error", err)
	}
	if got := ParseLabels("method=nr,quantile=0.85").String(); got != "method=nr,quantile=0.85" {
		t.Errorf("labels round trip = %q", got)
	}
}
