package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// EnvEChartsJS names an echarts.min.js to ship with reports instead of the
// one fetched into .deps/echarts/.
const EnvEChartsJS = "PMO_ECHARTS_JS"

// ErrEChartsMissing says the ECharts script is not there and how to get it.
var ErrEChartsMissing = errors.New("the ECharts script (echarts.min.js) that HTML reports ship with is missing: run scripts/fetch-echarts.sh (or set " + EnvEChartsJS + " to an echarts.min.js)")

// FindECharts locates echarts.min.js: $PMO_ECHARTS_JS, else
// .deps/echarts/echarts.min.js in the working directory or one of its
// parents, else next to the executable.
func FindECharts() (string, error) {
	if p := os.Getenv(EnvEChartsJS); p != "" {
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return "", fmt.Errorf("%s=%s: not a readable file: %w", EnvEChartsJS, p, ErrEChartsMissing)
		}
		return p, nil
	}
	rel := filepath.Join(".deps", "echarts", "echarts.min.js")
	var dirs []string
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			dirs = append(dirs, d)
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		d := filepath.Dir(exe)
		dirs = append(dirs, d, filepath.Dir(d))
	}
	for _, d := range dirs {
		p := filepath.Join(d, rel)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", ErrEChartsMissing
}
