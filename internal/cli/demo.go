package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/config"
)

// demoSourceName is the name the demo's simulated Jira is stored under:
// one per simulated organisation, so a re-run of the same demo is an
// incremental collection and a different one does not mix with it.
func demoSourceName(m jirasim.Mode, issues int, seed int64) string {
	name := fmt.Sprintf("demo-jira-%s-%d", m, issues)
	if seed != 1 {
		name += fmt.Sprintf("-seed%d", seed)
	}
	return name
}

func (a *App) demoCommand() *cobra.Command {
	var (
		issues int
		mode   string
		seed   int64
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the pipeline on a simulated Jira: migrate, collect, show the warehouse",
		Long: `Demo starts pmo's built-in Jira simulator (a seeded organisation with several
projects and programs, sprints, worklogs, versions and full change histories)
on a loopback port, migrates the configured warehouse (by default the embedded
one in ./.pmo/warehouse), collects the simulator into it as the source
"demo-jira-<mode>-<issues>" with the real Jira collector, and shows what the warehouse holds.
Run it again to see an incremental collection change nothing.

It needs no Jira and no credentials; the sources of your configuration are not
touched.`,
		Example: `  pmo demo
  pmo demo --issues 20000 --mode datacenter
  make demo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ctx := cmd.Context()
			m := jirasim.Mode(mode)
			if m != jirasim.Cloud && m != jirasim.DataCenter {
				return withCode(ExitUsage, fmt.Errorf("--mode %q: expected cloud or datacenter", mode))
			}
			if issues < 100 || issues > 1_000_000 {
				return withCode(ExitUsage, fmt.Errorf("--issues %d: expected 100 to 1000000", issues))
			}
			cfg, err := a.loadConfig(false)
			if err != nil {
				return err
			}
			sim, err := jirasim.New(jirasim.Config{Mode: m, Issues: issues, Seed: seed})
			if err != nil {
				return fmt.Errorf("starting the Jira simulator: %w", err)
			}
			base, err := sim.Start()
			if err != nil {
				return fmt.Errorf("starting the Jira simulator: %w", err)
			}
			defer sim.Close()
			fmt.Fprintf(a.Stdout, "Jira simulator (%s, %d issues) at %s\n", m, issues, base)

			src, err := demoSourceConfig(ctx, base, m, demoSourceName(m, issues, seed))
			if err != nil {
				return err
			}
			t, err := collectors.Lookup(src.Type)
			if err != nil {
				return err
			}
			col, err := t.New(src.Name, src.Settings)
			if err != nil {
				return fmt.Errorf("setting up the demo source: %w", err)
			}
			w, err := a.openWarehouse(ctx, cfg)
			if err != nil {
				return err
			}
			defer closeWarehouse(w, &err)
			if err := a.migrate(ctx, w, cfg); err != nil {
				return err
			}
			if err := a.runCollectors(cmd, w, []collectors.Collector{col}, false, ""); err != nil {
				return err
			}
			truth := sim.Truth()
			fmt.Fprintf(a.Stdout, "simulator ground truth: %d issues, %d changes, %d sprints, %d worklogs\n\n",
				truth.Issues, truth.Changes, truth.Sprints, truth.Worklogs)
			cfg.Sources = append(cfg.Sources, *src)
			if err := a.printStatus(ctx, w, cfg); err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "\nNext: copy pmo.example.yaml to pmo.yaml, point a source at your Jira, then pmo collect.\n")
			return nil
		},
	}
	cmd.Flags().IntVar(&issues, "issues", 2000, "size of the simulated organisation (100 to 1000000 issues)")
	cmd.Flags().StringVar(&mode, "mode", "cloud", "simulate Jira cloud or datacenter")
	cmd.Flags().Int64Var(&seed, "seed", 1, "seed of the simulated organisation")
	return cmd
}

// demoSourceConfig builds the demo source through the same strict
// configuration path a user's pmo.yaml takes.
func demoSourceConfig(ctx context.Context, base string, m jirasim.Mode, name string) (*config.Source, error) {
	keys, err := simProjectKeys(ctx, base)
	if err != nil {
		return nil, err
	}
	auth := "{email: sim@example.com, api_token: sim-token}"
	if m == jirasim.DataCenter {
		auth = "{personal_access_token: sim-pat}"
	}
	yml := fmt.Sprintf("sources:\n  - name: %s\n    type: jira\n    url: %s\n    deployment: %s\n    auth: %s\n    projects: [%s]\n",
		name, base, m, auth, strings.Join(keys, ", "))
	cfg, err := config.Parse([]byte(yml), "(demo source)", config.Options{})
	if err != nil {
		return nil, fmt.Errorf("configuring the demo source: %w", err)
	}
	return &cfg.Sources[0], nil
}

// simProjectKeys asks the simulator for its projects, as a user would.
func simProjectKeys(ctx context.Context, base string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/rest/api/2/project", nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth("sim@example.com", "sim-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("listing the simulator's projects: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("listing the simulator's projects: %s", resp.Status)
	}
	var ps []struct{ Key string }
	if err := json.NewDecoder(resp.Body).Decode(&ps); err != nil {
		return nil, fmt.Errorf("decoding the simulator's projects from %s/rest/api/2/project: %w", base, err)
	}
	keys := make([]string, 0, len(ps))
	for _, p := range ps {
		keys = append(keys, p.Key)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("the simulator at %s has no projects", base)
	}
	return keys, nil
}
