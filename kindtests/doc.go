// Package kindtests runs Ephemera's conformance suite, API and kubelet tiers,
// against a real single-node kind cluster (kube-apiserver and kubelet
// v1.37.2) created from the locally built node image. See kind_test.go and
// hack/kind/e2e.sh.
package kindtests
