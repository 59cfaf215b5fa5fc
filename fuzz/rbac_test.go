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

package fuzz

import (
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// rbacSeeds are valid and invalid objects of each RBAC kind; mode%4 picks
// the resource they are sent to (RBACKinds), mode/4 the options.
var rbacSeeds = []seed{
	{0, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"$NAME"},"rules":[{"apiGroups":[""],"resources":["pods","pods/ephemeralcontainers"],"verbs":["get","patch"]}]}`},
	{0, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"$NAME","namespace":"$NS"},"rules":[{"apiGroups":[""],"resources":["pods"],"resourceNames":["p"],"verbs":[]}]}`},
	{0, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"$NAME"},"rules":[{"nonResourceURLs":["/healthz"],"verbs":["get"]}]}`},
	{0, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"$NAME"},"rules":[{"verbs":["get"]},{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]}`},
	{1, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"$NAME"},"rules":[{"nonResourceURLs":["/healthz","/api/*"],"verbs":["get"]},{"apiGroups":[""],"resources":["pods"],"verbs":["list"]}]}`},
	{1, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"$NAME"},"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"a":"b"}}]},"rules":[]}`},
	{1, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"$NAME"},"aggregationRule":{"clusterRoleSelectors":[{"matchExpressions":[{"key":"a","operator":"Bogus"}]}]}}`},
	{1, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"$NAME"},"rules":[{"nonResourceURLs":["healthz"],"resources":["pods"],"verbs":["get"]}]}`},
	{2, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"$NAME"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"alice"},{"kind":"ServiceAccount","name":"default","namespace":"$NS"}]}`},
	{2, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"$NAME"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"missing"},"subjects":[{"kind":"ServiceAccount","name":"default"}]}`},
	{2, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"$NAME"},"roleRef":{"apiGroup":"apps","kind":"Deployment","name":""},"subjects":[{"kind":"Robot","name":"r"},{"kind":"Group","apiGroup":"","name":""}]}`},
	{3, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"$NAME"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"system:masters"}]}`},
	{3, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"$NAME"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"x"},"subjects":[{"kind":"ServiceAccount","name":"default"}]}`},
	{3, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"$NAME"}}`},
	// Options (mode/4): 1 dry run, 2 Strict, 4 Warn; a kind sent to
	// another resource.
	{1 + 4*1, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"$NAME"}}`},
	{0 + 4*2, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"$NAME","bogus":1},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"],"bogus":true}]}`},
	{2 + 4*4, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"$NAME"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r","extra":1}}`},
	{0, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"$NAME"}}`},
	{1, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$NAME"}}`},
	// Finding 16: a repeated error is reported once.
	{1, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"$NAME","finalizers":["",""]}}`},
	{3, `{`},
}

// FuzzRBACCreate: creation of Roles, ClusterRoles, RoleBindings and
// ClusterRoleBindings with a fuzzed object, by the admin (system:masters on
// both servers, so the escalation checks pass and validation decides).
func FuzzRBACCreate(f *testing.F) {
	addSeeds(f, rbacSeeds)
	h := harness(f)
	n := 0
	f.Fuzz(func(t *testing.T, mode uint8, body, edits []byte) {
		kind := RBACKinds[int(mode)%len(RBACKinds)]
		opts := DecodeOptions(mode / uint8(len(RBACKinds)))
		payload := BodyOf(kind, JSON, body, edits)
		n++
		h.CheckCreate(t, "FuzzRBACCreate", n, mode, kind, opts, payload)
	})
}

// TestLiteralNamesAreFreeAgain: an input may spell out a name instead of
// the execution's own, and the fuzzer sends it again and again. FINDINGS
// 28: a ClusterRole with a finalizer stayed, terminating, after the
// cleanup's DELETE, so the next create of its name was refused (409
// "object is being deleted") and another worker's Ephemera, which never had
// it, disagreed. The cleanup must leave nothing, on both servers.
func TestLiteralNamesAreFreeAgain(t *testing.T) {
	h := harness(t)
	for _, k := range []Kind{RBACKinds[1], RBACKinds[0]} { // ClusterRole, Role
		name := "literal-" + h.NS
		payload := []byte(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"` + k.Kind + `","metadata":{"name":"` + name + `","finalizers":["example.com/key"]}}`)
		for i := 0; i < 2; i++ {
			// Fails the test if the second create is refused: both
			// servers would answer 409, and the read back finds an
			// object the refused create did not make.
			h.CheckCreate(t, t.Name(), i, 0, k, Options{}, payload)
		}
		for i, a := range h.Do(Request{Method: http.MethodGet, Path: h.ObjectPath(k)(name)}) {
			if a.Code != http.StatusNotFound {
				t.Errorf("%s %s on %s after the cleanup: %d %s", k.Kind, name, ServerNames[i], a.Code, a.Body)
			}
		}
	}
}

// TestClusterLockExcludes: the lock that keeps fuzz workers off each
// other's cluster-scoped names is held by one holder at a time (flock on
// separate open files excludes within a process too).
func TestClusterLockExcludes(t *testing.T) {
	host := "test-" + t.Name()
	t.Cleanup(func() { _ = os.Remove(filepath.Join(os.TempDir(), "ephemera-fuzz-"+host+".lock")) })
	first, err := openClusterLock(host)
	if err != nil {
		t.Fatal(err)
	}
	other, err := openClusterLock(host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { first.f.Close(); other.f.Close() })
	if err := first.lock(); err != nil {
		t.Fatal(err)
	}
	var second atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := other.lock(); err != nil {
			t.Error(err)
			return
		}
		second.Store(true)
		other.unlock()
	}()
	time.Sleep(100 * time.Millisecond)
	if second.Load() {
		t.Fatal("a second holder took the lock while the first held it")
	}
	first.unlock()
	<-done
	if !second.Load() {
		t.Error("the second holder never got the lock")
	}
}
