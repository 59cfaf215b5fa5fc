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
	"net/http"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/utils/ptr"
)

// RuntimeClass (k8s.io/kubernetes/plugin/pkg/admission/runtimeclass) on a
// server without RuntimeClasses. The messages and codes were confirmed on
// kube-apiserver v1.37.2 (envtest); the scenario "pod/RuntimeClass admission
// refuses unknown classes and lone overhead" replays them end to end.
func TestRuntimeClass(t *testing.T) {
	rc := runtimeClass{}
	create := request{resource: "pods", namespace: "default", name: "p", op: admission.Create}
	for _, tc := range []struct {
		name     string
		spec     corev1.PodSpec
		admit    string // Admit's error, "" for none
		validate string // Validate's error, "" for none
		code     int32  // the HTTP code of both errors
	}{
		{name: "no class", spec: corev1.PodSpec{}},
		{
			name:     "unknown class",
			spec:     corev1.PodSpec{RuntimeClassName: ptr.To("gvisor")},
			admit:    `pods "p" is forbidden: pod rejected: RuntimeClass "gvisor" not found`,
			validate: `pods "p" is forbidden: pod rejected: RuntimeClass "gvisor" not found`,
			code:     http.StatusForbidden,
		},
		{
			name:     "overhead without a class",
			spec:     corev1.PodSpec{Overhead: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}},
			validate: `pods "p" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead`,
			code:     http.StatusForbidden,
		},
		{
			name:     "empty class name",
			spec:     corev1.PodSpec{RuntimeClassName: ptr.To("")},
			admit:    "resource name may not be empty",
			validate: "resource name may not be empty",
			code:     http.StatusInternalServerError,
		},
		{
			name:     "class name client-go cannot put in a path",
			spec:     corev1.PodSpec{RuntimeClassName: ptr.To("a/b%c")},
			admit:    `invalid resource name "a/b%c": [may not contain '/' may not contain '%']`,
			validate: `invalid resource name "a/b%c": [may not contain '/' may not contain '%']`,
			code:     http.StatusInternalServerError,
		},
	} {
		pod := &corev1.Pod{Spec: tc.spec}
		check := func(phase string, err error, want string) {
			t.Helper()
			switch {
			case want == "" && err != nil:
				t.Errorf("%s: %s: %v", tc.name, phase, err)
			case want != "" && (err == nil || err.Error() != want):
				t.Errorf("%s: %s: got %v, want %s", tc.name, phase, err, want)
			case want != "":
				// A plain error is what the handler answers with a 500.
				code := int32(http.StatusInternalServerError)
				if s, ok := err.(apierrors.APIStatus); ok {
					code = s.Status().Code
				}
				if code != tc.code {
					t.Errorf("%s: %s: code %d, want %d", tc.name, phase, code, tc.code)
				}
			}
		}
		check("admit", rc.Admit(context.Background(), create.attrs(pod, nil), nil), tc.admit)
		check("validate", rc.Validate(context.Background(), create.attrs(pod, nil), nil), tc.validate)
	}

	// Only pod creation: updates, subresources and other resources pass.
	if rc.Handles(admission.Update) || rc.Handles(admission.Delete) || !rc.Handles(admission.Create) {
		t.Error("RuntimeClass handles create only")
	}
	named := &corev1.Pod{Spec: corev1.PodSpec{RuntimeClassName: ptr.To("gvisor")}}
	sub := request{resource: "pods", namespace: "default", name: "p", subresource: "ephemeralcontainers", op: admission.Create}
	if err := rc.Admit(context.Background(), sub.attrs(named, nil), nil); err != nil {
		t.Errorf("subresource: %v", err)
	}
	node := request{resource: "nodes", name: "n", op: admission.Create}
	if err := rc.Validate(context.Background(), node.attrs(&corev1.Node{}, nil), nil); err != nil {
		t.Errorf("nodes: %v", err)
	}
	if err := rc.Admit(context.Background(), create.attrs(&corev1.Node{}, nil), nil); !apierrors.IsBadRequest(err) || err.Error() != "Resource was marked with kind Pod but was unable to be converted" {
		t.Errorf("not a pod: %v", err)
	}
}
