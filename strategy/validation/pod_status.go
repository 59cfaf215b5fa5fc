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

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validatePodStatusUpdate mirrors ValidatePodStatusUpdate for what a kubelet
// simulation writes (§2.7): conditions, nodeName, observedGeneration,
// qosClass, state transitions, users and allocatedResourcesStatus of
// ephemeral containers. Pod/host IP syntax and DRA statuses are not covered.
func validatePodStatusUpdate(newPod, oldPod *corev1.Pod, opts podOpts) field.ErrorList {
	fldPath := field.NewPath("metadata")
	allErrs := validateObjectMetaUpdate(&newPod.ObjectMeta, &oldPod.ObjectMeta, fldPath)
	allErrs = append(allErrs, validatePodSpecificAnnotationUpdates(newPod, oldPod, fldPath.Child("annotations"), opts)...)
	sp := field.NewPath("status")
	system := sets.New(corev1.PodScheduled, corev1.PodReady, corev1.PodInitialized)
	for i, c := range newPod.Status.Conditions {
		if c.ObservedGeneration < 0 {
			allErrs = append(allErrs, field.Invalid(sp.Child("conditions").Index(i).Child("observedGeneration"), c.ObservedGeneration, "must be a non-negative integer"))
		}
		if system.Has(c.Type) {
			continue
		}
		allErrs = append(allErrs, validateQualifiedName(string(c.Type), sp.Child("conditions").Index(i).Child("Type"))...)
	}
	if newPod.Spec.NodeName != oldPod.Spec.NodeName {
		allErrs = append(allErrs, field.Forbidden(sp.Child("nodeName"), "may not be changed directly"))
	}
	if newPod.Status.NominatedNodeName != oldPod.Status.NominatedNodeName && len(newPod.Status.NominatedNodeName) > 0 {
		for _, msg := range nameIsDNSSubdomain(newPod.Status.NominatedNodeName, false) {
			allErrs = append(allErrs, field.Invalid(sp.Child("nominatedNodeName"), newPod.Status.NominatedNodeName, msg))
		}
	}
	// ClearingNominatedNodeNameAfterBinding is enabled in 1.37.
	if oldPod.Spec.NodeName != "" && newPod.Status.NominatedNodeName != "" && newPod.Status.NominatedNodeName != oldPod.Status.NominatedNodeName {
		allErrs = append(allErrs, field.Forbidden(sp.Child("nominatedNodeName"), "may not be set on pods that are already bound to a node"))
	}
	if newPod.Status.ObservedGeneration < 0 {
		allErrs = append(allErrs, field.Invalid(sp.Child("observedGeneration"), newPod.Status.ObservedGeneration, "must be a non-negative integer"))
	}
	if newPod.Status.QOSClass != oldPod.Status.QOSClass {
		allErrs = append(allErrs, field.Invalid(sp.Child("qosClass"), newPod.Status.QOSClass, "field is immutable"))
	}
	allErrs = append(allErrs, validateContainerStateTransition(newPod.Status.ContainerStatuses, oldPod.Status.ContainerStatuses, sp.Child("containerStatuses"), oldPod.Spec.Containers, &oldPod.Spec)...)
	allErrs = append(allErrs, validateContainerStateTransition(newPod.Status.InitContainerStatuses, oldPod.Status.InitContainerStatuses, sp.Child("initContainerStatuses"), oldPod.Spec.InitContainers, &oldPod.Spec)...)
	// ValidateEphemeralContainerStateTransition (validation.go:6150-6164).
	newEC := map[string]corev1.ContainerStatus{}
	for _, s := range newPod.Status.EphemeralContainerStatuses {
		newEC[s.Name] = s
	}
	for i, old := range oldPod.Status.EphemeralContainerStatuses {
		if old.State.Terminated == nil {
			continue
		}
		if n, ok := newEC[old.Name]; ok && n.State.Terminated == nil {
			allErrs = append(allErrs, field.Forbidden(sp.Child("ephemeralContainerStatuses").Index(i).Child("state"), "may not be transitioned to non-terminated state"))
		}
	}
	allErrs = append(allErrs, validateContainerStatusUsers(newPod.Status.ContainerStatuses, sp.Child("containerStatuses"), newPod.Spec.OS)...)
	allErrs = append(allErrs, validateContainerStatusUsers(newPod.Status.InitContainerStatuses, sp.Child("initContainerStatuses"), newPod.Spec.OS)...)
	allErrs = append(allErrs, validateContainerStatusUsers(newPod.Status.EphemeralContainerStatuses, sp.Child("ephemeralContainerStatuses"), newPod.Spec.OS)...)
	for i, s := range newPod.Status.EphemeralContainerStatuses {
		if len(s.AllocatedResourcesStatus) > 0 {
			allErrs = append(allErrs, field.Forbidden(sp.Child("ephemeralContainerStatuses").Index(i).Child("allocatedResourcesStatus"), "must not be specified in container status"))
		}
	}
	return allErrs
}

