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
	"testing"
	"time"

	"github.com/ephemera-dev/ephemera/apiserver"
)

// BenchmarkStartStop measures starting a server until it serves requests
// (Start returns once /readyz answers 200, and in cluster mode once the node
// is registered) and stopping it, on each target.
func BenchmarkStartStop(b *testing.B) {
	for _, target := range targets {
		b.Run(target, func(b *testing.B) {
			benchStartStop(b, "start+stop, default mode", target, func() controlPlane { return newControlPlane(b, target) })
		})
	}
	// envtest has no cluster mode; kind's start is minutes, not a benchmark.
	b.Run("ephemera-cluster", func(b *testing.B) {
		benchStartStop(b, "start+stop, cluster mode", "ephemera", func() controlPlane {
			return &apiserver.Environment{Cluster: &apiserver.ClusterOptions{}}
		})
	})
	b.Run("ephemera-all-features", func(b *testing.B) {
		benchStartStop(b, "start+stop, cluster mode, all features", "ephemera", func() controlPlane { return allFeatures() })
	})
}

func benchStartStop(b *testing.B, row, target string, newCP func() controlPlane) {
	samples := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cp := newCP()
		t0 := time.Now()
		if _, err := cp.Start(); err != nil {
			b.Fatal(err)
		}
		if err := cp.Stop(); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, time.Since(t0))
	}
	b.StopTimer()
	// The median, not the mean: the target is a median, and one start that
	// waits on the garbage collector should not move it.
	p50, _ := percentiles(samples)
	b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
	recordDuration(row+" (median)", target, p50)
}
