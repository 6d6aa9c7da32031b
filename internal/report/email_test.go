package report_test

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/report"
	"github.com/pmo-oss/pmo/internal/report/reporttest"
)

func TestEmailBody(t *testing.T) {
	m := reporttest.Model(30, 7)
	for _, s := range []*report.Scope{m.Portfolio, m.Programs[0], m.Projects[0]} {
		e, err := report.EmailBody(m, s, report.EmailOptions{ReportURL: "https://pmo.example.com/reports/index.html"})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToLower(e.HTML), "<script") || strings.Contains(e.HTML, "<svg") {
			t.Errorf("%s: email HTML has script or SVG", s.Label)
		}
		for _, img := range e.Images {
			if !strings.Contains(e.HTML, `src="cid:`+img.Name+`"`) {
				t.Errorf("%s: image %s not referenced", s.Label, img.Name)
			}
			if _, err := png.Decode(bytes.NewReader(img.Data)); err != nil {
				t.Errorf("%s: %s: %v", s.Label, img.Name, err)
			}
		}
		if !strings.Contains(e.Text, s.Label) || !strings.Contains(e.Text, "https://pmo.example.com/reports/index.html") {
			t.Errorf("%s: text part lacks the scope or the link:\n%s", s.Label, e.Text)
		}
		if d := os.Getenv("PMO_REPORT_SHOTS"); d != "" {
			dir := filepath.Join(d, "email", s.Slug)
			_ = os.MkdirAll(dir, 0o755)
			html := e.HTML
			for _, img := range e.Images {
				_ = os.WriteFile(filepath.Join(dir, img.Name), img.Data, 0o644)
				html = strings.ReplaceAll(html, "cid:"+img.Name, img.Name)
			}
			_ = os.WriteFile(filepath.Join(dir, "email.html"), []byte(html), 0o644)
			_ = os.WriteFile(filepath.Join(dir, "email.txt"), []byte(e.Text), 0o644)
		}
	}
}
