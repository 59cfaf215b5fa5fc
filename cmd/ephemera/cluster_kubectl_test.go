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

package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pmezard/go-difflib/difflib"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ephemera-dev/ephemera/conformance"
	"github.com/ephemera-dev/ephemera/internal/referencetest"
)

// TestKubectlClusterSessionMatchesKind runs the kubectl v1.37.2 session of
// conformance/testdata/cluster-session.txt (run, get svc,cm,sa,endpointslices,
// create token, delete ns waiting for completion, get nodes with a field
// selector) against `ephemera serve --cluster` and requires the normalized
// transcript kind gave (cluster-session.kind.golden, recorded by kindtests
// with UPDATE_GOLDEN=1; kindtests also compares the two live).
func TestKubectlClusterSessionMatchesKind(t *testing.T) {
	kubectl := filepath.Join(referencetest.Assets(t, "kubectl"), "kubectl")
	golden, err := os.ReadFile("../../conformance/testdata/cluster-session.kind.golden")
	if err != nil {
		t.Fatal(err)
	}
	session, err := conformance.ReadKubectlSession("../../conformance/testdata/cluster-session.txt")
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := startEphemeraServe(t, "--cluster")
	got, err := conformance.RunKubectlSession(kubectl, kubeconfig, ".", session, clusterNodes(t, kubeconfig), 3*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(golden) {
		diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{A: difflib.SplitLines(string(golden)), B: difflib.SplitLines(got),
			FromFile: "kind v1.37.2 (recorded)", ToFile: "ephemera serve --cluster", Context: 3})
		t.Fatalf("kubectl transcript differs from kind's:\n%s", diff)
	}
	t.Logf("%d kubectl commands gave kind's output", len(session))
}

func clusterNodes(t *testing.T, kubeconfig string) []string {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := kubernetes.NewForConfigOrDie(cfg).CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range nodes.Items {
		names = append(names, n.Name)
	}
	return names
}
