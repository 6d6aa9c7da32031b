package cli

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestHelpShowsNoRawTemplate: no command's --help shows a template's raw
// braces ("{{.Title}}", or the "{ {" that once hid them) — defaults and
// fields are described in words.
func TestHelpShowsNoRawTemplate(t *testing.T) {
	a := &App{Stdout: io.Discard, Stderr: io.Discard}
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			if sub.Name() == "help" || sub.Name() == cobra.ShellCompRequestCmd || sub.Name() == cobra.ShellCompNoDescRequestCmd {
				continue
			}
			walk(sub, append(append([]string{}, path...), sub.Name()))
		}
	}
	walk(a.rootCommand(), nil)
	if len(paths) < 15 {
		t.Fatalf("only %d commands found: %v", len(paths), paths)
	}
	for _, p := range paths {
		r := run(t, nil, append(p, "--help")...)
		name := "pmo " + strings.Join(p, " ")
		if r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("%s --help: exit %d\n%s%s", name, r.code, r.stdout, r.stderr)
		}
		for _, raw := range []string{"{{", "{ {", "}}"} {
			if i := strings.Index(r.stdout, raw); i >= 0 {
				t.Errorf("%s --help shows %q: …%s…", name, raw, r.stdout[max(0, i-60):min(len(r.stdout), i+40)])
			}
		}
	}
}
