package jira

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/pmo-oss/pmo/internal/model"
)

// FetchAndDecode pages through the issue searches of every configured
// project exactly as Collect does (same JQL, fields, changelog expansion)
// and only decodes the JSON: no mapping, no follow-ups, no sink. It returns
// the number of issues and is the baseline of the collector benchmark.
func FetchAndDecode(ctx context.Context, source string, cfg *Config) (int64, error) {
	c, err := New(source, cfg)
	if err != nil {
		return 0, err
	}
	cl, err := newClient(source, &c.cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return 0, err
	}
	r := &run{c: c, cl: cl, log: slog.New(slog.DiscardHandler), links: map[string]struct{}{}}
	if err := r.detect(ctx); err != nil {
		return 0, err
	}
	r.m.categories = map[string]model.StatusCategory{}
	fields := append(append([]string(nil), searchFields...), r.m.fields.ids()...)
	var n int64
	for _, p := range c.cfg.Projects {
		jql := "project = " + jqlQuote(strings.ToUpper(p)) + " ORDER BY updated ASC, id ASC"
		err := r.search(ctx, jql, fields, true, func(pg *wSearchPage, _ int64) error {
			n += int64(len(pg.Issues))
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("fetching issues of %s: %w", p, err)
		}
	}
	return n, nil
}
