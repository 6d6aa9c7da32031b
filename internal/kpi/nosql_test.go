package kpi

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sqlText matches text that is SQL rather than prose: upper-case keywords
// and the ClickHouse functions the KPI models use.
var sqlText = regexp.MustCompile(`\b(SELECT|FROM|WHERE|JOIN|GROUP BY|ORDER BY|INSERT|CREATE|DROP|AND|OR|NOT|IN)\b|\b(countIf|sumIf|avgIf|groupArray|groupArrayIf|arraySort|toFloat64|toInt64|toUInt8|concat|transform|has)\(`)

// TestNoSQLAssembledInGo: every KPI query is a model of models/*.sql,
// rendered with bound parameters; no Go file of the package joins SQL text
// with + or formats it with fmt.Sprintf (identifiers are quoted by the
// warehouse's table helpers). A string literal that reads as SQL beside a +
// or as a Sprintf format fails, naming the file and line.
func TestNoSQLAssembledInGo(t *testing.T) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*ast.File{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = f
	}
	isSQL := func(e ast.Expr) bool {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return false
		}
		s, err := strconv.Unquote(lit.Value)
		return err == nil && sqlText.MatchString(s)
	}
	checked := 0
	for name, f := range files {
		if strings.HasSuffix(name, "catalog.go") {
			continue // the catalog's prose (kpis.md), not queries
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.BinaryExpr:
				if x.Op == token.ADD && (isSQL(x.X) || isSQL(x.Y)) {
					t.Errorf("%s: SQL joined with + in Go; write it in a model of models/*.sql and bind its values", fset.Position(x.Pos()))
				}
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Sprintf" && len(x.Args) > 0 && isSQL(x.Args[0]) {
					t.Errorf("%s: SQL formatted with Sprintf in Go; write it in a model of models/*.sql and bind its values", fset.Position(x.Pos()))
				}
			}
			return true
		})
	}
	if checked < 10 {
		t.Fatalf("only %d files checked", checked)
	}
}
