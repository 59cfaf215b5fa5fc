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

package admission

import (
	"context"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/warning"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/utils/ptr"
)

type warnings []string

func (w *warnings) AddWarning(_, text string) { *w = append(*w, text) }

func plainPod(name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "psa"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
}

// PodSecurity is k8s.io/pod-security-admission wired as kube-apiserver wires
// it (plugin/pkg/admission/security/podsecurity): the default configuration,
// 1.37 policies, warnings as Warning headers, denials as the library's 403.
// The namespace enforces baseline and warns at restricted; the texts are
// kube-apiserver v1.37.2's for the same requests.
func TestPodSecurity(t *testing.T) {
	labels := map[string]string{psaapi.EnforceLevelLabel: "baseline", psaapi.WarnLevelLabel: "restricted"}
	ns := namespace("psa", corev1.NamespaceActive, labels)
	existing := plainPod("plain")
	ps, err := newPodSecurity(namespaces(ns, namespace("open", corev1.NamespaceActive, nil)),
		func(context.Context, string) ([]*corev1.Pod, error) { return []*corev1.Pod{existing}, nil })
	if err != nil {
		t.Fatal(err)
	}
	if !ps.Handles(admission.Create) || !ps.Handles(admission.Update) || ps.Handles(admission.Delete) {
		t.Error("PodSecurity acts on create and update")
	}
	validate := func(r request, obj, old runtime.Object) (warnings, error) {
		var w warnings
		ctx := warning.WithWarningRecorder(context.Background(), &w)
		return w, ps.Validate(ctx, r.attrs(obj, old), nil)
	}

	privileged := plainPod("priv")
	privileged.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
	w, err := validate(request{resource: "pods", namespace: "psa", name: "priv", op: admission.Create}, privileged, nil)
	want := `pods "priv" is forbidden: violates PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)`
	if !apierrors.IsForbidden(err) || err.Error() != want || len(w) != 0 {
		t.Errorf("privileged pod: %v (warnings %q)\nwant %s", err, w, want)
	}
	if st := err.(apierrors.APIStatus).Status(); st.Code != 403 || st.Details == nil || st.Details.Kind != "pods" || st.Details.Name != "priv" || len(st.Details.Causes) != 0 {
		t.Errorf("status: %+v", st)
	}

	w, err = validate(request{resource: "pods", namespace: "psa", name: "plain", op: admission.Create}, plainPod("plain"), nil)
	wantWarnings := warnings{`would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`}
	if err != nil || !reflect.DeepEqual(w, wantWarnings) {
		t.Errorf("plain pod: %v, warnings %q", err, w)
	}

	// pods/ephemeralcontainers is evaluated (it is not one of the ignored
	// subresources): a privileged debug container is refused.
	withEC := plainPod("plain")
	withEC.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "dbg", Image: "busybox", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}}
	_, err = validate(request{resource: "pods", namespace: "psa", name: "plain", subresource: "ephemeralcontainers", op: admission.Update}, withEC, plainPod("plain"))
	want = `pods "plain" is forbidden: violates PodSecurity "baseline:latest": privileged (container "dbg" must not set securityContext.privileged=true)`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("privileged ephemeral container: %v\nwant %s", err, want)
	}

	// Tightening a namespace's enforce level warns about its existing pods.
	tightened := ns.DeepCopy()
	tightened.Labels[psaapi.EnforceLevelLabel] = "restricted"
	w, err = validate(request{resource: "namespaces", name: "psa", op: admission.Update}, tightened, ns)
	wantWarnings = warnings{`existing pods in namespace "psa" violate the new PodSecurity enforce level "restricted:latest"`, "plain: allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile"}
	if err != nil || !reflect.DeepEqual(w, wantWarnings) {
		t.Errorf("namespace relabel: %v, warnings %q", err, w)
	}

	// Without labels a namespace is privileged: anything goes, silently.
	privileged.Namespace = "open"
	if w, err := validate(request{resource: "pods", namespace: "open", name: "priv", op: admission.Create}, privileged, nil); err != nil || len(w) != 0 {
		t.Errorf("unlabelled namespace: %v %q", err, w)
	}
	// Other resources are not PodSecurity's business.
	if _, err := validate(request{resource: "serviceaccounts", namespace: "psa", name: "x", op: admission.Create}, &corev1.ServiceAccount{}, nil); err != nil {
		t.Errorf("service account: %v", err)
	}
}
