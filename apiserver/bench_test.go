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

package apiserver_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/internal/referencetest"
)

// The benchmarks run Ephemera and envtest (a real kube-apiserver v1.37.2 and
// etcd, from KUBEBUILDER_ASSETS) side by side in one run; TestMain prints
// the ratios once they are done. `make bench` runs them.

// controlPlane is what both targets offer a benchmark.
type controlPlane interface {
	Start() (*rest.Config, error)
	Stop() error
}

func targets(b *testing.B) map[string]func() controlPlane {
	t := map[string]func() controlPlane{
		"ephemera": func() controlPlane { return &apiserver.Environment{} },
	}
	// Ephemera is measured alone when the reference binaries are missing,
	// except under make (EPHEMERA_REQUIRE_REFERENCE), where that fails.
	switch dir, err := referencetest.Lookup("kube-apiserver", "etcd"); {
	case err == nil:
		t["envtest"] = func() controlPlane { return &envtest.Environment{BinaryAssetsDirectory: dir} }
	case referencetest.Required():
		b.Fatalf("envtest cannot be measured: %v", err)
	default:
		b.Logf("envtest is not measured: %v", err)
	}
	return t
}

var (
	resultsMu sync.Mutex
	results   = map[string]map[string]float64{} // benchmark -> target -> ns/op
)

func record(b *testing.B, bench, target string, perOp time.Duration) {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	if results[bench] == nil {
		results[bench] = map[string]float64{}
	}
	results[bench][target] = float64(perOp)
}

// BenchmarkStartStop measures starting a server until it serves requests,
// and stopping it.
func BenchmarkStartStop(b *testing.B) {
	for _, name := range sortedKeys(targets(b)) {
		newCP := targets(b)[name]
		b.Run(name, func(b *testing.B) {
			start := time.Now()
			for i := 0; i < b.N; i++ {
				cp := newCP()
				if _, err := cp.Start(); err != nil {
					b.Fatal(err)
				}
				if err := cp.Stop(); err != nil {
					b.Fatal(err)
				}
			}
			record(b, "start+stop", name, time.Since(start)/time.Duration(b.N))
		})
	}
}

// BenchmarkEphemeralContainerUpdate measures one round trip of the request
// kubectl debug sends: a strategic merge patch adding an ephemeral container
// through pods/ephemeralcontainers. Each iteration patches a fresh pod
// (created with the timer stopped) so every request does the same work.
func BenchmarkEphemeralContainerUpdate(b *testing.B) {
	for _, name := range sortedKeys(targets(b)) {
		newCP := targets(b)[name]
		b.Run(name, func(b *testing.B) {
			cp := newCP()
			cfg, err := cp.Start()
			if err != nil {
				b.Fatal(err)
			}
			defer cp.Stop()
			cs := kubernetes.NewForConfigOrDie(cfg)
			ctx := context.Background()
			pods := cs.CoreV1().Pods("default")
			patch := []byte(`{"spec":{"ephemeralContainers":[{"name":"debugger","image":"busybox","terminationMessagePolicy":"File","resources":{},"securityContext":{"capabilities":{"add":["SYS_PTRACE"]}}}]}}`)
			var elapsed time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				podName := fmt.Sprintf("bench-%d", i)
				if _, err := pods.Create(ctx, &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Name: podName},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
				}, metav1.CreateOptions{}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				t0 := time.Now()
				if _, err := pods.Patch(ctx, podName, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "ephemeralcontainers"); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(t0)
			}
			b.StopTimer()
			record(b, "ephemeral-container update", name, elapsed/time.Duration(b.N))
		})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestMain(m *testing.M) {
	// controller-runtime prints a stack trace when its logger was never set.
	ctrllog.SetLogger(logr.Discard())
	code := m.Run()
	resultsMu.Lock()
	defer resultsMu.Unlock()
	if len(results) > 0 {
		fmt.Println()
		fmt.Println("Ephemera vs envtest (same run, per operation):")
		fmt.Printf("  %-28s %14s %14s %10s\n", "benchmark", "ephemera", "envtest", "ratio")
		for _, bench := range sortedKeys(results) {
			r := results[bench]
			e, ok1 := r["ephemera"]
			t, ok2 := r["envtest"]
			ratio := "n/a"
			envtestCol := "not run"
			if ok2 {
				envtestCol = time.Duration(t).Round(time.Microsecond).String()
			}
			if ok1 && ok2 && e > 0 {
				ratio = fmt.Sprintf("%.1fx", t/e)
			}
			fmt.Printf("  %-28s %14s %14s %10s\n", bench, time.Duration(e).Round(time.Microsecond), envtestCol, ratio)
		}
		fmt.Println("  (ratio = envtest time / Ephemera time; above 1 means Ephemera is faster)")
	}
	os.Exit(code)
}
