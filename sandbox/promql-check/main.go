// promql-check reads one PromQL expression per line on stdin and writes, per line, a JSON object with the metric
// names the expression selects, or the parse error Prometheus itself would report. The chart tests use it to check
// the forwarder chart's alert rules and dashboard (sandbox/promql.ts builds it; test/integration/forwarder-chart.test.ts).
package main

import (
	"bufio"
	"encoding/json"
	"os"
	"sort"

	"github.com/prometheus/prometheus/promql/parser"
)

type result struct {
	Expr    string   `json:"expr"`
	Error   string   `json:"error,omitempty"`
	Metrics []string `json:"metrics"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := json.NewEncoder(os.Stdout)
	p := parser.NewParser(parser.Options{})
	for in.Scan() {
		r := result{Expr: in.Text(), Metrics: []string{}}
		expr, err := p.ParseExpr(r.Expr)
		if err != nil {
			r.Error = err.Error()
		} else {
			seen := map[string]bool{}
			parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
				if v, ok := node.(*parser.VectorSelector); ok && v.Name != "" && !seen[v.Name] {
					seen[v.Name] = true
					r.Metrics = append(r.Metrics, v.Name)
				}
				return nil
			})
			sort.Strings(r.Metrics)
		}
		if err := out.Encode(r); err != nil {
			os.Exit(2)
		}
	}
	if in.Err() != nil {
		os.Exit(2)
	}
}
