package report_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/report"
	"github.com/pmo-oss/pmo/internal/report/reporttest"
)

// fakeECharts writes a stand-in echarts.min.js (publishing does not need
// the real one).
func fakeECharts(t *testing.T) report.WriteOptions {
	t.Helper()
	p := filepath.Join(t.TempDir(), "echarts.min.js")
	if err := os.WriteFile(p, []byte("/* echarts */"), 0o644); err != nil {
		t.Fatal(err)
	}
	return report.WriteOptions{EChartsJS: p}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkFiles fails unless every file is still there with its content.
func checkFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil || string(b) != body {
			t.Errorf("%s: %q, %v; want it kept with %q", name, b, err, body)
		}
	}
}

// TestPublishOwnership: pmo publishes only into a folder it owns (new,
// empty, or marked by an earlier publication), refuses the working
// directory, reserved folders and folders holding other files, and never
// replaces or deletes a file it did not write — also on later
// publications, and inside its own old versions.
func TestPublishOwnership(t *testing.T) {
	m := reporttest.Model(3, 1)
	wo := fakeECharts(t)
	ctx := context.Background()
	foreign := map[string]string{"keep.txt": "mine", "sub/notes.md": "also mine"}
	for _, tt := range []struct {
		name     string
		setup    func(t *testing.T, base string) (out string, reserved report.Reserved)
		wantErr  error
		wantKept map[string]string // relative to out
	}{
		{"new folder", func(t *testing.T, base string) (string, report.Reserved) {
			return filepath.Join(base, "a", "reports"), nil
		}, nil, nil},
		{"empty folder", func(t *testing.T, base string) (string, report.Reserved) {
			return base, nil
		}, nil, nil},
		{"folder with other files", func(t *testing.T, base string) (string, report.Reserved) {
			writeFiles(t, base, foreign)
			return base, nil
		}, report.ErrNotOwned, foreign},
		{"a report set of an earlier pmo", func(t *testing.T, base string) (string, report.Reserved) {
			writeFiles(t, base, map[string]string{"index.html": "<html>", "assets/echarts.min.js": "//"})
			return base, nil
		}, report.ErrNotOwned, map[string]string{"index.html": "<html>", "assets/echarts.min.js": "//"}},
		{"a file, not a folder", func(t *testing.T, base string) (string, report.Reserved) {
			writeFiles(t, base, map[string]string{"out": "x"})
			return filepath.Join(base, "out"), nil
		}, report.ErrNotOwned, nil},
		{"the working directory", func(t *testing.T, base string) (string, report.Reserved) {
			t.Chdir(base)
			return ".", nil
		}, report.ErrReservedFolder, nil},
		{"the configuration's folder", func(t *testing.T, base string) (string, report.Reserved) {
			return base, report.Reserved{base: "the folder of the configuration file"}
		}, report.ErrReservedFolder, nil},
		{"the warehouse folder, named relatively", func(t *testing.T, base string) (string, report.Reserved) {
			t.Chdir(filepath.Dir(base))
			return "./" + filepath.Base(base) + "/", report.Reserved{filepath.Base(base): "the warehouse folder"}
		}, report.ErrReservedFolder, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			out, reserved := tt.setup(t, base)
			checkErr := report.CheckOut(out, "report.out", reserved)
			pub, err := report.Publish(ctx, m, out, "report.out", reserved, wo)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !errors.Is(checkErr, tt.wantErr) {
					t.Fatalf("Publish: %v; CheckOut: %v; want %v from both", err, checkErr, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "report.out") {
					t.Errorf("error does not name the key: %v", err)
				}
				checkFiles(t, out, tt.wantKept)
				if _, err := os.Stat(filepath.Join(out, report.MarkerFile)); err == nil {
					t.Errorf("a refused folder was marked as pmo's")
				}
				return
			}
			if err != nil || checkErr != nil {
				t.Fatalf("Publish: %v; CheckOut: %v", err, checkErr)
			}
			if _, err := os.Stat(filepath.Join(out, report.CurrentLink, "index.html")); err != nil {
				t.Errorf("current/index.html: %v", err)
			}
			if !slices.Contains(pub.Files, "index.html") || !slices.Contains(pub.Files, "assets/echarts.min.js") {
				t.Errorf("files: %v", pub.Files)
			}
		})
	}

	// Later publications into pmo's folder: other files there (at the top,
	// and one put into a version pmo wrote) survive; pmo's own old
	// versions go, two stay.
	out := t.TempDir()
	first, err := report.Publish(ctx, m, out, "report.out", nil, wo)
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, out, foreign)
	intruder := map[string]string{"note.txt": "someone's"}
	writeFiles(t, filepath.Join(out, report.VersionsDir, first.Version), intruder)
	if err := report.CheckOut(out, "report.out", nil); err != nil {
		t.Errorf("CheckOut of pmo's own folder: %v", err)
	}
	var last *report.Published
	var kept []string
	for range 3 {
		if last, err = report.Publish(ctx, m, out, "report.out", nil, wo); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, last.Kept...)
	}
	checkFiles(t, out, foreign)
	checkFiles(t, filepath.Join(out, report.VersionsDir, first.Version), intruder)
	if want := filepath.Join(out, report.VersionsDir, first.Version); !slices.Contains(kept, want) {
		t.Errorf("the version with someone's file is not reported as kept: %v", kept)
	}
	if _, err := os.Stat(filepath.Join(out, report.VersionsDir, first.Version, "index.html")); err == nil {
		t.Errorf("pmo's own files of an old version were not removed")
	}
	ents, _ := os.ReadDir(filepath.Join(out, report.VersionsDir))
	var versions []string
	for _, e := range ents {
		versions = append(versions, e.Name())
	}
	// the new set, the one before, and the old one kept for its intruder
	if len(versions) != 3 || !slices.Contains(versions, last.Version) || !slices.Contains(versions, first.Version) {
		t.Errorf("versions left: %v (want the last two and %s)", versions, first.Version)
	}
	target, err := os.Readlink(filepath.Join(out, report.CurrentLink))
	if err != nil || filepath.Base(target) != last.Version {
		t.Errorf("current -> %q, %v; want the last version %s", target, err, last.Version)
	}
}

