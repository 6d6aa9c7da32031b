package report

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// A published report folder (report.out, pmo report --out) is pmo's only
// when it holds MarkerFile. pmo writes nothing else there but VersionsDir
// and the CurrentLink symlink, and never deletes a file it did not write:
//
//	OUT/.pmo-reports                 the marker (proves pmo owns OUT)
//	OUT/.pmo-versions/<version>/     one complete report set per publication,
//	                                 with .pmo-files, the list of its files
//	OUT/current -> .pmo-versions/<version>
//
// A new set is written into a new version folder and swapped in by
// replacing the symlink (one rename), so a reader never sees a half-written
// set; older versions are then removed file by file, from their list.
const (
	MarkerFile   = ".pmo-reports"
	VersionsDir  = ".pmo-versions"
	CurrentLink  = "current"
	manifestFile = ".pmo-files"
	// keepVersions is how many sets stay after a publication (the new one
	// and the one before, for readers still loading its pages).
	keepVersions = 2
)

// ErrNotOwned: the report folder exists, is not empty and was not created
// by pmo (it has no MarkerFile).
var ErrNotOwned = errors.New("not a pmo report folder")

// ErrReservedFolder: the report folder is the working directory, the
// configuration file's folder or the warehouse's.
var ErrReservedFolder = errors.New("not a folder pmo may publish reports into")

const markerText = `This folder is published by pmo (pmo report, pmo serve).
pmo writes only current (a link to the latest report set) and .pmo-versions/
here, removes only files it wrote, and leaves everything else alone.
Open current/index.html.
`

// Reserved names a folder report.out must not be, with what it is
// ("the folder of the configuration file", ...), for CheckOut.
type Reserved map[string]string

// CheckOut reports whether out may be published into: it must not be the
// working directory nor a Reserved folder, and it must be new, empty or
// owned by pmo. key names the setting in messages
// ("report.out", "--out"). It does not create anything.
func CheckOut(out, key string, reserved Reserved) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("%s %s: %w", key, out, err)
	}
	if err := checkReserved(abs, out, key, reserved); err != nil {
		return err
	}
	_, err = owned(abs)
	if errors.Is(err, ErrNotOwned) {
		return fmt.Errorf("%s: %w", key, err)
	}
	return err
}

// CheckReserved is the part of CheckOut that needs no file system: out is
// not the working directory nor a Reserved folder (config validation).
func CheckReserved(out, key string, reserved Reserved) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("%s %s: %w", key, out, err)
	}
	return checkReserved(abs, out, key, reserved)
}

func checkReserved(abs, out, key string, reserved Reserved) error {
	const fix = "use a folder of its own, e.g. ./.pmo/reports (pmo marks it as its own and writes only there)"
	if wd, err := os.Getwd(); err == nil && abs == filepath.Clean(wd) {
		return fmt.Errorf("%s %q is the working directory, %w: %s", key, out, ErrReservedFolder, fix)
	}
	keys := make([]string, 0, len(reserved))
	for p := range reserved {
		keys = append(keys, p)
	}
	slices.Sort(keys)
	for _, p := range keys {
		rp, err := filepath.Abs(p)
		if err != nil || p == "" {
			continue
		}
		if abs == rp {
			return fmt.Errorf("%s %q is %s, %w: %s", key, out, reserved[p], ErrReservedFolder, fix)
		}
	}
	return nil
}

// owned creates nothing; it reports whether dir is pmo's (true) or may
// become pmo's (false: missing or empty). A non-empty folder without the
// marker is ErrNotOwned, naming some of what is there.
func owned(dir string) (bool, error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("%w: %s is a file, not a folder; choose a new or empty folder", ErrNotOwned, dir)
	}
	if _, err := os.Lstat(filepath.Join(dir, MarkerFile)); err == nil {
		return true, nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	if len(ents) == 0 {
		return false, nil
	}
	var names []string
	for i, e := range ents {
		if i == 3 {
			names = append(names, fmt.Sprintf("… %d in all", len(ents)))
			break
		}
		names = append(names, e.Name())
	}
	hint := ""
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err == nil {
		if _, err := os.Stat(filepath.Join(dir, AssetsDir, "echarts.min.js")); err == nil {
			hint = " (it looks like a report set an earlier pmo wrote without marking the folder: remove the folder once and pmo will own it)"
		}
	}
	return false, fmt.Errorf("%w: %s holds files pmo did not write (%s) and pmo never replaces or deletes those; "+
		"choose a new or empty folder, or move them out%s", ErrNotOwned, dir, strings.Join(names, ", "), hint)
}

// Published is the result of Publish.
type Published struct {
	Out     string   // the report folder
	Version string   // the version folder's name under VersionsDir
	Dir     string   // OUT/current: where the pages are
	Files   []string // the files written, relative to Dir
	// Kept lists old version folders that were not removed because they
	// hold files pmo did not write.
	Kept []string
}

