package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// PNG is one chart rendered as a PNG image for email (mail clients run no
// JavaScript and often block SVG).
type PNG struct {
	Name  string // file name, e.g. "throughput.png"; also the Content-ID stem
	Title string
	Alt   string
	Data  []byte
}

func hexColor(s string) color.RGBA {
	var r, g, b uint8
	_, _ = fmt.Sscanf(strings.TrimPrefix(s, "#"), "%02x%02x%02x", &r, &g, &b)
	return color.RGBA{R: r, G: g, B: b, A: 255}
}

// pngW, pngH are the email chart size: 600 px wide at 2× for sharp text on
// high-density screens, shown at 600 px.
const (
	pngW   = 6 * vg.Inch
	pngH   = 2.6 * vg.Inch
	pngDPI = 200
)

func newPlot(title, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.Title.TextStyle.Color = hexColor("#0f172a")
	p.Y.Label.Text = ylabel
	p.Y.Label.TextStyle.Font.Size = vg.Points(8)
	p.Y.Tick.Marker = niceTicks{}
	p.X.Tick.Label.Font.Size = vg.Points(7)
	p.Y.Tick.Label.Font.Size = vg.Points(7)
	p.X.LineStyle.Color = hexColor("#cbd5e1")
	p.Y.LineStyle.Color = hexColor("#cbd5e1")
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(7)
	for _, f := range []*font.Font{&p.Title.TextStyle.Font, &p.Y.Label.TextStyle.Font, &p.X.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font} {
		f.Variant = "Sans"
	}
	p.Title.Padding = vg.Points(6)
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Transparent
	grid.Horizontal.Color = hexColor("#e2e8f0")
	p.Add(grid)
	return p
}

func encodePNG(p *plot.Plot) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(pngW, pngH), vgimg.UseDPI(pngDPI), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// weekLabels names every other week so labels do not collide.
func weekLabels(s Series) []string {
	out := make([]string, len(s.Weeks))
	step := max(1, len(s.Weeks)/8)
	for i, w := range s.Weeks {
		if i%step == 0 {
			out[i] = w.Format("2 Jan")
		}
	}
	return out
}

func ints(xs []int) plotter.Values {
	v := make(plotter.Values, len(xs))
	for i, x := range xs {
		v[i] = float64(x)
	}
	return v
}

