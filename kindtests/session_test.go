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

package kindtests

import (
	"context"
	"os"
	"testing"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/ephemera-dev/ephemera/conformance"
)

// goldenSession is kind's normalized kubectl session, which Ephemera's
// kubelet tests compare with.
const goldenSession = "../conformance/testdata/kubectl-session.golden"

// checkKubectlSession runs conformance's kubectl session on kind and
// compares it with the golden transcript; KUBECTL_SESSION_UPDATE=1 writes
// the golden instead.
func checkKubectlSession(t *testing.T, kubeconfig string) {
	kubectl := os.Getenv("KUBECTL")
	if kubectl == "" {
		t.Fatal("KUBECTL is not set: run through hack/kind/e2e.sh (make kind-e2e)")
	}
	got, err := conformance.RunDebugSession(context.Background(), kubectl, kubeconfig)
	if err != nil {
		t.Fatalf("%v\ntranscript so far:\n%s", err, got)
	}
	if os.Getenv("KUBECTL_SESSION_UPDATE") == "1" {
		if err := os.WriteFile(goldenSession, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", goldenSession)
		return
	}
	want, err := os.ReadFile(goldenSession)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{A: difflib.SplitLines(string(want)), B: difflib.SplitLines(got),
			FromFile: "golden", ToFile: "kind", Context: 2})
		t.Errorf("kind's kubectl session differs from %s (KUBECTL_SESSION_UPDATE=1 records it):\n%s", goldenSession, diff)
	}
}
