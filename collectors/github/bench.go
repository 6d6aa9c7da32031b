package github

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v93/github"

	"github.com/pmo-oss/pmo/collectors"
)

// FetchAndDecode reads what a full Collect reads — every configured
// repository's issue list, page by page, and the event lists of its issues
// with the same concurrency — and only decodes the JSON: no mapping, no
// sink. It returns the number of issues (pull requests left out) and is the
// baseline of the collector benchmark.
func FetchAndDecode(ctx context.Context, source string, cfg *Config) (int64, error) {
	c, err := New(source, cfg)
	if err != nil {
		return 0, err
	}
	log := slog.New(slog.DiscardHandler)
	cl, err := newClient(source, &c.cfg, log)
	if err != nil {
		return 0, err
	}
	r := &run{c: c, cl: cl, log: log, opts: collectors.Options{Full: true}}
	var n int64
	for _, full := range c.cfg.Repositories {
		owner, name, _ := strings.Cut(full, "/")
		base := "repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name)
		next := base + "/issues?state=all&sort=updated&direction=asc&per_page=" + strconv.Itoa(c.cfg.PageSize)
		for next != "" {
			var list []*gh.Issue
			p, err := cl.get(ctx, next, "", &list)
			if err != nil {
				return n, fmt.Errorf("listing issues of %s: %w", full, err)
			}
			var issues []*gh.Issue
			for _, is := range list {
				if !isPullRequest(is) {
					issues = append(issues, is)
				}
			}
			if _, err := r.eventsOf(ctx, base, issues, nil, nil); err != nil {
				return n, err
			}
			n += int64(len(issues))
			next = p.next
		}
	}
	return n, nil
}
