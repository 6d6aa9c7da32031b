package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Steps the commands share: the format check (pmo kpi too), and the scope,
// as-of and warehouse steps of the commands that print one scope (pmo raid,
// standards, deps, changes).

// checkFormat is a usage error unless --format is one of formats.
func checkFormat(format string, formats []string) error {
	if !slices.Contains(formats, format) {
		return withCode(ExitUsage, fmt.Errorf("--format %q: expected one of %s", format, strings.Join(formats, ", ")))
	}
	return nil
}

// oneScope parses --scope of command cmd, which shows one scope: a kind
// other than the portfolio needs a name.
func oneScope(cmd, scope string) (kpi.ScopeFilter, error) {
	sf, err := parseScope(scope)
	if err != nil {
		return sf, err
	}
	if sf.Kind != "" && sf.Kind != kpi.ScopePortfolio && sf.Name == "" {
		return sf, withCode(ExitUsage, fmt.Errorf("--scope %s: name one, e.g. %s:NAME (pmo %s shows one scope; pmo kpi --format csv lists the scopes)", sf.Kind, sf.Kind, cmd))
	}
	return sf, nil
}

// validSettings is a usage error joining every problem of errs.
func validSettings(errs ...[]error) error {
	if all := slices.Concat(errs...); len(all) > 0 {
		return withCode(ExitUsage, errors.Join(all...))
	}
	return nil
}

// asOfOrToday is --as-of (flag name flag) at the start of its day in
// kpi.tz, or the default as-of when it is empty.
func (a *App) asOfOrToday(cfg *pipeline.Config, flag, value string) (time.Time, error) {
	if value != "" {
		return parseKPIDate(cfg, flag, value)
	}
	return defaultAsOf(cfg, a.Now())
}

// openScope opens the migrated warehouse and resolves --scope at asOf; the
// caller closes the warehouse (closeWarehouse).
func (a *App) openScope(ctx context.Context, cfg *pipeline.Config, scope string, asOf time.Time) (*warehouse.Warehouse, kpi.ScopeFilter, error) {
	w, err := a.openMigrated(ctx, cfg)
	if err != nil {
		return nil, kpi.ScopeFilter{}, err
	}
	sf, err := a.resolveScope(ctx, w, cfg, scope, asOf)
	if err != nil {
		_ = w.Close()
		return nil, kpi.ScopeFilter{}, err
	}
	return w, sf, nil
}

// register is what a register command (pmo raid, standards, deps, changes)
// prints: one scope as of one date, in one of its formats, from settings
// that must be valid.
type register struct {
	cmd      string // the command's name, for the scope error
	format   string
	formats  []string
	scope    string
	asOfFlag string // the flag that gives the as-of date ("as-of"; pmo changes: "to")
	asOf     string
	// settings are the problems of the config sections the command reads.
	settings [][]error
	// check runs more usage checks once the as-of instant is known (nil: none).
	check func(asOf time.Time) error
}

// runRegister runs the steps a register command shares — the format, scope
// and settings checks, --as-of, the migrated warehouse and the scope
// resolved at the as-of — then build, and closes the warehouse.
func (a *App) runRegister(ctx context.Context, cfg *pipeline.Config, r register, build func(w *warehouse.Warehouse, sf kpi.ScopeFilter, asOf time.Time) error) (err error) {
	if err := checkFormat(r.format, r.formats); err != nil {
		return err
	}
	if _, err := oneScope(r.cmd, r.scope); err != nil {
		return err
	}
	if err := validSettings(r.settings...); err != nil {
		return err
	}
	asOf, err := a.asOfOrToday(cfg, r.asOfFlag, r.asOf)
	if err != nil {
		return err
	}
	if r.check != nil {
		if err := r.check(asOf); err != nil {
			return err
		}
	}
	w, sf, err := a.openScope(ctx, cfg, r.scope, asOf)
	if err != nil {
		return err
	}
	defer closeWarehouse(w, &err)
	return build(w, sf, asOf)
}
