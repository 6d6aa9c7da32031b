// Command jirasim serves the Jira simulator on a port, for manual use and
// for the demo:
//
//	jirasim -mode cloud -issues 10000 -addr 127.0.0.1:8089
//
// Cloud mode accepts Basic auth with -email and -token; Data Center mode
// accepts a Bearer -pat, or Basic auth with the e-mail's user part and -token.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
)

func main() { os.Exit(run()) }

func run() int {
	var (
		cfg        jirasim.Config
		mode       string
		addr       string
		faultKinds string
	)
	fs := flag.NewFlagSet("jirasim", flag.ContinueOnError)
	fs.StringVar(&mode, "mode", "cloud", "deployment to behave like: cloud or datacenter")
	fs.IntVar(&cfg.Issues, "issues", 10000, "number of issues (100..1000000)")
	fs.Int64Var(&cfg.Seed, "seed", 1, "organisation seed")
	fs.IntVar(&cfg.Projects, "projects", 0, "number of projects (0: max(3, issues/3000))")
	fs.IntVar(&cfg.Days, "days", 0, "days of history before now (0: 730)")
	fs.StringVar(&addr, "addr", "127.0.0.1:8089", "listen address")
	fs.IntVar(&cfg.MaxResults, "max-results", 100, "page size cap")
	fs.StringVar(&cfg.Email, "email", "sim@example.com", "accepted e-mail (Basic auth user)")
	fs.StringVar(&cfg.APIToken, "token", "sim-token", "accepted API token (Basic auth password)")
	fs.StringVar(&cfg.PAT, "pat", "sim-pat", "accepted personal access token (Data Center, Bearer)")
	fs.Float64Var(&cfg.Faults.Rate, "fault-rate", 0, "share of requests that fail (0..1)")
	fs.StringVar(&faultKinds, "fault-kinds", "429,500,truncate", "comma-separated fault kinds: 429,503,500,502,timeout,truncate,slow")
	fs.DurationVar(&cfg.Faults.RetryAfter, "retry-after", time.Second, "Retry-After of 429/503 faults")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	cfg.Mode = jirasim.Mode(mode)
	for _, k := range strings.Split(faultKinds, ",") {
		if k = strings.TrimSpace(k); k != "" {
			cfg.Faults.Kinds = append(cfg.Faults.Kinds, jirasim.FaultKind(k))
		}
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	start := time.Now()
	sim, err := jirasim.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	tr := sim.Truth()
	log.Info("organisation ready", "mode", mode, "issues", tr.Issues, "projects", tr.Projects, "changes", tr.Changes,
		"worklogs", tr.Worklogs, "sprints", tr.Sprints, "took", time.Since(start).Round(time.Millisecond))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "jirasim: listening on %s: %v (choose another -addr)\n", addr, err)
		return 1
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	log.Info("serving", "url", "http://"+l.Addr().String(), "user", cfg.Email)
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "jirasim: serving: %v\n", err)
		return 1
	}
	return 0
}
