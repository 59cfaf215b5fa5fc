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

package validation

import (
	"fmt"
	"math"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// --- operations ---

// validatePodCreate mirrors ValidatePodCreate (validation.go:5765-5781).
func validatePodCreate(pod *corev1.Pod, opts podOpts) field.ErrorList {
	allErrs := validatePodMetadataAndSpec(pod, opts)
	fldPath := field.NewPath("spec")
	if len(pod.Spec.EphemeralContainers) > 0 {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("ephemeralContainers"), "cannot be set on create"))
	}
	if pod.Spec.NodeName != "" && len(pod.Spec.SchedulingGates) != 0 {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("nodeName"), "cannot be set until all schedulingGates have been cleared"))
	}
	// seccomp / AppArmor annotation-vs-field consistency: not covered.
	return allErrs
}

var updatablePodSpecFields = []string{
	"`spec.containers[*].image`",
	"`spec.initContainers[*].image`",
	"`spec.activeDeadlineSeconds`",
	"`spec.tolerations` (only additions to existing tolerations)",
	"`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
}

func validateContainerUpdates(newC, oldC []corev1.Container, fldPath *field.Path) (field.ErrorList, bool) {
	allErrs := field.ErrorList{}
	if len(newC) != len(oldC) {
		return append(allErrs, field.Forbidden(fldPath, "pod updates may not add or remove containers")), true
	}
	for i, c := range newC {
		if len(c.Image) == 0 {
			allErrs = append(allErrs, field.Required(fldPath.Index(i).Child("image"), ""))
		}
		if len(strings.TrimSpace(c.Image)) != len(c.Image) {
			allErrs = append(allErrs, field.Invalid(fldPath.Index(i).Child("image"), c.Image, "must not have leading or trailing whitespace"))
		}
	}
	return allErrs, false
}

// validatePodUpdate mirrors ValidatePodUpdate (validation.go:5859-6002),
// rule 43, including the nodeSelector/node-affinity additions allowed for
// scheduling-gated pods.
func validatePodUpdate(newPod, oldPod *corev1.Pod, opts podOpts) field.ErrorList {
	fldPath := field.NewPath("metadata")
	allErrs := validateObjectMetaUpdate(&newPod.ObjectMeta, &oldPod.ObjectMeta, fldPath)
	allErrs = append(allErrs, validatePodMetadataAndSpec(newPod, opts)...)
	allErrs = append(allErrs, validatePodSpecificAnnotationUpdates(newPod, oldPod, fldPath.Child("annotations"), opts)...)
	specPath := field.NewPath("spec")

	errs, stop := validateContainerUpdates(newPod.Spec.Containers, oldPod.Spec.Containers, specPath.Child("containers"))
	allErrs = append(allErrs, errs...)
	if stop {
		return allErrs
	}
	errs, stop = validateContainerUpdates(newPod.Spec.InitContainers, oldPod.Spec.InitContainers, specPath.Child("initContainers"))
	allErrs = append(allErrs, errs...)
	if stop {
		return allErrs
	}
	if newPod.Spec.ActiveDeadlineSeconds != nil {
		n := *newPod.Spec.ActiveDeadlineSeconds
		if n < 0 || n > math.MaxInt32 {
			return append(allErrs, field.Invalid(specPath.Child("activeDeadlineSeconds"), n, validation.InclusiveRangeError(0, math.MaxInt32)))
		}
		if oldPod.Spec.ActiveDeadlineSeconds != nil && *oldPod.Spec.ActiveDeadlineSeconds < n {
			return append(allErrs, field.Invalid(specPath.Child("activeDeadlineSeconds"), n, "must be less than or equal to previous value"))
		}
	} else if oldPod.Spec.ActiveDeadlineSeconds != nil {
		allErrs = append(allErrs, field.Invalid(specPath.Child("activeDeadlineSeconds"), newPod.Spec.ActiveDeadlineSeconds, "must not update from a positive integer to nil value"))
	}
	allErrs = append(allErrs, validateOnlyAddedTolerations(newPod.Spec.Tolerations, oldPod.Spec.Tolerations, specPath.Child("tolerations"))...)
	allErrs = append(allErrs, validateOnlyDeletedSchedulingGates(newPod.Spec.SchedulingGates, oldPod.Spec.SchedulingGates, specPath.Child("schedulingGates"))...)

	if apiequality.Semantic.DeepEqual(newPod.Spec, oldPod.Spec) {
		return allErrs
	}
	munged := *newPod.Spec.DeepCopy()
	var newContainers []corev1.Container
	for ix, c := range munged.Containers {
		c.Image = oldPod.Spec.Containers[ix].Image
		newContainers = append(newContainers, c)
	}
	munged.Containers = newContainers
	var newInit []corev1.Container
	for ix, c := range munged.InitContainers {
		c.Image = oldPod.Spec.InitContainers[ix].Image
		newInit = append(newInit, c)
	}
	munged.InitContainers = newInit
	munged.ActiveDeadlineSeconds = nil
	if oldPod.Spec.ActiveDeadlineSeconds != nil {
		v := *oldPod.Spec.ActiveDeadlineSeconds
		munged.ActiveDeadlineSeconds = &v
	}
	munged.SchedulingGates = oldPod.Spec.SchedulingGates
	munged.Tolerations = oldPod.Spec.Tolerations
	if oldPod.Spec.TerminationGracePeriodSeconds != nil && *oldPod.Spec.TerminationGracePeriodSeconds < 0 &&
		munged.TerminationGracePeriodSeconds != nil && *munged.TerminationGracePeriodSeconds == 1 {
		munged.TerminationGracePeriodSeconds = oldPod.Spec.TerminationGracePeriodSeconds
	}
	// Scheduling-gated pods may add to nodeSelector and node affinity.
	if len(oldPod.Spec.SchedulingGates) > 0 {
		if !apiequality.Semantic.DeepEqual(munged.NodeSelector, oldPod.Spec.NodeSelector) {
			allErrs = append(allErrs, validateNodeSelectorMutation(specPath.Child("nodeSelector"), munged.NodeSelector, oldPod.Spec.NodeSelector)...)
			munged.NodeSelector = oldPod.Spec.NodeSelector
		}
		var oldNA, mungedNA *corev1.NodeAffinity
		if oldPod.Spec.Affinity != nil {
			oldNA = oldPod.Spec.Affinity.NodeAffinity
		}
		if munged.Affinity != nil {
			mungedNA = munged.Affinity.NodeAffinity
		}
		if !apiequality.Semantic.DeepEqual(oldNA, mungedNA) {
			allErrs = append(allErrs, validateNodeAffinityMutation(specPath.Child("affinity").Child("nodeAffinity"), mungedNA, oldNA)...)
			switch {
			case munged.Affinity == nil && oldNA == nil:
			case munged.Affinity == nil && oldNA != nil:
				munged.Affinity = &corev1.Affinity{NodeAffinity: oldNA}
			case munged.Affinity != nil && oldPod.Spec.Affinity == nil && munged.Affinity.PodAntiAffinity == nil && munged.Affinity.PodAffinity == nil:
				munged.Affinity = nil
			default:
				munged.Affinity.NodeAffinity = oldNA
			}
		}
	}
	if !apiequality.Semantic.DeepEqual(munged, oldPod.Spec) {
		specDiff := diff.Diff(toInternal[internalPodSpec](oldPod.Spec), toInternal[internalPodSpec](munged))
		allErrs = append(allErrs, field.Forbidden(specPath, fmt.Sprintf("pod updates may not change fields other than %s\n%v", strings.Join(updatablePodSpecFields, ","), specDiff)))
	}
	return allErrs
}
