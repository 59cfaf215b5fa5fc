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

package conformance

import (
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

// TargetResults is the per-target result file (results-<target>.json). The
// matrix generator merges any number of them, so a kind run can be added as
// a column later with -merge-reports.
type TargetResults struct {
	Target    string           `json:"target"`
	Generated time.Time        `json:"generated"`
	Scenarios []ScenarioResult `json:"scenarios"`
}

// ScenarioResult is one scenario on one target.
type ScenarioResult struct {
	Name    string   `json:"name"`
	Labels  []string `json:"labels,omitempty"`
	State   string   `json:"state"` // passed, failed, skipped, pending, ...
	Failure string   `json:"failure,omitempty"`
	// Differs is set in differential mode when the observations differed.
	Differs bool `json:"differs,omitempty"`
}

var _ = ReportAfterSuite("conformance reports", func(r Report) {
	if suite == nil || suite.opts.ReportDir == "" {
		return
	}
	dir := suite.opts.ReportDir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		Fail(err.Error())
	}
	if err := reporters.GenerateJUnitReport(r, filepath.Join(dir, "junit.xml")); err != nil {
		Fail(err.Error())
	}
	results := resultsFromReport(r)
	var files []string
	for _, tr := range results {
		p := filepath.Join(dir, "results-"+tr.Target+".json")
		raw, _ := json.MarshalIndent(tr, "", "  ")
		if err := os.WriteFile(p, raw, 0o644); err != nil {
			Fail(err.Error())
		}
		files = append(files, p)
	}
	suite.mu.Lock()
	if suite.differential() {
		var b strings.Builder
		fmt.Fprintf(&b, "# Differential %s: %d scenario(s) differ\n", strings.Join(suite.targetNames(), " vs "), len(suite.diffs))
		for _, n := range sortedKeys(suite.diffs) {
			fmt.Fprintf(&b, "\n## %s\n\n```\n%s\n```\n", n, suite.diffs[n])
		}
		if err := os.WriteFile(filepath.Join(dir, "differences.md"), []byte(b.String()), 0o644); err != nil {
			suite.mu.Unlock()
			Fail(err.Error())
		}
	}
	for t, byScenario := range suite.observations {
		raw, _ := json.MarshalIndent(byScenario, "", "  ")
		if err := os.WriteFile(filepath.Join(dir, "observations-"+t+".json"), raw, 0o644); err != nil {
			suite.mu.Unlock()
			Fail(err.Error())
		}
	}
	suite.mu.Unlock()
	if suite.opts.MergeReports != "" {
		for _, p := range strings.Split(suite.opts.MergeReports, ",") {
			if p = strings.TrimSpace(p); p != "" {
				files = append(files, p)
			}
		}
	}
	if err := WriteMatrix(dir, files...); err != nil {
		Fail(err.Error())
	}
})

// resultsFromReport splits Ginkgo's report into one TargetResults per target.
func resultsFromReport(r Report) []TargetResults {
	suite.mu.Lock()
	defer suite.mu.Unlock()
	var out []TargetResults
	for _, ts := range suite.targets {
		tr := TargetResults{Target: ts.target.Name(), Generated: r.EndTime.UTC()}
		for _, sr := range r.SpecReports {
			if sr.LeafNodeType != types.NodeTypeIt {
				continue
			}
			res := ScenarioResult{Name: sr.LeafNodeText, Labels: sr.Labels(), State: sr.State.String()}
			if sr.State.Is(types.SpecStateFailureStates) {
				res.Failure = sr.Failure.Message
			}
			if pt, ok := suite.perTarget[sr.LeafNodeText]; ok {
				o := pt[ts.target.Name()]
				res.State, res.Failure = o.State, o.Failure
				_, res.Differs = suite.diffs[sr.LeafNodeText]
			} else if ts != suite.targets[0] {
				// Non-API specs (kubelet tier) run on the primary target only.
				res.State, res.Failure = "skipped", ""
			}
			tr.Scenarios = append(tr.Scenarios, res)
		}
		out = append(out, tr)
	}
	return out
}

// LoadResults reads a results-<target>.json file.
func LoadResults(path string) (TargetResults, error) {
	var tr TargetResults
	raw, err := os.ReadFile(path)
	if err != nil {
		return tr, err
	}
	if err := json.Unmarshal(raw, &tr); err != nil {
		return tr, fmt.Errorf("%s: %w", path, err)
	}
	return tr, nil
}

