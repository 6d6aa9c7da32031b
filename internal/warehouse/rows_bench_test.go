package warehouse

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"
)

// BenchmarkJSONRows decodes a chDB result of 100k rows shaped like the
// sprint-issue read (strings, a Nullable Float64, a DateTime('UTC'), arrays
// of instants and strings) into Go values; the baseline decodes the same
// lines with encoding/json alone, in the same run. x_json is the ratio.
func BenchmarkJSONRows(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`["source","issue_id","points","updated","e_at","e_kind"]` + "\n")
	buf.WriteString(`["String","String","Nullable(Float64)","DateTime('UTC')","Array(Int64)","Array(String)"]` + "\n")
	for i := range 100_000 {
		fmt.Fprintf(&buf, `["jira","%d",%d,"2025-03-0%d 10:00:00",["1741000000","1741100000","1741200000"],["t","s","p"]]`+"\n", i, i%8, 1+i%9)
	}
	out := buf.Bytes()
	var rowsDur, jsonDur time.Duration
	for b.Loop() {
		t0 := time.Now()
		r, err := newJSONRows(out, time.UTC)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := r.next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		for _, l := range bytes.Split(out, []byte("\n"))[2:] {
			if len(l) == 0 {
				continue
			}
			var raw []any
			if err := json.Unmarshal(l, &raw); err != nil {
				b.Fatal(err)
			}
		}
		rowsDur += t1.Sub(t0)
		jsonDur += time.Since(t1)
	}
	b.ReportMetric(float64(rowsDur.Milliseconds())/float64(b.N), "rows_ms/op")
	b.ReportMetric(float64(jsonDur.Milliseconds())/float64(b.N), "json_ms/op")
	b.ReportMetric(float64(rowsDur)/float64(jsonDur), "x_json")
}
