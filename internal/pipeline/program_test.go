package pipeline

import (
	"context"
	"reflect"
	"testing"

	"github.com/pmo-oss/pmo/collectors/collectortest"
	"github.com/pmo-oss/pmo/internal/model"
)

// TestProgramSink: sources[].program puts every project of the source into
// one program; other records and the collector's own slice are untouched.
func TestProgramSink(t *testing.T) {
	mem := collectortest.NewMemorySink()
	s := programSink{Sink: mem, program: "Core Banking"}
	recs := []model.Record{
		model.Project{Source: "gh", ID: "1", Key: "octo/api", CategoryID: "7", Category: "octo"},
		model.Issue{Source: "gh", ID: "10", Key: "octo/api#1", ProjectID: "1"},
		&model.Project{Source: "gh", ID: "2", Key: "octo/web"},
	}
	orig := append([]model.Record(nil), recs...)
	if err := s.Put(context.Background(), recs...); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(recs, orig) {
		t.Error("Put changed the collector's slice")
	}
	if err := mem.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range mem.Records(model.KindProject) {
		p := r.(model.Project)
		got[p.Key] = p.CategoryID + "|" + p.Category
	}
	want := map[string]string{"octo/api": "program:core banking|Core Banking", "octo/web": "program:core banking|Core Banking"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("projects %v, want %v", got, want)
	}
	if n := len(mem.Records(model.KindIssue)); n != 1 {
		t.Errorf("%d issues stored, want 1", n)
	}
}
