package warehouse

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/pmo-oss/pmo/internal/secret"
)

// dsnInfo is a parsed warehouse DSN.
type dsnInfo struct {
	scheme   string // "clickhouse" or "chdb"
	path     string // chdb: data directory
	database string // clickhouse: the path's database, if any
	url      *url.URL
}

// RedactDSN hides the password of a DSN: "clickhouse://u:pass@h" becomes
// "clickhouse://u:<secret>@h" (secret.RedactURL). Use it whenever a DSN
// reaches a log or error.
func RedactDSN(dsn string) string { return secret.RedactURL(dsn) }

// parseDSN parses and checks a warehouse DSN. Its errors never contain the
// password.
func parseDSN(dsn string) (dsnInfo, error) {
	if strings.TrimSpace(dsn) == "" {
		return dsnInfo{}, fmt.Errorf("warehouse.dsn is empty: use clickhouse://user:pass@host:9000/db or chdb:///path/to/dir")
	}
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsnInfo{}, fmt.Errorf("warehouse.dsn %q is not a URL: use clickhouse://user:pass@host:9000/db or chdb:///path/to/dir", RedactDSN(dsn))
	}
	switch strings.ToLower(scheme) {
	case "chdb":
		// chdb:///abs/dir, chdb://./rel/dir and chdb://rel/dir all name a directory.
		p := rest
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		if p == "" {
			return dsnInfo{}, fmt.Errorf("warehouse.dsn %q names no directory: use chdb:///path/to/dir", dsn)
		}
		return dsnInfo{scheme: "chdb", path: p}, nil
	case "clickhouse", "tcp":
		u, err := url.Parse(dsn)
		if err != nil {
			// url's errors quote the whole DSN, password included.
			return dsnInfo{}, fmt.Errorf("warehouse.dsn %q is not a valid URL: check host, port and that special characters in the password are %%-encoded", RedactDSN(dsn))
		}
		if u.Host == "" {
			return dsnInfo{}, fmt.Errorf("warehouse.dsn %q names no host: use clickhouse://user:pass@host:9000/db", RedactDSN(dsn))
		}
		return dsnInfo{scheme: "clickhouse", database: strings.Trim(u.Path, "/"), url: u}, nil
	case "http", "https":
		return dsnInfo{}, fmt.Errorf("warehouse DSN scheme %q in warehouse.dsn is not supported: pmo speaks ClickHouse's native protocol, use clickhouse://user:pass@host:9000/db (9440 with ?secure=true)", scheme)
	}
	return dsnInfo{}, fmt.Errorf("unknown warehouse DSN scheme %q in warehouse.dsn: use clickhouse://… or chdb:///path", scheme)
}
