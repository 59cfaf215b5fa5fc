package conformance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// These plain Go tests cover the suite's own machinery (matrix merging);
// they need no server. Normalization is tested in package observe.

func TestWriteMatrixMergesTargets(t *testing.T) {
	dir := t.TempDir()
	write := func(tr TargetResults) string {
		p := filepath.Join(dir, "results-"+tr.Target+".json")
		raw, _ := json.Marshal(tr)
		if err := os.WriteFile(p, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f1 := write(TargetResults{Target: "envtest", Scenarios: []ScenarioResult{{Name: "s/a", Labels: []string{"api"}, State: "passed"}, {Name: "k/b", Labels: []string{"kubelet"}, State: "skipped"}}})
	f2 := write(TargetResults{Target: "ephemera", Scenarios: []ScenarioResult{{Name: "s/a", Labels: []string{"api"}, State: "failed", Failure: "boom <x>", Differs: true}}})
	f3 := write(TargetResults{Target: "kind", Scenarios: []ScenarioResult{{Name: "k/b", Labels: []string{"kubelet"}, State: "passed"}}})
	if err := WriteMatrix(dir, f1, f2, f3); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "matrix.md"))
	for _, want := range []string{
		"| Scenario | Labels | envtest | ephemera | kind |",
		"| k/b | kubelet | ⏭ skip | — | ✅ pass |",
		"| s/a | api | ✅ pass | ❌ fail (differs) | — |",
		"- **ephemera**: 0 passed, 1 failed, 0 skipped",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("matrix.md lacks %q:\n%s", want, md)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, "matrix.html"))
	if !strings.Contains(string(html), `title="boom &lt;x&gt;"`) || !strings.HasPrefix(string(html), "<!DOCTYPE html>") {
		t.Errorf("matrix.html not as expected:\n%s", html)
	}
}
