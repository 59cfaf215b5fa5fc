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
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const (
	mirrorPodAnnotationKey        = "kubernetes.io/config.mirror"
	tolerationsAnnotationKey      = "scheduler.alpha.kubernetes.io/tolerations"
	podDeletionCostAnnotation     = "controller.kubernetes.io/pod-deletion-cost"
	seccompPodAnnotationKey       = "seccomp.security.alpha.kubernetes.io/pod"
	seccompContainerAnnotationPfx = "container.seccomp.security.alpha.kubernetes.io/"
	appArmorContainerAnnotationPx = "container.apparmor.security.beta.kubernetes.io/"
)

// podOpts mirrors the subset of validation.PodValidationOptions that
// matters with the v1.37.2 default feature gates. Ratchets are computed from
// the old pod like podutil.GetValidationOptionsFromPodSpecAndMeta
// (K/pkg/api/pod/util.go:415-505).
type podOpts struct {
	AllowPrivileged                                         bool
	AllowInvalidPodDeletionCost                             bool
	AllowSidecarResizePolicy                                bool
	AllowExistingRestartContainerForNonSidecarInitContainer bool
	AllowSysAdminWhenPrivilegeEscalationFalse               bool
	AllowUserNamespacesWithVolumeDevices                    bool
	AllowUserNamespacesHostNetworkSupport                   bool
	AllowNonLocalProjectedTokenPath                         bool
	AllowIndivisibleHugePagesValues                         bool
	AllowEmptyImageVolumeReference                          bool
	AllowNamespacedSysctlsForHostNetAndHostIPC              bool
	AllowInvalidLabelValueInSelector                        bool
	AllowInvalidLabelValueInRequiredNodeAffinity            bool
	AllowInvalidTopologySpreadConstraintLabelSelector       bool
	OldPodViolatesMatchLabelKeysValidation                  bool
}

func newPodOpts(o Options, oldSpec *corev1.PodSpec, oldMeta *metav1.ObjectMeta) podOpts {
	opts := podOpts{
		AllowPrivileged: o.AllowPrivileged,
		// InPlacePodVerticalScaling is GA/locked on.
		AllowSidecarResizePolicy: true,
	}
	if oldSpec != nil {
		for _, c := range oldSpec.InitContainers {
			restartable := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
			if restartable {
				continue
			}
			for _, p := range c.ResizePolicy {
				if p.RestartPolicy == corev1.RestartContainer {
					opts.AllowExistingRestartContainerForNonSidecarInitContainer = true
				}
			}
		}
		userns := oldSpec.HostUsers != nil && !*oldSpec.HostUsers
		if userns {
			visitContainers(oldSpec, field.NewPath("spec"), func(c *corev1.Container, _ *field.Path) {
				if len(c.VolumeDevices) > 0 {
					opts.AllowUserNamespacesWithVolumeDevices = true
				}
			})
			// UserNamespacesHostNetworkSupport is alpha/off: only the ratchet.
			opts.AllowUserNamespacesHostNetworkSupport = oldSpec.HostNetwork
		}
		for _, v := range oldSpec.Volumes {
			if v.Image != nil && len(v.Image.Reference) == 0 {
				opts.AllowEmptyImageVolumeReference = true
			}
			if v.Projected != nil {
				for _, s := range v.Projected.Sources {
					if s.ServiceAccountToken != nil && len(validateLocalNonReservedPath(s.ServiceAccountToken.Path, nil)) != 0 {
						opts.AllowNonLocalProjectedTokenPath = true
					}
				}
			}
		}
		// usesIndivisibleHugePagesValues (util.go:339-360).
		visitContainers(oldSpec, field.NewPath("spec"), func(c *corev1.Container, _ *field.Path) {
			for _, l := range []corev1.ResourceList{c.Resources.Limits, c.Resources.Requests} {
				for name, q := range l {
					if hugePageValueError(name, q) != nil {
						opts.AllowIndivisibleHugePagesValues = true
					}
				}
			}
		})
		for name, q := range oldSpec.Overhead {
			if hugePageValueError(name, q) != nil {
				opts.AllowIndivisibleHugePagesValues = true
			}
		}
		if oldSpec.SecurityContext != nil {
			for _, s := range oldSpec.SecurityContext.Sysctls {
				if validateHostSysctl(s.Name, oldSpec, nil) != nil {
					opts.AllowNamespacedSysctlsForHostNetAndHostIPC = true
				}
			}
		}
		opts.AllowInvalidLabelValueInSelector, opts.AllowInvalidLabelValueInRequiredNodeAffinity = affinityRatchets(oldSpec)
		opts.AllowInvalidTopologySpreadConstraintLabelSelector, opts.OldPodViolatesMatchLabelKeysValidation = topologySpreadRatchets(oldSpec)
		// useAllowSysAdminWhenPrivilegeEscalationFalse (util.go:575-605).
		visitContainers(oldSpec, field.NewPath("spec"), func(c *corev1.Container, _ *field.Path) {
			sc := c.SecurityContext
			if sc != nil && sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation && sc.Capabilities != nil {
				for _, cp := range sc.Capabilities.Add {
					if cp == "CAP_SYS_ADMIN" {
						opts.AllowSysAdminWhenPrivilegeEscalationFalse = true
					}
				}
			}
		})
	}
	if oldMeta != nil {
		if _, err := deletionCost(oldMeta.Annotations); err != nil {
			opts.AllowInvalidPodDeletionCost = true
		}
	}
	return opts
}

