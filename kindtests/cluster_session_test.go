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
	"path/filepath"
	"testing"
	"time"

	"github.com/pmezard/go-difflib/difflib"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/conformance"
)

// sessionFile is the kubectl session both clusters run; goldenFile holds
// kind's normalized transcript for cmd/ephemera's test.
const (
	sessionFile = "../conformance/testdata/cluster-session.txt"
	goldenFile  = "../conformance/testdata/cluster-session.kind.golden"
)

// checkClusterSession runs the kubectl session against the kind cluster and
// against Ephemera's cluster mode (in-process) and requires the same
// normalized transcript. With UPDATE_GOLDEN=1 it writes kind's transcript to
// the golden file; otherwise it also checks kind still matches it.
func checkClusterSession(t *testing.T, kindKubeconfig string) {
	kubectl := os.Getenv("KUBECTL")
	if kubectl == "" {
		kubectl = filepath.Join(conformance.DefaultReferenceAssets(), "kubectl")
	}
	session, err := conformance.ReadKubectlSession(sessionFile)
	if err != nil {
		t.Fatal(err)
	}
	env := &apiserver.Environment{Cluster: &apiserver.ClusterOptions{}}
	if _, err := env.Start(); err != nil {
		t.Fatal(err)
	}
	defer env.Stop()
	ephemeraKubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := apiserver.WriteKubeconfig(ephemeraKubeconfig, env.KubeConfig); err != nil {
		t.Fatal(err)
	}
	run := func(kubeconfig string) string {
		t.Helper()
		out, err := conformance.RunKubectlSession(kubectl, kubeconfig, ".", session, nodeNames(t, kubeconfig), 3*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	kind := run(kindKubeconfig)
	eph := run(ephemeraKubeconfig)
	compare := func(wantName, want, gotName, got string) {
		t.Helper()
		if want != got {
			diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{A: difflib.SplitLines(want), B: difflib.SplitLines(got),
				FromFile: wantName, ToFile: gotName, Context: 3})
			t.Errorf("kubectl transcripts differ:\n%s", diff)
		}
	}
	compare("kind", kind, "ephemera-cluster", eph)
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(goldenFile, []byte(kind), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", goldenFile)
	} else if golden, err := os.ReadFile(goldenFile); err == nil {
		compare("golden (kind, recorded)", string(golden), "kind", kind)
	}
	t.Logf("%d kubectl commands compared", len(session))
}

func nodeNames(t *testing.T, kubeconfig string) []string {
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

// TestClusterSessionOnExistingCluster runs the session comparison against an
// existing kind cluster (EPHEMERA_KIND_KUBECONFIG), for working on it
// without creating one.
func TestClusterSessionOnExistingCluster(t *testing.T) {
	kc := os.Getenv("EPHEMERA_KIND_KUBECONFIG")
	if kc == "" {
		t.Skip("set EPHEMERA_KIND_KUBECONFIG to a kind cluster's kubeconfig")
	}
	checkClusterSession(t, kc)
}
