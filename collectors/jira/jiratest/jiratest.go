// Package jiratest runs the Jira simulator through the real Jira collector
// into a warehouse, for the tests of the packages downstream of the
// collector (KPIs, reports, the pipeline).
package jiratest

import (
	"context"
	"testing"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/jira"
	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/secret"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Collect starts a simulator with sc (stopped when the test ends), collects
// every simulated project as source "sim" into w and flushes the sink. It
// returns the simulator and the collector configuration used.
func Collect(t testing.TB, w *warehouse.Warehouse, sc jirasim.Config) (*jirasim.Server, *jira.Config) {
	t.Helper()
	sim, err := jirasim.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	base, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	eff := sim.Config()
	cfg := jira.NewConfig()
	cfg.URL = base
	if eff.Mode == jirasim.DataCenter {
		cfg.Auth.PersonalAccessToken = secret.Secret(eff.PAT)
	} else {
		cfg.Auth.Email, cfg.Auth.APIToken = eff.Email, secret.Secret(eff.APIToken)
	}
	cfg.Projects = sim.ProjectKeys()
	col, err := jira.New("sim", cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := col.Collect(ctx, w.Sink(), collectors.Options{}); err != nil {
		t.Fatalf("collecting the simulator: %v", err)
	}
	if err := w.Sink().Flush(ctx); err != nil {
		t.Fatalf("flushing the simulator's records: %v", err)
	}
	return sim, cfg
}
