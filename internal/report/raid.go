package report

import (
	"context"
	"time"

	"github.com/pmo-oss/pmo/internal/raid"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// raidRows is how many rows of each RAID register a page shows (pmo raid
// lists all).
const raidRows = 25

// readRAID sets the RAID log of every scope with a page (internal/raid: one
// read for the portfolio, cut per scope; a team's page has its issues'
// entries), unless readDeps has set it already (one derivation for both,
// raid.BuildWithDeps). Without it the pages show no RAID section; the
// report is still written.
func readRAID(ctx context.Context, w *warehouse.Warehouse, o Options, m *Model) error {
	if raidRead(m) {
		return nil
	}
	l, err := raid.Build(ctx, w, raid.Options{KPI: o.KPI, RAID: o.RAID, AsOf: m.AsOf})
	if err != nil {
		return err
	}
	setRAID(m, l)
	return nil
}

// setRAID gives every page its part of the RAID log l.
func setRAID(m *Model, l raid.Log) {
	for _, s := range m.All() {
		if s.Page {
			sl := l.For(s.Kind, s.Name)
			s.RAID = &sl
		}
	}
}

// raidRead reports whether the pages have their RAID log.
func raidRead(m *Model) bool {
	for _, s := range m.All() {
		if s.Page && s.RAID != nil {
			return true
		}
	}
	return false
}

// raidTrendRAG colours a risk's trend: worse red, better green.
func raidTrendRAG(trend string) RAG {
	switch trend {
	case "new", "up":
		return Red
	case "closed", "down":
		return Green
	}
	return Unrated
}

func cmpOrLoc(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}
