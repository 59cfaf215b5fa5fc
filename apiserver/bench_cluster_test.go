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
	"testing"
	"time"

	"github.com/ephemera-dev/ephemera/apiserver"
)

// BenchmarkClusterStartStop measures starting an Environment in cluster mode
// (the server, the simulated kubelet and scheduler, and the controllers)
// until Start returns, and stopping it. envtest has no cluster mode, so it
// is Ephemera's alone (kind takes tens of seconds).
func BenchmarkClusterStartStop(b *testing.B) {
	start := time.Now()
	for i := 0; i < b.N; i++ {
		env := &apiserver.Environment{Cluster: &apiserver.ClusterOptions{}}
		if _, err := env.Start(); err != nil {
			b.Fatal(err)
		}
		if err := env.Stop(); err != nil {
			b.Fatal(err)
		}
	}
	record(b, "start+stop (cluster mode)", "ephemera", time.Since(start)/time.Duration(b.N))
}
