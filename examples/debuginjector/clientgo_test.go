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

package debuginjector_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/ephemeratest"
	"github.com/ephemera-dev/ephemera/examples/debuginjector"
	"github.com/ephemera-dev/ephemera/faults"
	"github.com/ephemera-dev/ephemera/requestlog"
)

var web = &corev1.Pod{
	ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
	Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
}

var debugger = corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
	Name: "debugger", Image: "busybox:1.36", Stdin: true, TTY: true}}

// RBAC for the tool's user: read pods, patch their ephemeral containers,
// what kubectl debug needs.
var (
	debuggerRole = &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "debugger", Namespace: "default"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}},
			{APIGroups: []string{""}, Resources: []string{"pods/ephemeralcontainers"}, Verbs: []string{"patch"}},
		},
	}
	aliceDebugs = &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "alice-debugs", Namespace: "default"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "debugger"},
		Subjects:   []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: "alice"}},
	}
)

// With client-go, as user alice: the tool sent one strategic merge patch to
// pods/ephemeralcontainers that was answered 409 (another writer got there
// first), read the pod again, and patched once more.
func TestInjectRetriesOnConflict(t *testing.T) {
	srv := ephemeratest.Start(t, ephemeratest.WithObjects(web, debuggerRole, aliceDebugs), ephemeratest.WithUsers(apiserver.User{Name: "alice"}),
		ephemeratest.WithRequestLog(),
		ephemeratest.WithFaults(faults.Rule{Name: "someone-else-wrote", Times: 1, Conflict: &faults.ConflictFault{},
			Match: faults.Match{Verbs: []string{"patch"}, Resources: []string{"pods/ephemeralcontainers"}}}))
	alice := kubernetes.NewForConfigOrDie(srv.User("alice"))

	pod, err := debuginjector.Inject(context.Background(), alice, "default", "web", debugger)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pod.Spec.EphemeralContainers); n != 1 {
		t.Fatalf("%d ephemeral containers", n)
	}

	// What the tool sent: two strategic merge patches to the subresource,
	// as alice, the first answered 409; and one GET before each.
	patches := srv.RequestLog().Requests(requestlog.Verb("patch"), requestlog.Resource("pods/ephemeralcontainers"),
		requestlog.PatchType("strategic"), requestlog.User("alice"))
	if len(patches) != 2 || patches[0].ResponseStatus.Code != 409 || patches[1].ResponseStatus.Code != 200 {
		t.Fatalf("strategic merge patches by alice: %d", len(patches))
	}
	if patches[0].Annotations[faults.AnnotationRule] != "someone-else-wrote" {
		t.Errorf("the first patch is not the fault's: %v", patches[0].Annotations)
	}
	if gets := srv.RequestLog().Requests(requestlog.Verb("get"), requestlog.Resource("pods"), requestlog.Name("web"), requestlog.User("alice")); len(gets) != 2 {
		t.Errorf("%d GETs, want one per attempt", len(gets))
	}
	var sent map[string]any
	if err := requestlog.DecodeRequest(patches[1], &sent); err != nil {
		t.Fatal(err)
	}
	if _, ok := sent["spec"]; !ok {
		t.Errorf("the patch is not a pod patch: %v", sent)
	}

	// Injecting again changes nothing and sends no patch.
	srv.RequestLog().Reset()
	if _, err := debuginjector.Inject(context.Background(), alice, "default", "web", debugger); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.RequestLog().Requests(requestlog.Verb("patch"))); n != 0 {
		t.Errorf("a second injection sent %d patches", n)
	}
}