// validateContainerStateTransition mirrors ValidateContainerStateTransition /
// ValidateInitContainerStateTransition with ContainerRestartRules and
// RestartAllContainersOnContainerExits on (both default-on in 1.37): a
// terminated container may become non-terminated only when
// podutil.ContainerShouldRestart allows it for the recorded exit code, and
// not at all is checked when any container has a RestartAllContainers rule.
func validateContainerStateTransition(newStatuses, oldStatuses []corev1.ContainerStatus, fldPath *field.Path, containers []corev1.Container, spec *corev1.PodSpec) field.ErrorList {
	allErrs := field.ErrorList{}
	if allContainersCouldRestart(spec) {
		return allErrs
	}
	for i, old := range oldStatuses {
		if old.State.Terminated == nil {
			continue
		}
		for _, n := range newStatuses {
			if n.Name != old.Name || n.State.Terminated != nil {
				continue
			}
			allowed := false
			for _, c := range containers {
				if c.Name == old.Name {
					allowed = containerShouldRestart(c, spec, old.State.Terminated.ExitCode)
					break
				}
			}
			if !allowed {
				allErrs = append(allErrs, field.Forbidden(fldPath.Index(i).Child("state"), "may not be transitioned to non-terminated state"))
			}
			break
		}
	}
	return allErrs
}

// allContainersCouldRestart mirrors podutil.AllContainersCouldRestart.
func allContainersCouldRestart(spec *corev1.PodSpec) bool {
	for _, l := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for _, c := range l {
			for _, r := range c.RestartPolicyRules {
				if r.Action == "RestartAllContainers" {
					return true
				}
			}
		}
	}
	return false
}

// containerShouldRestart mirrors podutil.ContainerShouldRestart (K/pkg/api/v1/pod/util.go).
func containerShouldRestart(c corev1.Container, spec *corev1.PodSpec, exitCode int32) bool {
	if c.RestartPolicy != nil {
		// FindMatchingContainerRestartRule: the first rule whose exit codes match.
		for _, r := range c.RestartPolicyRules {
			if r.ExitCodes == nil {
				continue
			}
			matched := false
			for _, v := range r.ExitCodes.Values {
				if v == exitCode {
					matched = true
				}
			}
			hit := (r.ExitCodes.Operator == corev1.ContainerRestartRuleOnExitCodesOpIn && matched) ||
				(r.ExitCodes.Operator == corev1.ContainerRestartRuleOnExitCodesOpNotIn && !matched)
			if !hit {
				continue
			}
			if r.Action == corev1.ContainerRestartRuleActionRestart || r.Action == "RestartAllContainers" {
				return true
			}
			break
		}
		switch *c.RestartPolicy {
		case corev1.ContainerRestartPolicyAlways:
			return true
		case corev1.ContainerRestartPolicyOnFailure:
			return exitCode != 0
		case corev1.ContainerRestartPolicyNever:
			return false
		}
	}
	switch spec.RestartPolicy {
	case corev1.RestartPolicyOnFailure:
		return exitCode != 0
	case corev1.RestartPolicyNever:
		return false
	}
	return true
}

func validateContainerStatusUsers(statuses []corev1.ContainerStatus, fldPath *field.Path, podOS *corev1.PodOS) field.ErrorList {
	allErrs := field.ErrorList{}
	osName := corev1.Linux
	if podOS != nil {
		osName = podOS.Name
	}
	for i, s := range statuses {
		if s.User == nil {
			continue
		}
		switch osName {
		case corev1.Windows:
			if s.User.Linux != nil {
				allErrs = append(allErrs, field.Forbidden(fldPath.Index(i).Child("user").Child("linux"), "cannot be set for a windows pod"))
			}
		case corev1.Linux:
			if u := s.User.Linux; u != nil {
				up := fldPath.Index(i).Child("user").Child("linux")
				if u.UID < 0 || u.UID > math.MaxUint32 {
					allErrs = append(allErrs, field.Invalid(up.Child("uid"), u.UID, fmt.Sprintf("must be between 0 and %d, inclusive", int64(math.MaxUint32))))
				}
				for _, msg := range validation.IsValidGroupID(u.GID) {
					allErrs = append(allErrs, field.Invalid(up.Child("gid"), u.GID, msg))
				}
				for g, gid := range u.SupplementalGroups {
					for _, msg := range validation.IsValidGroupID(gid) {
						allErrs = append(allErrs, field.Invalid(up.Child("supplementalGroups").Index(g), gid, msg))
					}
				}
			}
		}
	}
	return allErrs
}
