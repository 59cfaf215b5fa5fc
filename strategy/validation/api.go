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

// Package validation holds the validation rules for the objects Ephemera
// serves, mirroring k8s.io/kubernetes/pkg/apis/core/validation as of v1.37.2.
// It works on the k8s.io/api v1 types directly; messages, field paths and
// error types are byte-for-byte those of kube-apiserver.
package validation

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Options are the server-wide settings that change validation results.
type Options struct {
	// AllowPrivileged mirrors kube-apiserver's --allow-privileged flag.
	// envtest and kind run with true; kube-apiserver's own default is false.
	AllowPrivileged bool
}

// Dedupe drops errors whose rendered text ("field: body") repeats an earlier
// one. The pod functions return errors already de-duplicated by their rendered
// text ("field: body"), as the server does for both the message and the
// causes (field.ErrorList.Filter/ToAggregate in
// k8s.io/apiserver/pkg/registry/rest/validate.go), so
// apierrors.NewInvalid(schema.GroupKind{Kind: "Pod"}, name, errs) renders the
// server's exact Status. Errors are in upstream order, except where upstream
// ranges over a Go map (resource lists, labels, scheduling gates): that order
// is random upstream and sorted by key here.
func Dedupe(errs field.ErrorList) field.ErrorList {
	seen := make(map[string]bool, len(errs))
	out := errs[:0:0]
	for _, e := range errs {
		k := e.Error()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out
}

// ValidatePodCreate mirrors validation.ValidatePodCreate.
func ValidatePodCreate(pod *corev1.Pod, opts Options) field.ErrorList {
	return Dedupe(validatePodCreate(pod, newPodOpts(opts, nil, nil)))
}

// ValidatePodUpdate mirrors validation.ValidatePodUpdate (plain PUT/PATCH on pods).
func ValidatePodUpdate(newPod, oldPod *corev1.Pod, opts Options) field.ErrorList {
	return Dedupe(validatePodUpdate(newPod, oldPod, newPodOpts(opts, &oldPod.Spec, &oldPod.ObjectMeta)))
}

// ValidatePodStatusUpdate mirrors validation.ValidatePodStatusUpdate.
func ValidatePodStatusUpdate(newPod, oldPod *corev1.Pod, opts Options) field.ErrorList {
	return Dedupe(validatePodStatusUpdate(newPod, oldPod, newPodOpts(opts, &oldPod.Spec, &oldPod.ObjectMeta)))
}

// ValidatePodEphemeralContainersUpdate mirrors
// validation.ValidatePodEphemeralContainersUpdate.
func ValidatePodEphemeralContainersUpdate(newPod, oldPod *corev1.Pod, opts Options) field.ErrorList {
	return Dedupe(validatePodEphemeralContainersUpdate(newPod, oldPod, newPodOpts(opts, &oldPod.Spec, &oldPod.ObjectMeta)))
}
