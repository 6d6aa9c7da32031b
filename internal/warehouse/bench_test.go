package warehouse_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

const benchRows = 200_000 // changes per benchmark operation

// BenchmarkSink measures the sink's throughput (records put and flushed per
// second, conversion included) on both engines, and in the same run the
// yardstick: clickhouse-client inserting the same rows, pre-encoded as
// JSONEachRow, into the same server. ratio = sink rows/s ÷ client rows/s.
func BenchmarkSink(b *testing.B) {
	_, changes := synthetic(benchRows/10, 10)
	yard := clientYardstick(b, changes)
	for _, engine := range whtest.Engines {
		b.Run(engine, func(b *testing.B) {
			w := whtest.Open(b, engine)
			ctx := context.Background()
			s := w.Sink()
			b.ResetTimer()
			for range b.N {
				for i := 0; i < len(changes); i += 5000 {
					if err := s.Put(ctx, changes[i:min(i+5000, len(changes))]...); err != nil {
						b.Fatal(err)
					}
				}
				if err := s.Flush(ctx); err != nil {
					b.Fatal(err)
				}
			}
			rate := float64(b.N*len(changes)) / b.Elapsed().Seconds()
			b.ReportMetric(rate, "rows/s")
			if yard > 0 {
				b.ReportMetric(rate/yard, "ratio")
			}
		})
	}
}

// clientYardstick returns the rows/s clickhouse-client reaches inserting
// changes into the test server (0 and a note when it cannot run).
func clientYardstick(b *testing.B, changes []model.Record) float64 {
	dsn := os.Getenv(whtest.EnvServerDSN)
	client, err := exec.LookPath("clickhouse-client")
	if dsn == "" || err != nil {
		whtest.Unavailable(b, "clickhouse-client yardstick needs "+whtest.EnvServerDSN+" and clickhouse-client (make bench provides both)")
		return 0
	}
	w := whtest.Open(b, "server")
	u, err := url.Parse(dsn)
	if err != nil {
		b.Fatal(err)
	}
	pw, _ := u.User.Password()
	cols := warehouse.Columns(model.KindChange)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	ver := uint64(time.Now().UnixNano())
	for _, r := range changes {
		c := r.(model.Change)
		row := map[string]any{
			"source": c.Source, "issue_id": c.IssueID, "change_id": c.ChangeID, "item": c.Item,
			"at": c.At.UTC().Format(time.DateTime), "author_id": c.AuthorID, "field": c.Field, "field_id": c.FieldID,
			"field_type": c.FieldType, "from": c.From, "from_string": c.FromString, "to": c.To, "to_string": c.ToString,
			"from_category": c.FromCategory, "to_category": c.ToCategory, "_version": ver,
		}
		if err := enc.Encode(row); err != nil {
			b.Fatal(err)
		}
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = "`" + c + "`"
	}
	query := fmt.Sprintf("INSERT INTO %s.changes (%s) FORMAT JSONEachRow", w.Database(), strings.Join(quoted, ", "))
	const runs = 3
	start := time.Now()
	for range runs {
		cmd := exec.Command(client, "--host", u.Hostname(), "--port", u.Port(), "--user", u.User.Username(), "--query", query)
		cmd.Env = append(os.Environ(), "CLICKHOUSE_PASSWORD="+pw)
		if pw != "" {
			cmd.Args = append(cmd.Args, "--password", pw)
		}
		cmd.Stdin = bytes.NewReader(buf.Bytes())
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("clickhouse-client yardstick: %v: %s", err, bytes.TrimSpace(out))
		}
	}
	rate := float64(runs*len(changes)) / time.Since(start).Seconds()
	b.Logf("yardstick: clickhouse-client inserts %.0f rows/s (%d rows × %d runs)", rate, len(changes), runs)
	return rate
}

// BenchmarkDedupRead compares the two ways a view can deduplicate a
// ReplacingMergeTree on 1M changes loaded twice: FINAL (what the v_ views
// use) and GROUP BY key with argMax(…, _version). ratio = argMax time ÷
// FINAL time (above 1: FINAL is faster).
func BenchmarkDedupRead(b *testing.B) {
	_, changes := synthetic(100_000, 10)
	for _, engine := range whtest.Engines {
		b.Run(engine, func(b *testing.B) {
			w := whtest.Open(b, engine)
			ctx := context.Background()
			for range 2 {
				if err := w.Sink().Put(ctx, changes...); err != nil {
					b.Fatal(err)
				}
				if err := w.Sink().Flush(ctx); err != nil {
					b.Fatal(err)
				}
			}
			queries := map[string]string{
				"final": "SELECT to_category, count(), uniqExact(issue_id) FROM changes FINAL GROUP BY to_category",
				"argmax": `SELECT to_category, count(), uniqExact(issue_id) FROM (
					SELECT source, issue_id, change_id, item, argMax(to_category, _version) AS to_category
					FROM changes GROUP BY source, issue_id, change_id, item) GROUP BY to_category`,
			}
			run := func(q string) time.Duration {
				start := time.Now()
				rows, err := w.Query(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				if err := rows.Err(); err != nil {
					b.Fatal(err)
				}
				rows.Close()
				return time.Since(start)
			}
			var final, argmax time.Duration
			b.ResetTimer()
			for range b.N {
				final += run(queries["final"])
				argmax += run(queries["argmax"])
			}
			b.ReportMetric(float64(final.Milliseconds())/float64(b.N), "final-ms")
			b.ReportMetric(float64(argmax.Milliseconds())/float64(b.N), "argmax-ms")
			b.ReportMetric(float64(argmax)/float64(final), "ratio")
		})
	}
}