// visitContainers mirrors podshelper.VisitContainersWithPath: init, regular,
// then ephemeral containers.
func visitContainers(spec *corev1.PodSpec, specPath *field.Path, f func(*corev1.Container, *field.Path)) {
	for i := range spec.InitContainers {
		f(&spec.InitContainers[i], specPath.Child("initContainers").Index(i))
	}
	for i := range spec.Containers {
		f(&spec.Containers[i], specPath.Child("containers").Index(i))
	}
	for i := range spec.EphemeralContainers {
		f((*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon), specPath.Child("ephemeralContainers").Index(i))
	}
}

// validatePodMetadataAndSpec mirrors validatePodMetadataAndSpec
// (validation.go:4639-4673).
func validatePodMetadataAndSpec(pod *corev1.Pod, opts podOpts) field.ErrorList {
	metaPath := field.NewPath("metadata")
	specPath := field.NewPath("spec")
	allErrs := validateObjectMeta(&pod.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	allErrs = append(allErrs, validatePodSpecificAnnotations(pod.Annotations, &pod.Spec, metaPath.Child("annotations"), opts)...)
	allErrs = append(allErrs, validatePodSpec(&pod.Spec, &pod.ObjectMeta, specPath, opts)...)

	if pod.Spec.ServiceAccountName == "" {
		for vi, volume := range pod.Spec.Volumes {
			p := specPath.Child("volumes").Index(vi).Child("projected")
			if volume.Projected != nil {
				for si, source := range volume.Projected.Sources {
					if source.ServiceAccountToken != nil {
						allErrs = append(allErrs, field.Forbidden(p.Child("sources").Index(si).Child("serviceAccountToken"), "must not be specified when serviceAccountName is not set"))
					}
				}
			}
		}
	}
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		allErrs = append(allErrs, apimachineryvalidation.ValidateNonnegativeField(*pod.Spec.TerminationGracePeriodSeconds, specPath.Child("terminationGracePeriodSeconds"))...)
	}
	for i := range pod.Spec.Containers {
		allErrs = append(allErrs, validateContainerOnlyForPod(&pod.Spec.Containers[i], specPath.Child("containers").Index(i))...)
	}
	for i := range pod.Spec.InitContainers {
		allErrs = append(allErrs, validateContainerOnlyForPod(&pod.Spec.InitContainers[i], specPath.Child("initContainers").Index(i))...)
	}
	return allErrs
}

// deletionCost mirrors helper.GetDeletionCostFromPodAnnotations.
func deletionCost(annotations map[string]string) (int32, error) {
	value, ok := annotations[podDeletionCostAnnotation]
	if !ok {
		return 0, nil
	}
	// "+10" and "008" are not valid.
	if len(value) == 0 || !(value[0] == '-' || (value[0] >= '1' && value[0] <= '9') || value == "0") {
		if !(len(value) > 0 && value[0] == '0' && len(value) == 1) {
			return 0, fmt.Errorf("invalid value %q", value)
		}
	}
	i, err := strconv.ParseInt(value, 10, 32)
	if err != nil {
		return 0, err
	}
	return int32(i), nil
}

