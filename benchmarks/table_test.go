/*
Copyright The Ephemera Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package benchmarks_test

import (
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// unit says how a row's figures print.
type unit int

const (
	durationUnit unit = iota
	bytesUnit
)

// The table: rows in the order they were first recorded, each with a value
// per target ("ephemera", "envtest").
var (
	tableMu sync.Mutex
	rows    []string
	units   = map[string]unit{}
	values  = map[string]map[string]float64{}
)

// record keeps the figure of a row for a target; a later run of the same
// benchmark (go test runs each once with N=1 first) replaces it.
func record(row, target string, v float64, u unit) {
	tableMu.Lock()
	defer tableMu.Unlock()
	if values[row] == nil {
		values[row] = map[string]float64{}
		rows = append(rows, row)
		units[row] = u
	}
	values[row][target] = v
}

func recordDuration(row, target string, d time.Duration) {
	record(row, target, float64(d), durationUnit)
}

func format(v float64, u unit) string {
	switch u {
	case bytesUnit:
		return fmt.Sprintf("%.0f MiB", v/(1<<20))
	default:
		d := time.Duration(v)
		switch {
		case d >= time.Second:
			return d.Round(10 * time.Millisecond).String()
		case d >= time.Millisecond:
			return d.Round(10 * time.Microsecond).String()
		default:
			return d.Round(time.Microsecond / 10).String()
		}
	}
}

// printTable writes the rows with each one's ratio, envtest / Ephemera:
// above 1 means Ephemera is faster or smaller.
func printTable(w io.Writer) {
	tableMu.Lock()
	defer tableMu.Unlock()
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Ephemera beside envtest (kube-apiserver v1.37.2 + etcd), same run:")
	fmt.Fprintf(w, "  %-44s %14s %14s %9s\n", "", "ephemera", "envtest", "ratio")
	for _, row := range rows {
		v := values[row]
		e, okE := v["ephemera"]
		t, okT := v["envtest"]
		col := func(x float64, ok bool) string {
			if !ok {
				return "-"
			}
			return format(x, units[row])
		}
		ratio := "-"
		if okE && okT && e > 0 {
			ratio = fmt.Sprintf("%.1fx", t/e)
		}
		fmt.Fprintf(w, "  %-44s %14s %14s %9s\n", row, col(e, okE), col(t, okT), ratio)
	}
	fmt.Fprintln(w, "  (ratio = envtest / Ephemera; \"-\": the target has no such mode, or was not measured)")
}

// percentiles are the p50 and p99 of a sample (nearest rank).
func percentiles(sample []time.Duration) (p50, p99 time.Duration) {
	if len(sample) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), sample...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.999999) - 1
		if i < 0 {
			i = 0
		}
		return s[i]
	}
	return rank(0.50), rank(0.99)
}

// reportLatencies reports a sample's p50 and p99 as benchmark metrics and
// as two rows of the table.
func reportLatencies(b *testing.B, row, target string, sample []time.Duration) {
	p50, p99 := percentiles(sample)
	b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(p99.Nanoseconds()), "p99-ns")
	recordDuration(row+" p50", target, p50)
	recordDuration(row+" p99", target, p99)
}

func TestMain(m *testing.M) {
	// controller-runtime prints a stack trace when its logger was never set.
	ctrllog.SetLogger(logr.Discard())
	code := m.Run()
	stopShared()
	printTable(os.Stdout)
	os.Exit(code)
}
