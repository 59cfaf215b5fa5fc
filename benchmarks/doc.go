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

// Package benchmarks holds `make bench`: Ephemera beside envtest (a real
// kube-apiserver v1.37.2 and etcd from KUBEBUILDER_ASSETS) in one run of
// `go test -bench`, every figure from a benchmark, never from a timed test.
//
// The rows, each measured on both targets where the target has it:
//   - start+stop of an Environment: default mode, cluster mode, and cluster
//     mode with every optional feature on (audit, faults, HTTP/2);
//   - the request path: kubectl debug's strategic merge patch on
//     pods/ephemeralcontainers, a pod GET, a LIST of 1,000 pods, and one
//     event fanned out to 100 watchers, each with its p50 and p99;
//   - the API tier of the conformance suite, wall time of the whole run;
//   - peak resident memory of one Environment, and of 100 tests in one
//     package each with its own Environment under t.Parallel()
//     (TestParallelEnvironments; envtest's counted with its kube-apiserver
//     and etcd processes).
//
// The standard benchmark lines are benchstat-friendly (ns/op and p50-ns,
// p99-ns, peak-RSS-bytes metrics); after them TestMain prints the table
// with every row's ratio (envtest / Ephemera).
package benchmarks
