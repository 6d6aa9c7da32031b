package report_test

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"slices"
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

// teamsSection is the Teams table of an email's HTML ("" when none).
func teamsSection(html string) string {
	i := strings.Index(html, `font-weight:700;margin-bottom:8px;">Teams `)
	if i < 0 {
		return ""
	}
	i = strings.LastIndex(html[:i], "<tr>")
	end := strings.Index(html[i:], "</table>")
	return html[i : i+end+strings.Index(html[i+end:], "</td></tr>")+len("</td></tr>")]
}

// TestEmailTeams: with kpi.teams, a program's email has a Teams table of its
// teams and the portfolio's of every team (with its program), in config
// order, each row the team's status, three headline values with their RAG
// colours and its red KPIs, linked to the team's page when the pages are
// published (PagesURL), capped at MaxRows; a team's own email is its page's
// summary, without one. The text parts and the program's Teams HTML are
// golden (-update rewrites them); the HTML goes to $PMO_REPORT_SHOTS/email
// when set, to look at.
func TestEmailTeams(t *testing.T) {
	m := reporttest.Model(24, 5)
	reporttest.AddTeams(m, 2, 9)
	const pages = "https://pmo.example.com/reports/"
	for _, tc := range []struct {
		name    string
		s       *report.Scope
		o       report.EmailOptions
		teams   []string // labels, in order
		links   bool
		more    int
		golden  string // text part
		section string // golden of the Teams HTML
	}{
		// (Each email draws its charts: 3 s under -race.)
		{"portfolio", m.Portfolio, report.EmailOptions{PagesURL: strings.TrimSuffix(pages, "/")}, []string{"Checkout", "Catalog", "Payments", "Search", "Mobile", "Platform"}, true, 0, "email_portfolio_teams.golden", ""},
		{"program without pages, capped", m.Programs[1], report.EmailOptions{MaxRows: 1}, []string{"Payments"}, false, 1, "email_program_teams.golden", "email_program_teams.html.golden"},
		{"team", m.Teams[0], report.EmailOptions{PagesURL: pages}, nil, false, 0, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := report.EmailBody(m, tc.s, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			sec := teamsSection(e.HTML)
			if tc.teams == nil {
				if sec != "" || strings.Contains(e.Text, "\nTeams:") {
					t.Errorf("%s's email has a Teams table", tc.s.Label)
				}
				if !strings.Contains(e.Text, tc.s.Label) || !strings.Contains(e.HTML, tc.s.KPIs[0].Name) {
					t.Errorf("%s's email lacks its label or KPIs", tc.s.Label)
				}
				return
			}
			if sec == "" {
				t.Fatalf("%s's email has no Teams table", tc.s.Label)
			}
			var got []string
			for _, row := range strings.Split(sec, "<tr>")[3:] { // the section, the header
				cell := row[strings.Index(row, ">")+1:]
				if strings.HasPrefix(cell, "<a ") {
					cell = cell[strings.Index(cell, ">")+1:]
				}
				got = append(got, cell[:strings.Index(cell, "<")])
			}
			if !slices.Equal(got, tc.teams) {
				t.Errorf("Teams table rows %v, want %v", got, tc.teams)
			}
			for _, team := range m.Teams {
				link := `<a href="` + pages + team.Slug + `.html"`
				if want := tc.links && slices.Contains(tc.teams, team.Label); strings.Contains(sec, link) != want {
					t.Errorf("link %s in the Teams table: %v, want %v", link, !want, want)
				}
			}
			if (tc.s.Kind == "portfolio") != strings.Contains(sec, m.Programs[0].Name+"</div>") {
				t.Errorf("program names in the %s's Teams table: %v", tc.s.Kind, !strings.Contains(sec, m.Programs[0].Name))
			}
			more := fmt.Sprintf("and %d more team", tc.more)
			if strings.Contains(e.HTML, more) != (tc.more > 0) || strings.Contains(e.Text, more) != (tc.more > 0) {
				t.Errorf("the email says %q: %v, want %v", more, strings.Contains(e.HTML, more), tc.more > 0)
			}
			for _, g := range []struct{ file, got string }{{tc.golden, e.Text}, {tc.section, sec}} {
				if g.file != "" {
					checkGolden(t, g.file, g.got)
				}
			}
			if d := os.Getenv("PMO_REPORT_SHOTS"); d != "" {
				dir := filepath.Join(d, "email", "teams-"+strings.ReplaceAll(tc.name, " ", "-"))
				_ = os.MkdirAll(dir, 0o755)
				html := e.HTML
				for _, img := range e.Images {
					_ = os.WriteFile(filepath.Join(dir, img.Name), img.Data, 0o644)
					html = strings.ReplaceAll(html, "cid:"+img.Name, img.Name)
				}
				_ = os.WriteFile(filepath.Join(dir, "email.html"), []byte(html), 0o644)
			}
		})
	}
}
