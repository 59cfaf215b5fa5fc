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
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/client-go/rest"
)

// runtimeClass mirrors k8s.io/kubernetes/plugin/pkg/admission/runtimeclass,
// a default plugin of kube-apiserver (and envtest's) for pod creation.
// Ephemera serves no node.k8s.io RuntimeClasses, and envtest's server has
// none either, so every runtimeClassName names a class that is not found:
// Admit refuses the pod (prepareObjects), and Validate refuses a pod that
// sets spec.overhead without a RuntimeClass defining one (validateOverhead).
type runtimeClass struct{}

var (
	_ admission.MutationInterface   = runtimeClass{}
	_ admission.ValidationInterface = runtimeClass{}
)

// Handles: upstream's NewRuntimeClass handles admission.Create only.
func (runtimeClass) Handles(op admission.Operation) bool { return op == admission.Create }

func (runtimeClass) Admit(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	_, err := runtimeClassPod(a)
	return err
}

func (runtimeClass) Validate(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	pod, err := runtimeClassPod(a)
	if err != nil || pod == nil {
		return err
	}
	if pod.Spec.Overhead != nil {
		return admission.NewForbidden(a, fmt.Errorf("pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"))
	}
	return nil
}

// runtimeClassPod mirrors shouldIgnore and prepareObjects
// (plugin/pkg/admission/runtimeclass/admission.go): pods only, no
// subresources, and a named RuntimeClass is never found.
func runtimeClassPod(a admission.Attributes) (*corev1.Pod, error) {
	if a.GetSubresource() != "" || a.GetResource().GroupResource() != podResource {
		return nil, nil
	}
	pod, ok := a.GetObject().(*corev1.Pod)
	if !ok {
		return nil, apierrors.NewBadRequest("Resource was marked with kind Pod but was unable to be converted")
	}
	if name := pod.Spec.RuntimeClassName; name != nil {
		// Upstream's lister misses, and the live lookup that follows is a
		// client-go Get: a name client-go refuses to put in a path
		// (rest.Request.Name) fails before any request is made, and that
		// plain error becomes a 500 with its text. Any other name is a 404
		// on a server without RuntimeClasses, so a Forbidden.
		if *name == "" {
			return pod, errors.New("resource name may not be empty")
		}
		if msgs := rest.IsValidPathSegmentName(*name); len(msgs) != 0 {
			return pod, fmt.Errorf("invalid resource name %q: %v", *name, msgs)
		}
		return pod, admission.NewForbidden(a, fmt.Errorf("pod rejected: RuntimeClass %q not found", *name))
	}
	return pod, nil
}