// Publish writes m's report set into out as a new version and swaps it in:
// out is created and marked as pmo's when new or empty, refused when it is
// not empty and not pmo's (ErrNotOwned) or Reserved (key names the setting
// in errors). Nothing but pmo's own files is ever replaced or removed.
// When only the PDFs (WriteOptions.PDF) fail, the set is published with
// the PDFs printed so far and the *PDFError is returned with it.
func Publish(ctx context.Context, m *Model, out, key string, reserved Reserved, o WriteOptions) (*Published, error) {
	abs, err := filepath.Abs(out)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", key, out, err)
	}
	if err := checkReserved(abs, out, key, reserved); err != nil {
		return nil, err
	}
	mine, err := owned(abs)
	if err != nil {
		if errors.Is(err, ErrNotOwned) {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		return nil, fmt.Errorf("%s %s: %w", key, out, err)
	}
	if !mine {
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return nil, fmt.Errorf("%s: creating %s: %w", key, out, err)
		}
		if err := os.WriteFile(filepath.Join(abs, MarkerFile), []byte(markerText), 0o644); err != nil {
			return nil, fmt.Errorf("%s: marking %s as pmo's report folder: %w", key, out, err)
		}
	}
	versions := filepath.Join(abs, VersionsDir)
	if err := os.MkdirAll(versions, 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	vdir, err := os.MkdirTemp(versions, time.Now().UTC().Format("20060102T150405.000Z")+"-")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if err := os.Chmod(vdir, 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	o.Out = vdir
	written, err := Write(ctx, m, o)
	rel := make([]string, 0, len(written))
	for _, f := range written {
		r, rerr := filepath.Rel(vdir, f)
		if rerr == nil {
			rel = append(rel, filepath.ToSlash(r))
		}
	}
	// The HTML set is complete when only its PDFs failed: publish it and
	// return the PDF error with it.
	var pdfErr *PDFError
	if err != nil && !errors.As(err, &pdfErr) {
		_, _ = removeListed(vdir, rel)
		return nil, err
	}
	if err := writeManifest(vdir, rel); err != nil {
		_, _ = removeListed(vdir, rel)
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	version := filepath.Base(vdir)
	if err := swapCurrent(abs, version); err != nil {
		_, _ = removeListed(vdir, append(rel, manifestFile))
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	p := &Published{Out: abs, Version: version, Dir: filepath.Join(abs, CurrentLink), Files: rel}
	p.Kept = prune(versions, version)
	if pdfErr != nil {
		return p, pdfErr
	}
	return p, nil
}

// swapCurrent points OUT/current at version: a new symlink renamed over
// the old one (atomic). A "current" that is not pmo's symlink is refused.
func swapCurrent(out, version string) error {
	cur := filepath.Join(out, CurrentLink)
	if fi, err := os.Lstat(cur); err == nil && fi.Mode()&fs.ModeSymlink == 0 {
		return fmt.Errorf("%s is not the link pmo keeps there (someone put a %s there); move it out", cur, fi.Mode().Type())
	}
	tmp := filepath.Join(out, VersionsDir, ".current-"+version)
	_ = os.Remove(tmp)
	if err := os.Symlink(filepath.Join(VersionsDir, version), tmp); err != nil {
		return fmt.Errorf("linking the new report set: %w", err)
	}
	if err := os.Rename(tmp, cur); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("swapping in the new report set: %w", err)
	}
	return nil
}

func writeManifest(dir string, files []string) error {
	return os.WriteFile(filepath.Join(dir, manifestFile), []byte(strings.Join(files, "\n")+"\n"), 0o644)
}

// readManifest returns the files of a version folder (nil when it has no
// list: then pmo does not know what it wrote there and removes nothing).
func readManifest(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, manifestFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && filepath.IsLocal(filepath.FromSlash(l)) {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

// prune removes the version folders but the newest keepVersions (current
// among them), each only by its list of files; a folder left non-empty
// (someone put a file there) is kept and returned.
func prune(versions, current string) (kept []string) {
	ents, err := os.ReadDir(versions)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() && e.Name() != current && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names) // version names start with their UTC time
	if n := len(names) - (keepVersions - 1); n > 0 {
		names = names[:n]
	} else {
		names = nil
	}
	for _, name := range names {
		dir := filepath.Join(versions, name)
		files, err := readManifest(dir)
		if err != nil {
			kept = append(kept, dir)
			continue
		}
		if left, _ := removeListed(dir, append(files, manifestFile)); left {
			kept = append(kept, dir)
		}
	}
	return kept
}

// removeListed removes the listed files of dir, then the folders they
// leave empty, dir included. It reports whether anything is left.
func removeListed(dir string, files []string) (left bool, err error) {
	dirs := map[string]bool{}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if rerr := os.Remove(p); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		for d := filepath.Dir(p); d != dir && strings.HasPrefix(d, dir); d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	sub := make([]string, 0, len(dirs))
	for d := range dirs {
		sub = append(sub, d)
	}
	// Deepest first; Remove fails (and so keeps) a folder that is not empty.
	slices.SortFunc(sub, func(a, b string) int { return len(b) - len(a) })
	for _, d := range append(sub, dir) {
		_ = os.Remove(d)
	}
	if _, serr := os.Lstat(dir); serr == nil {
		left = true
	}
	return left, err
}

// Handler serves the current report set of out: only the files pmo wrote
// into it (its list), index.html for the folder itself, never a directory
// listing and never a file pmo did not write. It reads the current link on
// each request, so a new publication is served at once.
func Handler(out string) http.Handler {
	h := &handler{out: out, lists: map[string]map[string]bool{}}
	return h
}

type handler struct {
	out   string
	mu    sync.Mutex
	lists map[string]map[string]bool // version → its files
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	target, err := os.Readlink(filepath.Join(h.out, CurrentLink))
	if err != nil {
		http.Error(w, "no reports published yet", http.StatusNotFound)
		return
	}
	version := filepath.Base(target)
	dir := filepath.Join(h.out, VersionsDir, version)
	if !h.listed(dir, version, name) {
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, name, fi.ModTime(), f)
}

// listed reports whether name is in the list of files of a version.
func (h *handler) listed(dir, version, name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	set, ok := h.lists[version]
	if !ok {
		files, err := readManifest(dir)
		if err != nil {
			return false
		}
		set = make(map[string]bool, len(files))
		for _, f := range files {
			set[f] = true
		}
		clear(h.lists) // only the current version is looked up
		h.lists[version] = set
	}
	return set[name]
}
