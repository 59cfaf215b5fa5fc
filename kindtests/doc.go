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

// Package kindtests runs Ephemera's conformance suite, API, kubelet and
// cluster tiers, against a real single-node kind cluster (kube-apiserver,
// kube-controller-manager and kubelet v1.37.2) created from the locally built
// node image, in differential mode against Ephemera's cluster mode (the API
// and cluster tiers must observe the same on both); then kubectl debug, and
// the kubectl session of conformance/testdata/cluster-session.txt on both.
// See kind_test.go and hack/kind/e2e.sh.
package kindtests