// validatePodSpecificAnnotations mirrors ValidatePodSpecificAnnotations.
func validatePodSpecificAnnotations(annotations map[string]string, spec *corev1.PodSpec, fldPath *field.Path, opts podOpts) field.ErrorList {
	allErrs := field.ErrorList{}
	if value, isMirror := annotations[mirrorPodAnnotationKey]; isMirror {
		if len(spec.NodeName) == 0 {
			allErrs = append(allErrs, field.Invalid(fldPath.Key(mirrorPodAnnotationKey), value, "must set spec.nodeName if mirror pod annotation is set"))
		}
	}
	// scheduler.alpha.kubernetes.io/tolerations content is not validated here
	// (not reachable through ephemeral-container scenarios).
	if !opts.AllowInvalidPodDeletionCost {
		if _, err := deletionCost(annotations); err != nil {
			allErrs = append(allErrs, field.Invalid(fldPath.Key(podDeletionCostAnnotation), annotations[podDeletionCostAnnotation], "must be a 32bit integer"))
		}
	}
	for _, k := range sortedKeys(annotations) {
		p := annotations[k]
		if k == seccompPodAnnotationKey || strings.HasPrefix(k, seccompContainerAnnotationPfx) {
			allErrs = append(allErrs, validateSeccompProfileAnnotation(p, fldPath.Child(k))...)
		}
	}
	for _, k := range sortedKeys(annotations) {
		if !strings.HasPrefix(k, appArmorContainerAnnotationPx) {
			continue
		}
		p := annotations[k]
		containerName := strings.TrimPrefix(k, appArmorContainerAnnotationPx)
		found := false
		visitContainers(spec, field.NewPath("spec"), func(c *corev1.Container, _ *field.Path) {
			if c.Name == containerName {
				found = true
			}
		})
		if !found {
			allErrs = append(allErrs, field.Invalid(fldPath.Key(k), containerName, "container not found"))
		}
		if p != "" && p != "runtime/default" && p != "unconfined" && !strings.HasPrefix(p, "localhost/") {
			allErrs = append(allErrs, field.Invalid(fldPath.Key(k), p, fmt.Sprintf("invalid AppArmor profile name: %q", p)))
		}
	}
	return allErrs
}

func validateSeccompProfileAnnotation(p string, fldPath *field.Path) field.ErrorList {
	if p == "runtime/default" || p == "docker/default" || p == "unconfined" {
		return nil
	}
	if strings.HasPrefix(p, "localhost/") {
		return validateLocalDescendingPath(strings.TrimPrefix(p, "localhost/"), fldPath)
	}
	return field.ErrorList{field.Invalid(fldPath, p, "must be a valid seccomp profile")}
}

// validatePodSpecificAnnotationUpdates mirrors ValidatePodSpecificAnnotationUpdates.
func validatePodSpecificAnnotationUpdates(newPod, oldPod *corev1.Pod, fldPath *field.Path, opts podOpts) field.ErrorList {
	allErrs := field.ErrorList{}
	newA, oldA := newPod.Annotations, oldPod.Annotations
	for _, k := range sortedKeys(oldA) {
		if newVal, ok := newA[k]; ok && newVal == oldA[k] {
			continue
		}
		if strings.HasPrefix(k, appArmorContainerAnnotationPx) {
			allErrs = append(allErrs, field.Forbidden(fldPath.Key(k), "may not remove or update AppArmor annotations"))
		}
		if k == mirrorPodAnnotationKey {
			allErrs = append(allErrs, field.Forbidden(fldPath.Key(k), "may not remove or update mirror pod annotation"))
		}
	}
	for _, k := range sortedKeys(newA) {
		if _, ok := oldA[k]; ok {
			continue
		}
		if strings.HasPrefix(k, appArmorContainerAnnotationPx) {
			allErrs = append(allErrs, field.Forbidden(fldPath.Key(k), "may not add AppArmor annotations"))
		}
		if k == mirrorPodAnnotationKey {
			allErrs = append(allErrs, field.Forbidden(fldPath.Key(k), "may not add mirror pod annotation"))
		}
	}
	allErrs = append(allErrs, validatePodSpecificAnnotations(newA, &newPod.Spec, fldPath, opts)...)
	return allErrs
}

// validatePodSpec mirrors ValidatePodSpec (validation.go:4778-4895).
