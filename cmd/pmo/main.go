// Command pmo is the PMO metrics pipeline: it collects trackers into a
// ClickHouse warehouse and computes KPIs from it. See `pmo --help`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/pmo-oss/pmo/collectors/all" // register every collector type
	"github.com/pmo-oss/pmo/internal/cli"
)

// Set by the build: go build -ldflags "-X main.version=v1.2.3 -X main.commit=abc -X main.date=2026-01-02T15:04:05Z".
var (
	version string
	commit  string
	date    string
)

func main() { os.Exit(run()) }

// run gives the command a context that SIGINT or SIGTERM cancel; a second
// signal exits at once.
func run() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		s, ok := <-sigs
		if !ok {
			return
		}
		fmt.Fprintf(os.Stderr, "pmo: %s received; stopping (send it again to exit at once)\n", s)
		cancel()
		if _, ok := <-sigs; ok {
			fmt.Fprintln(os.Stderr, "pmo: exiting at once")
			os.Exit(cli.ExitInterrupted)
		}
	}()
	app := &cli.App{
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Build:  cli.BuildInfo{Version: version, Commit: commit, Date: date},
	}
	return app.Run(ctx, os.Args[1:])
}