// PNGCharts renders the key charts of scope s for email: throughput,
// cycle time with percentile lines, created vs resolved, aging WIP.
func PNGCharts(s *Scope) ([]PNG, error) {
	var out []PNG
	add := func(name, title, alt string, p *plot.Plot) error {
		b, err := encodePNG(p)
		if err != nil {
			return fmt.Errorf("report: rendering the %s chart of %s as PNG: %w", name, s.Label, err)
		}
		out = append(out, PNG{Name: name + ".png", Title: title, Alt: alt, Data: b})
		return nil
	}
	se := s.Series
	bw := vg.Points(max(4, 300/float64(max(1, len(se.Weeks)))))

	// Throughput.
	p := newPlot("Throughput — items finished per week", "items")
	bars, err := plotter.NewBarChart(ints(se.Throughput), bw)
	if err != nil {
		return nil, err
	}
	bars.Color, bars.LineStyle.Width = hexColor(colBlue), 0
	p.Add(bars)
	p.NominalX(weekLabels(se)...)
	total := 0
	for _, x := range se.Throughput {
		total += x
	}
	p.Y.Max = headroom(ints(se.Throughput))
	if err := add("throughput", "Throughput", fmt.Sprintf("Throughput: %d items finished in %d weeks", total, len(se.Weeks)), p); err != nil {
		return nil, err
	}

	// Created vs resolved.
	p = newPlot("Created vs resolved — per week", "items")
	cr, err := plotter.NewBarChart(ints(se.Created), bw/2)
	if err != nil {
		return nil, err
	}
	rs, err := plotter.NewBarChart(ints(se.Resolved), bw/2)
	if err != nil {
		return nil, err
	}
	cr.Color, rs.Color = hexColor(colSky), hexColor(colBlue)
	cr.LineStyle.Width, rs.LineStyle.Width = 0, 0
	cr.Offset, rs.Offset = -bw/4, bw/4
	p.Add(cr, rs)
	p.Legend.Add("Created", cr)
	p.Legend.Add("Resolved", rs)
	p.NominalX(weekLabels(se)...)
	p.Y.Max = max(headroom(ints(se.Created)), headroom(ints(se.Resolved)))
	if err := add("created_resolved", "Created vs resolved", "Created and resolved items per week", p); err != nil {
		return nil, err
	}

	// Cycle-time scatter with percentile lines.
	p = newPlot(fmt.Sprintf("Cycle time — last 12 weeks (P50 %.0f d, P85 %.0f d)", se.P50, se.P85), "days")
	if len(se.CycleTimes) > 0 {
		xys := make(plotter.XYs, len(se.CycleTimes))
		for i, c := range se.CycleTimes {
			xys[i].X = float64(c.Done.Unix()) / 86400
			xys[i].Y = c.Days
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Color = hexColor(colBlue)
		sc.GlyphStyle.Radius = vg.Points(2.5)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		p.Add(sc)
		minX, maxX := xys[0].X, xys[0].X
		for _, xy := range xys {
			minX, maxX = min(minX, xy.X), max(maxX, xy.X)
		}
		if maxX-minX < 1 {
			minX, maxX = minX-1, maxX+1
		}
		for _, q := range []struct {
			name string
			v    float64
			c    string
		}{{"P50", se.P50, colSlate}, {"P85", se.P85, colAmber}, {"P95", se.P95, colRed}} {
			l, err := plotter.NewLine(plotter.XYs{{X: minX, Y: q.v}, {X: maxX, Y: q.v}})
			if err != nil {
				return nil, err
			}
			l.Color = hexColor(q.c)
			l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("%s %.0f d", q.name, q.v), l)
		}
		p.X.Tick.Marker = dateTicks{}
		p.Y.Min = 0
		ys := make([]float64, len(xys))
		for i := range xys {
			ys[i] = xys[i].Y
		}
		p.Y.Max = max(headroom(ys), se.P95*1.15)
	}
	if err := add("cycle_time", "Cycle time", fmt.Sprintf("Cycle time of %d items: P50 %.0f days, P85 %.0f days", len(se.CycleTimes), se.P50, se.P85), p); err != nil {
		return nil, err
	}

	// Aging WIP.
	p = newPlot(fmt.Sprintf("Aging work in progress (SLE %.0f d)", se.SLEDays), "days")
	aging := se.Aging
	if len(aging) > 20 {
		aging = aging[:20]
	}
	if len(aging) > 0 {
		names := make([]string, len(aging))
		legendHas := map[string]bool{}
		for i, a := range aging {
			names[i] = a.Key
			v := plotter.Values(make([]float64, len(aging)))
			v[i] = a.AgeDays
			b, err := plotter.NewBarChart(v, vg.Points(max(4, 300/float64(len(aging)))))
			if err != nil {
				return nil, err
			}
			b.LineStyle.Width = 0
			band, c := agingBand(a.AgeDays, se.SLEDays)
			b.Color = hexColor(c)
			p.Add(b)
			if !legendHas[band] && se.SLEDays > 0 {
				legendHas[band] = true
				p.Legend.Add(band, b) // the legend shows each band in its bars' colour
			}
		}
		ages := make([]float64, len(aging))
		for i, a := range aging {
			ages[i] = a.AgeDays
		}
		p.Y.Max = max(headroom(ages), se.SLEDays*1.15)
		p.NominalX(names...)
		p.X.Tick.Label.Rotation = 0.6
		p.X.Tick.Label.XAlign = draw.XRight
		if se.SLEDays > 0 {
			l, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: se.SLEDays}, {X: float64(len(aging)) - 0.5, Y: se.SLEDays}})
			if err != nil {
				return nil, err
			}
			l.Color = hexColor(colRed)
			l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
			p.Add(l)
			p.Legend.Add("SLE", l)
		}
	}
	if err := add("aging_wip", "Aging work in progress", fmt.Sprintf("%d items in progress", len(se.Aging)), p); err != nil {
		return nil, err
	}
	return out, nil
}

// dateTicks labels a day-number axis with dates.
type dateTicks struct{}

func (dateTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(min, max) {
		if t.Label != "" {
			t.Label = unixDay(t.Value).Format("2 Jan")
		}
		out = append(out, t)
	}
	return out
}

func unixDay(d float64) time.Time { return time.Unix(int64(d*86400), 0).UTC() }

// headroom is a y-axis maximum 15 % above the largest value.
func headroom(vs []float64) float64 {
	m := 1.0
	for _, v := range vs {
		m = max(m, v)
	}
	return m * 1.15
}

// niceTicks labels a value axis every 1, 2, 5 or 10 × 10^k, about five
// labels, without decimals for whole numbers.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	span := hi - lo
	if span <= 0 {
		return []plot.Tick{{Value: lo, Label: fmt.Sprintf("%g", lo)}}
	}
	raw := span / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return out
}
