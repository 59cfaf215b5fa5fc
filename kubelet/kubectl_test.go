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

package kubelet_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pmezard/go-difflib/difflib"
	"k8s.io/client-go/rest"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/conformance"
	"github.com/ephemera-dev/ephemera/internal/referencetest"
)

// referenceKubectl is kubectl v1.37.2 from the reference binaries.
func referenceKubectl(t *testing.T) string {
	t.Helper()
	return filepath.Join(referencetest.Assets(t, "kubectl"), "kubectl")
}

func writeKubeconfig(t *testing.T, cfg *rest.Config) string {
	t.Helper()
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: ephemera
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: admin
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: ephemera
  context: {cluster: ephemera, user: admin, namespace: default}
current-context: ephemera
`, cfg.Host, base64.StdEncoding.EncodeToString(cfg.CAData), base64.StdEncoding.EncodeToString(cfg.CertData), base64.StdEncoding.EncodeToString(cfg.KeyData))
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKubectlSession runs conformance's kubectl session (exec with and
// without -it, over SPDY, debug -it --target typing ps, echo $HOSTNAME and
// exit 3, logs with each option, exec and attach after exit) with kubectl
// v1.37.2 against Ephemera in cluster mode and compares its normalized
// transcript with kind's (conformance/testdata/kubectl-session.golden,
// recorded by the kind e2e).
func TestKubectlSession(t *testing.T) {
	bin := referenceKubectl(t)
	env := &apiserver.Environment{Cluster: &apiserver.ClusterOptions{}}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Stop() })
	want, err := os.ReadFile("../conformance/testdata/kubectl-session.golden")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got, err := conformance.RunDebugSession(context.Background(), bin, writeKubeconfig(t, cfg))
	if err != nil {
		t.Fatalf("%v\ntranscript so far:\n%s", err, got)
	}
	t.Logf("kubectl session of %d steps in %s", strings.Count(got, "\n$ ")+1, time.Since(start).Round(time.Millisecond))
	if got != string(want) {
		diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{A: difflib.SplitLines(string(want)), B: difflib.SplitLines(got),
			FromFile: "kind (golden)", ToFile: "ephemera", Context: 2})
		t.Errorf("the kubectl session differs from kind's:\n%s", diff)
	}
}
