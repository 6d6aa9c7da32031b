package report

import (
	"archive/zip"
	"bytes"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
)

// Email is a report as an email body: HTML with inline CSS (no script, no
// SVG, charts as PNG referenced by cid:<Name>), a plain-text alternative and
// the images to embed.
type Email struct {
	HTML, Text string
	Images     []PNG
}

// EmailOptions shape the email body.
type EmailOptions struct {
	// ReportURL links the full interactive report when it is published;
	// empty says it is attached.
	ReportURL string
	// Attached names the attached report archive, if any.
	Attached string
	// PagesURL is the URL of the folder of the published report pages
	// (report.base_url, pmo serve's /reports/): the Teams table links each
	// team's page there. Empty: team names without links.
	PagesURL string
	// MaxRows caps the scope tables, the teams and the risk lists (default
	// 15).
	MaxRows int
}

// teamColumns are the headline KPIs the email's Teams table shows for
// each team, by catalog id; the team's red KPIs follow them.
var teamColumns = []string{"throughput", "cycle_time", "sle_attainment"}

// emailTeam is a row of the email's Teams table.
type emailTeam struct {
	*Scope
	URL  string   // the team's page, "" = no link
	KPIs []KPIRow // teamColumns, those the team has
	Red  []string // the names of its KPIs rated red
}

var ragInline = map[RAG]string{
	Green:   "background:#dcfce7;color:#166534;",
	Amber:   "background:#fef3c7;color:#92400e;",
	Red:     "background:#fee2e2;color:#991b1b;",
	Unrated: "background:#f1f5f9;color:#475569;",
}

var emailTmpl = template.Must(template.New("email").Funcs(template.FuncMap{
	"rag":    func(r RAG) template.CSS { return template.CSS(ragInline[r]) },
	"date":   func(t interface{ Format(string) string }) string { return t.Format("2 Jan 2006") },
	"days":   func(f float64) string { return fmt.Sprintf("%.0f", f) },
	"window": windowLabel,
	"join":   strings.Join,
	"add":    func(a, b int) int { return a + b },
}).ParseFS(templateFS, "templates/email.html", "templates/digest.html"))

type emailData struct {
	M        *Model
	S        *Scope
	Children []*Scope
	More     int
	Risks    []Item
	Images   []PNG
	O        EmailOptions
	// Teams: a program's teams, every team on the portfolio (kpi.teams),
	// in config order, capped at MaxRows (TeamsMore left out).
	Teams     []emailTeam
	TeamsMore int
	TeamCols  []string // the column names of teamColumns
}

// EmailBody renders scope s of m as an email body.
func EmailBody(m *Model, s *Scope, o EmailOptions) (*Email, error) {
	if o.MaxRows <= 0 {
		o.MaxRows = 15
	}
	imgs, err := PNGCharts(s)
	if err != nil {
		return nil, err
	}
	d := emailData{M: m, S: s, Images: imgs, O: o, Risks: s.Risks}
	// Worst first, so leadership sees the red scopes within the cap.
	kids := append([]*Scope(nil), s.Children...)
	if s.Kind == "portfolio" && len(m.Programs) > 0 && len(m.Projects) > 0 {
		kids = append(kids, m.Projects...)
	}
	rank := map[RAG]int{Red: 0, Amber: 1, Green: 2, Unrated: 3}
	sort.SliceStable(kids, func(i, j int) bool { return rank[kids[i].Overall] < rank[kids[j].Overall] })
	if len(kids) > o.MaxRows {
		d.More = len(kids) - o.MaxRows
		kids = kids[:o.MaxRows]
	}
	d.Children = kids
	d.teams(s, o)
	if len(d.Risks) > o.MaxRows {
		d.Risks = d.Risks[:o.MaxRows]
	}
	var h bytes.Buffer
	if err := emailTmpl.ExecuteTemplate(&h, "email.html", d); err != nil {
		return nil, fmt.Errorf("report: rendering the email of %s: %w", s.Label, err)
	}
	return &Email{HTML: h.String(), Text: emailText(d), Images: imgs}, nil
}