// TestPublishedHandler: /reports/ serves the current set's own files
// only: no directory listing, nothing pmo did not write, nothing outside.
func TestPublishedHandler(t *testing.T) {
	out := t.TempDir()
	h := httptest.NewServer(report.Handler(out))
	defer h.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(h.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/"); code != http.StatusNotFound {
		t.Errorf("before any publication: %d, want 404", code)
	}
	pub, err := report.Publish(context.Background(), reporttest.Model(3, 1), out, "report.out", nil, fakeECharts(t))
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, out, map[string]string{"secret.txt": "top"})
	writeFiles(t, pub.Dir, map[string]string{"planted.html": "planted", "assets/planted.js": "planted"})
	for _, tt := range []struct {
		path string
		code int
		want string
	}{
		{"/", 200, "<html"},
		{"/index.html", 200, "<html"},
		{"/assets/echarts.min.js", 200, "echarts"},
		{"/assets/", 404, ""},
		{"/assets", 404, ""},
		{"/planted.html", 404, ""},
		{"/assets/planted.js", 404, ""},
		{"/.pmo-files", 404, ""},
		{"/../secret.txt", 404, ""},
		{"/%2e%2e/secret.txt", 404, ""},
		{"/../.pmo-reports", 404, ""},
		{"/nope.html", 404, ""},
	} {
		code, body := get(tt.path)
		if code != tt.code || !strings.Contains(body, tt.want) || strings.Contains(body, "planted") || strings.Contains(body, "top") && tt.code != 200 {
			t.Errorf("GET %s: %d %.60q; want %d with %q", tt.path, code, body, tt.code, tt.want)
		}
	}
}