// WriteMatrix merges results files into matrix.md and matrix.html in dir.
// Later files for the same target replace earlier ones.
func WriteMatrix(dir string, files ...string) error {
	byTarget := map[string]TargetResults{}
	var order []string
	for _, p := range files {
		tr, err := LoadResults(p)
		if err != nil {
			return err
		}
		if _, seen := byTarget[tr.Target]; !seen {
			order = append(order, tr.Target)
		}
		byTarget[tr.Target] = tr
	}
	m := buildMatrix(order, byTarget)
	if err := os.WriteFile(filepath.Join(dir, "matrix.md"), []byte(m.markdown()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "matrix.html"), []byte(m.html()), 0o644)
}

type matrix struct {
	targets   []string
	scenarios []string
	labels    map[string]string
	cells     map[string]map[string]ScenarioResult
}

func buildMatrix(targets []string, byTarget map[string]TargetResults) *matrix {
	m := &matrix{targets: targets, labels: map[string]string{}, cells: map[string]map[string]ScenarioResult{}}
	for _, t := range targets {
		for _, s := range byTarget[t].Scenarios {
			if m.cells[s.Name] == nil {
				m.cells[s.Name] = map[string]ScenarioResult{}
				m.scenarios = append(m.scenarios, s.Name)
				m.labels[s.Name] = strings.Join(s.Labels, ",")
			}
			m.cells[s.Name][t] = s
		}
	}
	sort.SliceStable(m.scenarios, func(i, j int) bool { return m.scenarios[i] < m.scenarios[j] })
	return m
}

func cellText(s ScenarioResult, ok bool) string {
	if !ok {
		return "—"
	}
	mark := map[string]string{"passed": "✅ pass", "failed": "❌ fail", "skipped": "⏭ skip", "panicked": "❌ panic", "timedout": "❌ timeout", "aborted": "❌ aborted", "interrupted": "❌ interrupted", "pending": "… pending"}[s.State]
	if mark == "" {
		mark = s.State
	}
	if s.Differs {
		mark += " (differs)"
	}
	return mark
}

func (m *matrix) totals(t string) (pass, fail, skip int) {
	for _, s := range m.scenarios {
		c, ok := m.cells[s][t]
		switch {
		case !ok:
		case c.State == "passed":
			pass++
		case c.State == "skipped" || c.State == "pending":
			skip++
		default:
			fail++
		}
	}
	return
}

func (m *matrix) markdown() string {
	var b strings.Builder
	b.WriteString("# Ephemera conformance matrix\n\n")
	for _, t := range m.targets {
		p, f, s := m.totals(t)
		fmt.Fprintf(&b, "- **%s**: %d passed, %d failed, %d skipped\n", t, p, f, s)
	}
	b.WriteString("\n| Scenario | Labels |")
	for _, t := range m.targets {
		b.WriteString(" " + t + " |")
	}
	b.WriteString("\n|---|---|")
	for range m.targets {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, s := range m.scenarios {
		fmt.Fprintf(&b, "| %s | %s |", strings.ReplaceAll(s, "|", "\\|"), m.labels[s])
		for _, t := range m.targets {
			c, ok := m.cells[s][t]
			b.WriteString(" " + cellText(c, ok) + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (m *matrix) html() string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Ephemera conformance matrix</title><style>
body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}
.passed{background:#d4f7d4}.failed,.panicked,.timedout,.aborted,.interrupted{background:#f7d4d4}.skipped,.pending{background:#eee}.differs{outline:2px solid #e90}
</style></head><body><h1>Ephemera conformance matrix</h1><ul>`)
	for _, t := range m.targets {
		p, f, s := m.totals(t)
		fmt.Fprintf(&b, "<li><b>%s</b>: %d passed, %d failed, %d skipped</li>", html.EscapeString(t), p, f, s)
	}
	b.WriteString("</ul><table><tr><th>Scenario</th><th>Labels</th>")
	for _, t := range m.targets {
		b.WriteString("<th>" + html.EscapeString(t) + "</th>")
	}
	b.WriteString("</tr>\n")
	for _, s := range m.scenarios {
		b.WriteString("<tr><td>" + html.EscapeString(s) + "</td><td>" + html.EscapeString(m.labels[s]) + "</td>")
		for _, t := range m.targets {
			c, ok := m.cells[s][t]
			class := c.State
			if c.Differs {
				class += " differs"
			}
			title := ""
			if c.Failure != "" {
				title = ` title="` + html.EscapeString(c.Failure) + `"`
			}
			b.WriteString(`<td class="` + class + `"` + title + ">" + html.EscapeString(cellText(c, ok)) + "</td>")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table></body></html>\n")
	return b.String()
}

// sortedKeys is a small helper for deterministic report output.
func sortedKeys[V any](m map[string]V) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}
