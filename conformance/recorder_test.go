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
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// These plain Go tests cover the suite's own machinery (normalization,
// differential comparison, matrix merging); they need no server.

func TestNormalizationHidesVolatileFields(t *testing.T) {
	mk := func(ns, uid, rv, ts string) []Observation {
		r := &recorder{ns: ns}
		body := `{"kind":"Pod","metadata":{"name":"p1","namespace":"` + ns + `","uid":"` + uid + `","resourceVersion":"` + rv +
			`","creationTimestamp":"` + ts + `","generation":2,"managedFields":[{"manager":"m","time":"` + ts + `"}]}}`
		r.record("PATCH /api/v1/namespaces/"+ns+"/pods/p1/ephemeralcontainers", &Result{Code: 200, Body: []byte(body)})
		r.record("PUT", &Result{Code: 409, Status: &metav1.Status{Reason: metav1.StatusReasonConflict,
			Message: "Key: /registry/pods/" + ns + "/p1, ResourceVersion: " + rv + ", UID in precondition: " + uid}})
		return r.obs
	}
	a := mk("ephemera-conf-aaaa", "11111111-2222-3333-4444-555555555555", "17", "2026-01-01T00:00:00Z")
	b := mk("ephemera-conf-bbbb", "99999999-2222-3333-4444-555555555555", "4242", "2027-01-01T00:00:00Z")
	if d := diffObservations([]string{"a", "b"}, a, b); d != "" {
		t.Fatalf("volatile fields leaked into the comparison:\n%s", d)
	}
}

func TestDifferentialReportsEveryDifferingStep(t *testing.T) {
	r1, r2 := &recorder{ns: "x"}, &recorder{ns: "y"}
	r1.record("s1", &Result{Code: 200, Body: []byte(`{"generation":2}`)})
	r2.record("s1", &Result{Code: 200, Body: []byte(`{"generation":3}`)})
	r1.record("s2", &Result{Code: 422, Status: &metav1.Status{Reason: "Invalid", Message: "a"}})
	r2.record("s2", &Result{Code: 422, Status: &metav1.Status{Reason: "Invalid", Message: "a"}})
	r1.record("s3", &Result{Code: 404, Status: &metav1.Status{Reason: "NotFound", Message: "gone"}})
	d := diffObservations([]string{"ephemera", "envtest"}, r1.obs, r2.obs)
	for _, want := range []string{"step 1:", `"generation":2`, `"generation":3`, "step 3:", "(no observation)"} {
		if !strings.Contains(d, want) {
			t.Errorf("diff lacks %q:\n%s", want, d)
		}
	}
	if strings.Contains(d, "step 2:") {
		t.Errorf("equal step reported as different:\n%s", d)
	}
}

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
