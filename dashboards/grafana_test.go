package dashboards

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// grafana expands a dashboard query the way Grafana and its data source
// plugins do before the query reaches Prometheus or ClickHouse, for the
// variables, macros and formats pmo's dashboards use — and fails on any
// other, so a dashboard cannot use a macro the tests do not run.
//
// Template variables (Grafana's interpolation): $name, ${name} and
// ${name:singlequote}. A multi-value variable becomes (a|b) in PromQL
// (values regex-escaped, as the Prometheus data source does) and 'a','b'
// with :singlequote; All becomes the variable's allValue (".*").
//
// Grafana's global variables in PromQL: $__interval, $__rate_interval
// (max($__interval + scrape interval, 4 × scrape interval)), $__range,
// $__range_s.
//
// ClickHouse plugin macros (grafana-clickhouse-datasource v4, pkg/macros and
// the frontend's $__conditionalAll), the ones 18.16 runs:
//
//	$__conditionalAll(cond, $var)  cond, or 1=1 when $var has All selected
//	$__timeFilter(col)             col >= toDateTime(from) AND col <= toDateTime(to)
//	$__fromTime, $__toTime         toDateTime(epoch seconds)
//	$__dateFilter(col)             col >= toDate('from') AND col <= toDate('to')
//	$__interval_s                  the interval in seconds
//
// Refused (they expand to DateTime64 or toStartOfInterval, which ClickHouse
// 18.16 lacks): $__fromTime_ms, $__toTime_ms, $__timeFilter_ms,
// $__timeInterval, $__timeInterval_ms; and any other $__ name.
type grafana struct {
	vars     map[string]variable
	from, to time.Time
	interval time.Duration
	scrape   time.Duration
}

type variable struct {
	values   []string // the selected values (ignored when all)
	all      bool
	allValue string
}

var (
	varRef    = regexp.MustCompile(`\$(\w+)|\$\{(\w+)(?::(\w+))?\}`)
	refusedCH = map[string]string{
		"fromTime_ms": "DateTime64", "toTime_ms": "DateTime64", "timeFilter_ms": "DateTime64",
		"timeInterval": "toStartOfInterval", "timeInterval_ms": "toStartOfInterval and DateTime64",
	}
)

func seconds(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) + "s" }

func (g grafana) rateInterval() time.Duration { return max(g.interval+g.scrape, 4*g.scrape) }

// promQL expands a PromQL query.
func (g grafana) promQL(q string) (string, error) {
	var err error
	out := varRef.ReplaceAllStringFunc(q, func(m string) string {
		s := varRef.FindStringSubmatch(m)
		name, format := s[1]+s[2], s[3]
		switch name {
		case "__interval":
			return seconds(g.interval)
		case "__rate_interval":
			return seconds(g.rateInterval())
		case "__range":
			return seconds(g.to.Sub(g.from))
		case "__range_s":
			return strconv.FormatInt(int64(g.to.Sub(g.from)/time.Second), 10)
		}
		v, ok := g.vars[name]
		if !ok || format != "" {
			err = fmt.Errorf("PromQL uses %s: not a variable of the dashboard or a Grafana macro the tests know", m)
			return m
		}
		if v.all {
			return v.allValue
		}
		esc := make([]string, len(v.values))
		for i, x := range v.values {
			esc[i] = regexp.QuoteMeta(x)
		}
		if len(esc) == 1 {
			return esc[0]
		}
		return "(" + strings.Join(esc, "|") + ")"
	})
	return out, err
}

// sql expands a ClickHouse plugin query: $__conditionalAll first (the
// plugin's frontend does, before variables), then variables, then the
// backend's time macros.
func (g grafana) sql(q string) (string, error) {
	q, err := g.conditionalAll(q)
	if err != nil {
		return "", err
	}
	var errs []string
	q = varRef.ReplaceAllStringFunc(q, func(m string) string {
		s := varRef.FindStringSubmatch(m)
		name, format := s[1]+s[2], s[3]
		if strings.HasPrefix(name, "__") {
			return m // a macro: below
		}
		v, ok := g.vars[name]
		switch {
		case !ok:
			errs = append(errs, m+" is not a variable of the dashboard")
			return m
		case format != "singlequote":
			errs = append(errs, m+": use ${"+name+":singlequote} (or $__conditionalAll) in SQL, the plugin's default format is not SQL")
			return m
		}
		vals := v.values
		if v.all {
			vals = []string{v.allValue}
		}
		quoted := make([]string, len(vals))
		for i, x := range vals {
			quoted[i] = "'" + strings.ReplaceAll(strings.ReplaceAll(x, `\`, `\\`), "'", `\'`) + "'"
		}
		return strings.Join(quoted, ",")
	})
	from, to := g.from.Unix(), g.to.Unix()
	macro := regexp.MustCompile(`\$__(\w+)(\(([^()]*)\))?`)
	q = macro.ReplaceAllStringFunc(q, func(m string) string {
		s := macro.FindStringSubmatch(m)
		name, hasArgs, arg := s[1], s[2] != "", strings.TrimSpace(s[3])
		if why, refused := refusedCH[name]; refused {
			errs = append(errs, "$__"+name+" expands to "+why+", which ClickHouse 18.16 lacks")
			return m
		}
		switch {
		case name == "timeFilter" && hasArgs && arg != "":
			return fmt.Sprintf("%s >= toDateTime(%d) AND %s <= toDateTime(%d)", arg, from, arg, to)
		case name == "dateFilter" && hasArgs && arg != "":
			return fmt.Sprintf("%s >= toDate('%s') AND %s <= toDate('%s')", arg, g.from.UTC().Format(time.DateOnly), arg, g.to.UTC().Format(time.DateOnly))
		case name == "fromTime" && !hasArgs:
			return fmt.Sprintf("toDateTime(%d)", from)
		case name == "toTime" && !hasArgs:
			return fmt.Sprintf("toDateTime(%d)", to)
		case name == "interval_s" && !hasArgs:
			return strconv.FormatInt(max(int64(g.interval/time.Second), 1), 10)
		}
		errs = append(errs, m+" is not a ClickHouse plugin macro the tests support")
		return m
	})
	if len(errs) > 0 {
		return q, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return q, nil
}

// conditionalAll replaces each $__conditionalAll(cond, $var): cond, or 1=1
// when $var has All selected. cond may hold parentheses and commas.
func (g grafana) conditionalAll(q string) (string, error) {
	const name = "$__conditionalAll("
	for {
		i := strings.LastIndex(q, name)
		if i < 0 {
			return q, nil
		}
		start := i + len(name)
		depth, end, comma := 1, -1, -1
		for j := start; j < len(q) && end < 0; j++ {
			switch q[j] {
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					end = j
				}
			case ',':
				if depth == 1 {
					comma = j
				}
			}
		}
		if end < 0 || comma < 0 {
			return q, fmt.Errorf("$__conditionalAll at offset %d: want $__conditionalAll(condition, $variable) with balanced parentheses", i)
		}
		cond, ref := strings.TrimSpace(q[start:comma]), strings.TrimSpace(q[comma+1:end])
		m := varRef.FindStringSubmatch(ref)
		if m == nil || m[0] != ref {
			return q, fmt.Errorf("$__conditionalAll(%s, %s): the second argument must be a variable", cond, ref)
		}
		v, ok := g.vars[m[1]+m[2]]
		if !ok {
			return q, fmt.Errorf("$__conditionalAll(…, %s): not a variable of the dashboard", ref)
		}
		if v.all {
			cond = "1=1"
		}
		q = q[:i] + cond + q[end+1:]
	}
}