// teams sets the Teams table of a program's or the portfolio's email: a
// team's own email is its page's summary (the KPIs above), without one.
func (d *emailData) teams(s *Scope, o EmailOptions) {
	if s.Kind != "portfolio" && s.Kind != "program" {
		return
	}
	teams := s.Teams
	if len(teams) > o.MaxRows {
		d.TeamsMore = len(teams) - o.MaxRows
		teams = teams[:o.MaxRows]
	}
	for _, id := range teamColumns {
		d.TeamCols = append(d.TeamCols, headlineName(id))
	}
	for _, t := range teams {
		row := emailTeam{Scope: t}
		if o.PagesURL != "" && t.Page {
			row.URL = strings.TrimSuffix(o.PagesURL, "/") + "/" + t.Slug + ".html"
		}
		for _, id := range teamColumns {
			k := KPIRow{ID: id, Name: headlineName(id), RAG: Unrated}
			for _, x := range t.KPIs {
				if x.ID == id {
					k = x
					break
				}
			}
			row.KPIs = append(row.KPIs, k)
		}
		for _, k := range t.KPIs {
			if k.RAG == Red {
				row.Red = append(row.Red, k.Name)
			}
		}
		d.Teams = append(d.Teams, row)
	}
}

// headlineName is the report's column name of a headline KPI (its id when
// it is not one).
func headlineName(id string) string {
	for _, h := range headlines {
		if h.id == id {
			return h.name
		}
	}
	return id
}

func emailText(d emailData) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s — %s\nAs of %s · overall status: %s\n\n", d.M.Title, d.S.Label, d.M.AsOfLocal().Format("2 Jan 2006"), strings.ToUpper(d.S.Overall.String()))
	writeDigestText(&b, d.M, d.S)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KPI\tVALUE\tSTATUS\tTREND")
	for _, k := range d.S.KPIs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.Name, k.Format(), k.RAG, trendArrow(k))
	}
	_ = tw.Flush()
	if len(d.Children) > 0 {
		b.WriteString("\nStatus by scope (worst first):\n")
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, c := range d.Children {
			fmt.Fprintf(tw, "  %s\t%s\n", c.Label, strings.ToUpper(c.Overall.String()))
		}
		_ = tw.Flush()
		if d.More > 0 {
			fmt.Fprintf(&b, "  … and %d more in the full report\n", d.More)
		}
	}
	if len(d.Teams) > 0 {
		b.WriteString("\nTeams:\n")
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, t := range d.Teams {
			label := t.Label
			if d.S.Kind == "portfolio" && t.Program != "" {
				label += " (" + t.Program + ")"
			}
			vals := make([]string, len(t.KPIs))
			for i, k := range t.KPIs {
				vals[i] = k.Name + " " + k.Format()
			}
			red := "no red KPI"
			if len(t.Red) > 0 {
				red = "red: " + strings.Join(t.Red, ", ")
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", label, strings.ToUpper(t.Overall.String()), strings.Join(vals, " · "), red)
		}
		_ = tw.Flush()
		for _, t := range d.Teams {
			if t.URL != "" {
				fmt.Fprintf(&b, "  %s: %s\n", t.Label, t.URL)
			}
		}
		if d.TeamsMore > 0 {
			fmt.Fprintf(&b, "  … and %d more %s in the full report\n", d.TeamsMore, map[bool]string{true: "team", false: "teams"}[d.TeamsMore == 1])
		}
	}
	if len(d.Risks) > 0 {
		b.WriteString("\nRisks — work older than the SLE:\n")
		for _, r := range d.Risks {
			fmt.Fprintf(&b, "  %s  %s — %s\n", r.Key, r.Summary, r.Note)
		}
	}
	if d.O.ReportURL != "" {
		fmt.Fprintf(&b, "\nFull interactive report: %s\n", d.O.ReportURL)
	}
	if d.O.Attached != "" {
		fmt.Fprintf(&b, "\nThe full interactive report is attached (%s): unzip it and open index.html.\n", d.O.Attached)
	}
	return b.String()
}

// Zip writes the report folder dir as a zip archive to w.
func Zip(dir string, w io.Writer) error {
	zw := zip.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		f, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		_, err = io.Copy(f, in)
		return err
	})
	if err != nil {
		return fmt.Errorf("report: zipping %s: %w", dir, err)
	}
	return zw.Close()
}
