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
	"sync"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/faults"
	"github.com/ephemera-dev/ephemera/internal/referencetest"
)

// targets are the servers every row is measured on, in the table's order.
var targets = []string{"ephemera", "envtest"}

// controlPlane is what both targets offer a benchmark.
type controlPlane interface {
	Start() (*rest.Config, error)
	Stop() error
}

// newControlPlane returns an unstarted server of the target: Ephemera's
// default mode (envtest's situation), or envtest on the reference binaries
// (skipped when they are missing, except under make, where that fails).
func newControlPlane(tb testing.TB, target string) controlPlane {
	if target == "envtest" {
		dir := referencetest.Assets(tb, "kube-apiserver", "etcd")
		return &envtest.Environment{BinaryAssetsDirectory: dir}
	}
	return &apiserver.Environment{}
}

// allFeatures is cluster mode with every optional feature on: the request
// log at RequestResponse level, an (empty) fault set, HTTP/2.
func allFeatures() *apiserver.Environment {
	return &apiserver.Environment{
		Cluster: &apiserver.ClusterOptions{},
		Server: apiserver.Config{
			Audit: &apiserver.AuditConfig{Policy: []byte(
				"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: RequestResponse\n")},
			Faults: faults.NewSet(1),
		},
		EnableHTTP2: true,
	}
}

// The request benchmarks share one running server per target, started on
// first use and stopped by TestMain, so envtest's five-second start is paid
// once per run rather than once per benchmark.
var (
	sharedMu      sync.Mutex
	sharedServers = map[string]controlPlane{}
	sharedConfigs = map[string]*rest.Config{}
)

func sharedServer(b *testing.B, target string) *rest.Config {
	b.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if cfg, ok := sharedConfigs[target]; ok {
		return rest.CopyConfig(cfg)
	}
	cp := newControlPlane(b, target)
	cfg, err := cp.Start()
	if err != nil {
		b.Fatalf("starting %s: %v", target, err)
	}
	// As many concurrent requests as the benchmark makes (100 watches).
	cfg.QPS, cfg.Burst = -1, 0
	sharedServers[target], sharedConfigs[target] = cp, cfg
	return rest.CopyConfig(cfg)
}

func stopShared() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	for target, cp := range sharedServers {
		_ = cp.Stop()
		delete(sharedServers, target)
		delete(sharedConfigs, target)
	}
}
