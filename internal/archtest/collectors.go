package archtest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// NotCollectors are the folders under collectors/ that are not collectors.
var NotCollectors = map[string]bool{"all": true, "collectortest": true, "httpapi": true}

// LoadSample decodes a collector's sample.yaml (a list of sources, as under
// sources: in pmo.yaml) strictly and validates it, as pmo.yaml would be;
// it returns the type of each source.
type LoadSample func(file string, data []byte) (types []string, err error)

// CollectorProblems checks the conventions of every collector folder
// collectors/<name>/ under dir: the type <name> is registered (registered
// reports it: collectors/all imports the folder and it registers under its
// folder's name), the folder has a README.md, and its sample.yaml loads
// with load and holds sources of type <name>. It returns one message per
// problem, each naming the folder and what to do.
func CollectorProblems(dir string, registered func(name string) bool, load LoadSample) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return []string{fmt.Sprintf("reading the collectors folder: %v", err)}
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || NotCollectors[name] || strings.HasPrefix(name, ".") || name == "testdata" {
			continue
		}
		where := filepath.ToSlash(filepath.Join("collectors", name))
		if !registered(name) {
			out = append(out, fmt.Sprintf("%s: no collector type %q is registered; register the type under its folder's name and add the folder to collectors/all/all.go", where, name))
		}
		if _, err := os.Stat(filepath.Join(dir, name, "README.md")); err != nil {
			out = append(out, fmt.Sprintf("%s: no README.md; describe the tracker, its settings and its quirks there", where))
		}
		file := filepath.Join(dir, name, "sample.yaml")
		data, err := os.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			out = append(out, fmt.Sprintf("%s: no sample.yaml; add an example source (a YAML list, as under sources: in pmo.yaml)", where))
			continue
		}
		if err != nil {
			out = append(out, fmt.Sprintf("%s: reading sample.yaml: %v", where, err))
			continue
		}
		types, err := load(where+"/sample.yaml", data)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: sample.yaml does not load:\n%v", where, err))
			continue
		}
		if len(types) == 0 {
			out = append(out, fmt.Sprintf("%s: sample.yaml holds no source; add one of type %q", where, name))
		}
		for i, t := range types {
			if t != name {
				out = append(out, fmt.Sprintf("%s: sample.yaml source %d has type %q; the folder's collector type is %q", where, i, t, name))
			}
		}
	}
	sort.Strings(out)
	return out
}

// SampleAsConfig turns a sample.yaml (a list of sources) into a pmo.yaml
// that holds them under sources:, line for line after the first.
func SampleAsConfig(data []byte) []byte {
	var b strings.Builder
	b.WriteString("sources:\n")
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if strings.TrimSpace(l) != "" {
			b.WriteString("  ")
		}
		b.WriteString(l)
	}
	return []byte(b.String())
}
