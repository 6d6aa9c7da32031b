package cli

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/pmo-oss/pmo/collectors/github/githubsim"
	"github.com/pmo-oss/pmo/collectors/gitlab/gitlabsim"
	"github.com/pmo-oss/pmo/internal/config"
	"github.com/pmo-oss/pmo/internal/pipeline"
)

// demoTrackerNames are the trackers pmo demo can simulate (--trackers).
// Jira is the organisation the demo is about; GitHub and GitLab add a
// project each to its programs, so the portfolio spans trackers. Redmine
// is tested against a real Redmine and has no simulator.
var demoTrackerNames = []string{"jira", "github", "gitlab"}

func checkDemoTrackers(trackers []string) error {
	if !slices.Contains(trackers, "jira") {
		return fmt.Errorf("--trackers %v: jira is the demo's organisation and must be one of them (e.g. --trackers jira,github,gitlab)", trackers)
	}
	for _, t := range trackers {
		if !slices.Contains(demoTrackerNames, t) {
			return fmt.Errorf("--trackers: %q is not a simulated tracker; expected some of %v", t, demoTrackerNames)
		}
	}
	return nil
}

// demoTrackers starts the GitHub and GitLab simulators asked for, each
// with history up to anchor and about a tenth of the demo's issues, and
// returns their sources (through the same strict configuration path as a
// pmo.yaml), put into the demo's programs with sources[].program, a line
// per simulator for the output, and a function that stops them.
func demoTrackers(trackers []string, issues int, seed int64, anchor time.Time, programs []string) (srcs []config.Source, lines []string, stop func(), err error) {
	var stops []func()
	stop = func() {
		for _, s := range stops {
			s()
		}
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	n := min(max(issues/10, 30), 500)
	program := func(i int) string {
		if len(programs) == 0 {
			return "Open source"
		}
		return programs[i%len(programs)]
	}
	var yml string
	if slices.Contains(trackers, "github") {
		sim := githubsim.New(githubsim.Config{Repos: []string{"acme/mobile-app"}, Issues: n, Seed: uint64(seed), Now: anchor})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, stop, fmt.Errorf("starting the GitHub simulator: %w", err)
		}
		srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		stops = append(stops, func() { _ = srv.Close() })
		base := "http://" + ln.Addr().String()
		lines = append(lines, fmt.Sprintf("GitHub simulator (acme/mobile-app, %d issues and pull requests) at %s", n, base))
		yml += fmt.Sprintf("  - name: demo-github\n    type: github\n    program: %q\n    url: %s/api/v3\n    token: sim-token\n    repositories: [acme/mobile-app]\n",
			program(0), base)
	}
	if slices.Contains(trackers, "gitlab") {
		sim, err := gitlabsim.New(gitlabsim.Config{Projects: 1, Issues: n, Seed: uint64(seed), Now: anchor, Premium: true, Keyset: true})
		if err != nil {
			return nil, nil, stop, fmt.Errorf("starting the GitLab simulator: %w", err)
		}
		base, err := sim.Start()
		if err != nil {
			return nil, nil, stop, fmt.Errorf("starting the GitLab simulator: %w", err)
		}
		stops = append(stops, sim.Close)
		lines = append(lines, fmt.Sprintf("GitLab simulator (group %s, %d issues) at %s", sim.GroupPath(), n, base))
		yml += fmt.Sprintf("  - name: demo-gitlab\n    type: gitlab\n    program: %q\n    url: %s\n    auth: {private_token: %q}\n    groups: [%s]\n    requests_per_second: 0\n",
			program(1), base, gitlabsim.DefaultToken, sim.GroupPath())
	}
	if yml == "" {
		return nil, nil, stop, nil
	}
	cfg, err := pipeline.ParseConfig([]byte("sources:\n"+yml), "(demo trackers)", config.Options{})
	if err != nil {
		return nil, nil, stop, fmt.Errorf("configuring the demo's simulated trackers: %w", err)
	}
	return cfg.Sources, lines, stop, nil
}
