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
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
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
func validatePodSpec(spec *corev1.PodSpec, podMeta *metav1.ObjectMeta, fldPath *field.Path, opts podOpts) field.ErrorList {
	allErrs := field.ErrorList{}
	if spec.TerminationGracePeriodSeconds == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("terminationGracePeriodSeconds"), ""))
	}
	gracePeriod := spec.TerminationGracePeriodSeconds
	hostUsers := spec.HostUsers == nil || *spec.HostUsers

	vols, vErrs := validateVolumes(spec.Volumes, podMeta, fldPath.Child("volumes"), opts)
	allErrs = append(allErrs, vErrs...)
	// gatherPodResourceClaimNames: the non-empty names.
	podClaimNames := sets.New[string]()
	for _, c := range spec.ResourceClaims {
		if c.Name != "" {
			podClaimNames.Insert(c.Name)
		}
	}
	allErrs = append(allErrs, validatePodResourceClaims(podMeta, spec.ResourceClaims, fldPath.Child("resourceClaims"))...)
	allErrs = append(allErrs, validateContainers(spec.Containers, spec.OS, vols, podClaimNames, gracePeriod, fldPath.Child("containers"), opts, &spec.RestartPolicy, hostUsers)...)
	allErrs = append(allErrs, validateInitContainers(spec.InitContainers, spec.OS, spec.Containers, vols, podClaimNames, gracePeriod, fldPath.Child("initContainers"), opts, &spec.RestartPolicy, hostUsers)...)
	allErrs = append(allErrs, validateEphemeralContainers(spec.EphemeralContainers, spec.Containers, spec.InitContainers, vols, podClaimNames, fldPath.Child("ephemeralContainers"), opts, &spec.RestartPolicy, hostUsers)...)
	// PodLevelResources is beta/on.
	allErrs = append(allErrs, validatePodResources(spec, podClaimNames, fldPath, opts)...)
	allErrs = append(allErrs, validatePodHostNetworkDeps(spec, fldPath)...)
	allErrs = append(allErrs, validateRestartPolicy(&spec.RestartPolicy, fldPath.Child("restartPolicy"))...)
	allErrs = append(allErrs, validateDNSPolicy(&spec.DNSPolicy, fldPath.Child("dnsPolicy"))...)
	allErrs = append(allErrs, metav1validation.ValidateLabels(spec.NodeSelector, fldPath.Child("nodeSelector"))...)
	allErrs = append(allErrs, validatePodSpecSecurityContext(spec.SecurityContext, spec, fldPath.Child("securityContext"), opts)...)
	if spec.ShareProcessNamespace != nil && spec.HostPID && *spec.ShareProcessNamespace {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("shareProcessNamespace"), *spec.ShareProcessNamespace, "ShareProcessNamespace and HostPID cannot both be enabled"))
	}
	for i, s := range spec.ImagePullSecrets {
		if s != (corev1.LocalObjectReference{Name: s.Name}) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("imagePullSecrets").Index(i), toInternal[internalLocalObjectReference](s), "only name may be set"))
		}
	}
	allErrs = append(allErrs, validateAffinity(spec.Affinity, opts, fldPath.Child("affinity"))...)
	allErrs = append(allErrs, validatePodDNSConfig(spec.DNSConfig, &spec.DNSPolicy, fldPath.Child("dnsConfig"))...)
	for i, g := range spec.ReadinessGates {
		allErrs = append(allErrs, validateQualifiedName(string(g.ConditionType), fldPath.Child("readinessGates").Index(i).Child("conditionType"))...)
	}
	seenGates := sets.Set[string]{}
	for i, g := range spec.SchedulingGates {
		allErrs = append(allErrs, validateQualifiedName(g.Name, fldPath.Child("schedulingGates").Index(i))...)
		if seenGates.Has(g.Name) {
			allErrs = append(allErrs, field.Duplicate(fldPath.Child("schedulingGates").Index(i), g.Name))
		}
		seenGates.Insert(g.Name)
	}
	allErrs = append(allErrs, validateTopologySpreadConstraints(spec.TopologySpreadConstraints, fldPath.Child("topologySpreadConstraints"), opts)...)
	allErrs = append(allErrs, validateWindowsHostProcessPod(spec, fldPath, opts)...)
	allErrs = append(allErrs, validateHostUsers(spec, fldPath, opts)...)
	allErrs = append(allErrs, validatePodHostName(spec, fldPath)...)
	if len(spec.ServiceAccountName) > 0 {
		for _, msg := range apimachineryvalidation.ValidateServiceAccountName(spec.ServiceAccountName, false) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("serviceAccountName"), spec.ServiceAccountName, msg))
		}
	}
	if dsa := spec.DeprecatedServiceAccount; dsa != spec.ServiceAccountName { //nolint:staticcheck // mirrors upstream sync check
		allErrs = append(allErrs, field.Invalid(fldPath.Child("deprecatedServiceAccount"), dsa, fmt.Sprintf("must be the same as serviceAccountName: %q", spec.ServiceAccountName)))
	}
	if len(spec.NodeName) > 0 {
		for _, msg := range nameIsDNSSubdomain(spec.NodeName, false) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("nodeName"), spec.NodeName, msg))
		}
	}
	if spec.ActiveDeadlineSeconds != nil {
		v := *spec.ActiveDeadlineSeconds
		if v < 1 || v > math.MaxInt32 {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("activeDeadlineSeconds"), v, validation.InclusiveRangeError(1, math.MaxInt32)))
		}
	}
	if len(spec.Hostname) > 0 {
		allErrs = append(allErrs, validateDNS1123Label(spec.Hostname, fldPath.Child("hostname"))...)
	}
	if len(spec.Subdomain) > 0 {
		allErrs = append(allErrs, validateDNS1123Label(spec.Subdomain, fldPath.Child("subdomain"))...)
	}
	if len(spec.Tolerations) > 0 {
		allErrs = append(allErrs, validateTolerations(spec.Tolerations, fldPath.Child("tolerations"))...)
	}
	for i, ha := range spec.HostAliases {
		hp := fldPath.Child("hostAliases").Index(i)
		allErrs = append(allErrs, validation.IsValidIPForLegacyField(hp.Child("ip"), ha.IP, strictIPCIDRValidation, nil)...)
		for j, h := range ha.Hostnames {
			for _, msg := range validation.IsDNS1123Subdomain(h) {
				allErrs = append(allErrs, field.Invalid(hp.Child("hostnames").Index(j), h, msg))
			}
		}
	}
	if len(spec.PriorityClassName) > 0 {
		for _, msg := range nameIsDNSSubdomain(spec.PriorityClassName, false) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("priorityClassName"), spec.PriorityClassName, msg))
		}
	}
	if spec.RuntimeClassName != nil {
		for _, msg := range nameIsDNSSubdomain(*spec.RuntimeClassName, false) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("runtimeClassName"), *spec.RuntimeClassName, msg))
		}
	}
	if spec.PreemptionPolicy != nil {
		switch *spec.PreemptionPolicy {
		case corev1.PreemptLowerPriority, corev1.PreemptNever:
		case "":
			allErrs = append(allErrs, field.Required(fldPath.Child("preemptionPolicy"), ""))
		default:
			allErrs = append(allErrs, field.NotSupported(fldPath.Child("preemptionPolicy"), spec.PreemptionPolicy, []corev1.PreemptionPolicy{corev1.PreemptLowerPriority, corev1.PreemptNever}))
		}
	}
	if spec.Overhead != nil {
		// validateOverhead reuses the container resource-requirements rules.
		allErrs = append(allErrs, validateResourceRequirements(&corev1.ResourceRequirements{Limits: spec.Overhead}, validateContainerResourceName, nil, fldPath.Child("overhead"), opts)...)
	}
	if spec.OS != nil {
		var osErrs field.ErrorList
		if len(spec.OS.Name) == 0 {
			osErrs = field.ErrorList{field.Required(fldPath.Child("os").Child("name"), "")}
		} else if spec.OS.Name != corev1.Linux && spec.OS.Name != corev1.Windows {
			osErrs = field.ErrorList{field.NotSupported(fldPath.Child("os"), spec.OS.Name, []corev1.OSName{corev1.Linux, corev1.Windows})}
		}
		switch {
		case len(osErrs) > 0:
			allErrs = append(allErrs, osErrs...)
		case spec.OS.Name == corev1.Linux:
			allErrs = append(allErrs, validateLinux(spec, fldPath)...)
		case spec.OS.Name == corev1.Windows:
			allErrs = append(allErrs, validateWindows(spec, fldPath)...)
		}
	}
	allErrs = append(allErrs, validateFileKeyRefVolumes(spec, fldPath)...)
	return allErrs
}

// validatePodResourceClaims mirrors validatePodResourceClaims and
// validatePodResourceClaim: no claims on static pods, a unique DNS label as
// name, exactly one of resourceClaimName and resourceClaimTemplateName, each
// a DNS subdomain. The claim itself is printed as the internal struct.
func validatePodResourceClaims(podMeta *metav1.ObjectMeta, claims []corev1.PodResourceClaim, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen := sets.New[string]()
	for i, c := range claims {
		p := fldPath.Index(i)
		if podMeta != nil {
			if _, ok := podMeta.Annotations[mirrorPodAnnotationKey]; ok {
				allErrs = append(allErrs, field.Forbidden(field.NewPath(""), "static pods do not support resource claims"))
				continue
			}
		}
		if c.Name == "" {
			allErrs = append(allErrs, field.Required(p.Child("name"), ""))
		} else if seen.Has(c.Name) {
			allErrs = append(allErrs, field.Duplicate(p.Child("name"), c.Name))
		} else {
			allErrs = append(allErrs, validateDNS1123Label(c.Name, p.Child("name"))...)
			seen.Insert(c.Name)
		}
		if c.ResourceClaimName != nil && c.ResourceClaimTemplateName != nil {
			allErrs = append(allErrs, field.Invalid(p, toInternal[internalPodResourceClaim](c), "at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified"))
		}
		if c.ResourceClaimName == nil && c.ResourceClaimTemplateName == nil {
			allErrs = append(allErrs, field.Invalid(p, toInternal[internalPodResourceClaim](c), "must specify one of: `resourceClaimName`, `resourceClaimTemplateName`"))
		}
		if c.ResourceClaimName != nil {
			for _, detail := range nameIsDNSSubdomain(*c.ResourceClaimName, false) {
				allErrs = append(allErrs, field.Invalid(p.Child("resourceClaimName"), *c.ResourceClaimName, detail))
			}
		}
		if c.ResourceClaimTemplateName != nil {
			for _, detail := range nameIsDNSSubdomain(*c.ResourceClaimTemplateName, false) {
				allErrs = append(allErrs, field.Invalid(p.Child("resourceClaimTemplateName"), *c.ResourceClaimTemplateName, detail))
			}
		}
	}
	return allErrs
}

// validatePodResources mirrors validatePodResources (PodLevelResources is
// beta/on): windows and claims checks, resource names/quantities, and the
// "container limit <= pod limit" part of validatePodResourceConsistency.
// The aggregate checks (pod requests >= sum of container requests, pod
// hugepage limits >= aggregate container limits; component-helpers
// AggregateContainerRequests/Limits) are not covered.
func validatePodResources(spec *corev1.PodSpec, podClaimNames sets.Set[string], fldPath *field.Path, opts podOpts) field.ErrorList {
	if spec.Resources == nil {
		return nil
	}
	rp := fldPath.Child("resources")
	if spec.OS != nil && spec.OS.Name == corev1.Windows {
		return field.ErrorList{field.Forbidden(rp, "may not be set for a windows pod")}
	}
	allErrs := field.ErrorList{}
	if spec.Resources.Claims != nil {
		allErrs = append(allErrs, field.Forbidden(rp.Child("claims"), "claims may not be set for Resources at pod-level"))
	}
	allErrs = append(allErrs, validateResourceRequirements(spec.Resources, validatePodResourceName, podClaimNames, rp, opts)...)
	for i, c := range spec.Containers {
		for _, name := range sortedResourceNames(c.Resources.Limits) {
			podLimit, ok := spec.Resources.Limits[name]
			if !ok {
				continue
			}
			if q := c.Resources.Limits[name]; q.Cmp(podLimit) > 0 {
				allErrs = append(allErrs, field.Invalid(rp.Child("containers").Index(i).Key(string(name)).Child("limits"), q.String(), fmt.Sprintf("must be less than or equal to pod limits of %s", podLimit.String())))
			}
		}
	}
	return allErrs
}

// validatePodHostNetworkDeps mirrors validatePodHostNetworkDeps with
// ResourceIsPod=true; ephemeral containers are not inspected.
func validatePodHostNetworkDeps(spec *corev1.PodSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if !spec.HostNetwork {
		return allErrs
	}
	for i, c := range spec.Containers {
		for j, port := range c.Ports {
			if port.HostPort != port.ContainerPort {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("containers").Index(i).Child("ports").Index(j).Child("hostPort"), port.HostPort, "must match `containerPort` when `hostNetwork` is true"))
			}
		}
	}
	return allErrs
}

func validateRestartPolicy(rp *corev1.RestartPolicy, fldPath *field.Path) field.ErrorList {
	switch *rp {
	case corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever:
		return field.ErrorList{}
	case "":
		return field.ErrorList{field.Required(fldPath, "")}
	default:
		return field.ErrorList{field.NotSupported(fldPath, *rp, []corev1.RestartPolicy{corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever})}
	}
}

func validateDNSPolicy(p *corev1.DNSPolicy, fldPath *field.Path) field.ErrorList {
	switch *p {
	case corev1.DNSClusterFirstWithHostNet, corev1.DNSClusterFirst, corev1.DNSDefault, corev1.DNSNone:
		return field.ErrorList{}
	case "":
		return field.ErrorList{field.Required(fldPath, "")}
	default:
		// Upstream passes the pointer: the value renders as JSON.
		return field.ErrorList{field.NotSupported(fldPath, p, []corev1.DNSPolicy{corev1.DNSClusterFirstWithHostNet, corev1.DNSClusterFirst, corev1.DNSDefault, corev1.DNSNone})}
	}
}

// strictIPCIDRValidation is the StrictIPCIDRValidation gate (beta, on in 1.37).
const strictIPCIDRValidation = true

// validatePodDNSConfig mirrors validatePodDNSConfig.
func validatePodDNSConfig(dnsConfig *corev1.PodDNSConfig, dnsPolicy *corev1.DNSPolicy, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if dnsPolicy != nil && *dnsPolicy == corev1.DNSNone {
		if dnsConfig == nil {
			return append(allErrs, field.Required(fldPath, fmt.Sprintf("must provide `dnsConfig` when `dnsPolicy` is %s", corev1.DNSNone)))
		}
		if len(dnsConfig.Nameservers) == 0 {
			return append(allErrs, field.Required(fldPath.Child("nameservers"), fmt.Sprintf("must provide at least one DNS nameserver when `dnsPolicy` is %s", corev1.DNSNone)))
		}
	}
	if dnsConfig == nil {
		return allErrs
	}
	if len(dnsConfig.Nameservers) > 3 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("nameservers"), dnsConfig.Nameservers, fmt.Sprintf("must not have more than %v nameservers", 3)))
	}
	for i, ns := range dnsConfig.Nameservers {
		allErrs = append(allErrs, validation.IsValidIPForLegacyField(fldPath.Child("nameservers").Index(i), ns, strictIPCIDRValidation, nil)...)
	}
	if len(dnsConfig.Searches) > 32 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("searches"), dnsConfig.Searches, fmt.Sprintf("must not have more than %v search paths", 32)))
	}
	if len(strings.Join(dnsConfig.Searches, " ")) > 2048 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("searches"), dnsConfig.Searches, fmt.Sprintf("must not have more than %v characters (including spaces) in the search list", 2048)))
	}
	for i, search := range dnsConfig.Searches {
		if search != "." {
			search = strings.TrimSuffix(search, ".")
			for _, msg := range validation.IsDNS1123SubdomainWithUnderscore(search) {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("searches").Index(i), search, msg))
			}
		}
	}
	for i, o := range dnsConfig.Options {
		if len(o.Name) == 0 {
			allErrs = append(allErrs, field.Required(fldPath.Child("options").Index(i), "must not be empty"))
		}
	}
	return allErrs
}

var validFSGroupChangePolicies = sets.New(corev1.FSGroupChangeOnRootMismatch, corev1.FSGroupChangeAlways)
var validSupplementalGroupsPolicies = sets.New(corev1.SupplementalGroupsPolicyMerge, corev1.SupplementalGroupsPolicyStrict)

// validatePodSpecSecurityContext mirrors validatePodSpecSecurityContext
// (sysctls only by name syntax; seLinuxChangePolicy not covered).
func validatePodSpecSecurityContext(sc *corev1.PodSecurityContext, spec *corev1.PodSpec, fldPath *field.Path, opts podOpts) field.ErrorList {
	allErrs := field.ErrorList{}
	if sc == nil {
		return allErrs
	}
	if sc.FSGroup != nil {
		for _, msg := range validation.IsValidGroupID(*sc.FSGroup) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("fsGroup"), *sc.FSGroup, msg))
		}
	}
	allErrs = append(allErrs, validateRunAsIDs(sc.RunAsUser, sc.RunAsGroup, fldPath)...)
	for g, gid := range sc.SupplementalGroups {
		for _, msg := range validation.IsValidGroupID(gid) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("supplementalGroups").Index(g), gid, msg))
		}
	}
	if len(sc.Sysctls) != 0 {
		names := map[string]bool{}
		for i, s := range sc.Sysctls {
			p := fldPath.Child("sysctls").Index(i).Child("name")
			if len(s.Name) == 0 {
				allErrs = append(allErrs, field.Required(p, ""))
			} else if !sysctlRegexp.MatchString(s.Name) || len(s.Name) > 253 {
				allErrs = append(allErrs, field.Invalid(p, s.Name, fmt.Sprintf("must have at most %d characters and match regex %s", 253, sysctlRegexp)))
			} else if names[s.Name] {
				allErrs = append(allErrs, field.Duplicate(p, s.Name))
			}
			if !opts.AllowNamespacedSysctlsForHostNetAndHostIPC {
				if err := validateHostSysctl(s.Name, spec, p); err != nil {
					allErrs = append(allErrs, err)
				}
			}
			names[s.Name] = true
		}
	}
	if sc.FSGroupChangePolicy != nil && !validFSGroupChangePolicies.Has(*sc.FSGroupChangePolicy) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("fsGroupChangePolicy"), sc.FSGroupChangePolicy, sets.List(validFSGroupChangePolicies)))
	}
	allErrs = append(allErrs, validateSeccompProfileField(sc.SeccompProfile, fldPath.Child("seccompProfile"))...)
	allErrs = append(allErrs, validateWindowsSecurityContextOptions(sc.WindowsOptions, fldPath.Child("windowsOptions"))...)
	allErrs = append(allErrs, validateAppArmorProfileField(sc.AppArmorProfile, fldPath.Child("appArmorProfile"))...)
	if sc.SupplementalGroupsPolicy != nil && !validSupplementalGroupsPolicies.Has(*sc.SupplementalGroupsPolicy) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("supplementalGroupsPolicy"), sc.SupplementalGroupsPolicy, sets.List(validSupplementalGroupsPolicies)))
	}
	return allErrs
}

// validateHostSysctl mirrors ValidateHostSysctl with the namespace lookup of
// k8s.io/component-helpers/node/util/sysctl (GetNamespace/NormalizeName).
func validateHostSysctl(sysctl string, spec *corev1.PodSpec, fldPath *field.Path) *field.Error {
	name := sysctl
	if i := strings.IndexAny(name, "./"); i != -1 && name[i] == '/' {
		name = strings.Map(func(r rune) rune {
			switch r {
			case '.':
				return '/'
			case '/':
				return '.'
			}
			return r
		}, name)
	}
	if i := strings.IndexAny(name, "*"); i != -1 {
		name = name[:i]
	}
	ns := ""
	switch name {
	case "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", "kernel.shm",
		"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.msg":
		ns = "IPC"
	default:
		if strings.HasPrefix(name, "net.") {
			ns = "Net"
		} else if strings.HasPrefix(name, "fs.mqueue.") {
			ns = "IPC"
		}
	}
	switch {
	case spec.HostNetwork && ns == "Net":
		return field.Invalid(fldPath, sysctl, "may not be specified when 'hostNetwork' is true")
	case spec.HostIPC && ns == "IPC":
		return field.Invalid(fldPath, sysctl, "may not be specified when 'hostIPC' is true")
	}
	return nil
}

const sysctlSegmentFmt = "[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
const sysctlContainSlashFmt = "(" + sysctlSegmentFmt + "[\\./])*" + sysctlSegmentFmt

var sysctlRegexp = regexp.MustCompile("^" + sysctlContainSlashFmt + "$")

// validateSecurityContext mirrors ValidateSecurityContext (rules 23-31).
func validateSecurityContext(sc *corev1.SecurityContext, fldPath *field.Path, hostUsers bool, opts podOpts) field.ErrorList {
	allErrs := field.ErrorList{}
	if sc == nil {
		return allErrs
	}
	if sc.Privileged != nil && *sc.Privileged && !opts.AllowPrivileged {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("privileged"), "disallowed by cluster policy"))
	}
	allErrs = append(allErrs, validateRunAsIDs(sc.RunAsUser, sc.RunAsGroup, fldPath)...)
	if sc.ProcMount != nil {
		switch *sc.ProcMount {
		case corev1.DefaultProcMount, corev1.UnmaskedProcMount:
		default:
			allErrs = append(allErrs, field.NotSupported(fldPath.Child("procMount"), *sc.ProcMount, []corev1.ProcMountType{corev1.DefaultProcMount, corev1.UnmaskedProcMount}))
		}
		if hostUsers && *sc.ProcMount == corev1.UnmaskedProcMount {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("procMount"), sc.ProcMount, "`hostUsers` must be false to use `Unmasked`"))
		}
	}
	allErrs = append(allErrs, validateSeccompProfileField(sc.SeccompProfile, fldPath.Child("seccompProfile"))...)
	if sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
		// The value is the internal struct: JSON with Go field names.
		if sc.Privileged != nil && *sc.Privileged {
			allErrs = append(allErrs, field.Invalid(fldPath, toInternal[*internalSecurityContext](sc), "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"))
		}
		if !opts.AllowSysAdminWhenPrivilegeEscalationFalse && sc.Capabilities != nil {
			for _, c := range sc.Capabilities.Add {
				if string(c) == "CAP_SYS_ADMIN" {
					allErrs = append(allErrs, field.Invalid(fldPath, toInternal[*internalSecurityContext](sc), "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"))
				}
			}
		}
	}
	allErrs = append(allErrs, validateWindowsSecurityContextOptions(sc.WindowsOptions, fldPath.Child("windowsOptions"))...)
	allErrs = append(allErrs, validateAppArmorProfileField(sc.AppArmorProfile, fldPath.Child("appArmorProfile"))...)
	return allErrs
}

// validateSeccompProfileField mirrors validateSeccompProfileField.
func validateSeccompProfileField(sp *corev1.SeccompProfile, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if sp == nil {
		return allErrs
	}
	switch sp.Type {
	case corev1.SeccompProfileTypeLocalhost, corev1.SeccompProfileTypeRuntimeDefault, corev1.SeccompProfileTypeUnconfined:
	case "":
		allErrs = append(allErrs, field.Required(fldPath.Child("type"), "type is required when seccompProfile is set"))
	default:
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("type"), sp.Type, []corev1.SeccompProfileType{corev1.SeccompProfileTypeLocalhost, corev1.SeccompProfileTypeRuntimeDefault, corev1.SeccompProfileTypeUnconfined}))
	}
	if sp.Type == corev1.SeccompProfileTypeLocalhost {
		if sp.LocalhostProfile == nil {
			allErrs = append(allErrs, field.Required(fldPath.Child("localhostProfile"), "must be set when seccomp type is Localhost"))
		} else {
			allErrs = append(allErrs, validateLocalDescendingPath(*sp.LocalhostProfile, fldPath.Child("localhostProfile"))...)
		}
	} else if sp.LocalhostProfile != nil {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("localhostProfile"), toInternal[*internalSeccompProfile](sp), "can only be set when seccomp type is Localhost"))
	}
	return allErrs
}

// validateAppArmorProfileField mirrors ValidateAppArmorProfileField.
func validateAppArmorProfileField(profile *corev1.AppArmorProfile, fldPath *field.Path) field.ErrorList {
	if profile == nil {
		return nil
	}
	allErrs := field.ErrorList{}
	switch profile.Type {
	case corev1.AppArmorProfileTypeLocalhost:
		if profile.LocalhostProfile == nil {
			allErrs = append(allErrs, field.Required(fldPath.Child("localhostProfile"), "must be set when AppArmor type is Localhost"))
		} else {
			lp := strings.TrimSpace(*profile.LocalhostProfile)
			if lp != *profile.LocalhostProfile {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("localhostProfile"), *profile.LocalhostProfile, "must not be padded with whitespace"))
			} else if lp == "" {
				allErrs = append(allErrs, field.Required(fldPath.Child("localhostProfile"), "must be set when AppArmor type is Localhost"))
			}
			if len(*profile.LocalhostProfile) > 4095 {
				allErrs = append(allErrs, field.TooLong(fldPath.Child("localhostProfile"), "", 4095))
			}
		}
	case corev1.AppArmorProfileTypeRuntimeDefault, corev1.AppArmorProfileTypeUnconfined:
		if profile.LocalhostProfile != nil {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("localhostProfile"), profile.LocalhostProfile, "can only be set when AppArmor type is Localhost"))
		}
	case "":
		allErrs = append(allErrs, field.Required(fldPath.Child("type"), "type is required when appArmorProfile is set"))
	default:
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("type"), profile.Type,
			[]corev1.AppArmorProfileType{corev1.AppArmorProfileTypeLocalhost, corev1.AppArmorProfileTypeRuntimeDefault, corev1.AppArmorProfileTypeUnconfined}))
	}
	return allErrs
}

var (
	ctrlRegex                      = regexp.MustCompile(`[[:cntrl:]]+`)
	validNetBiosRegex              = regexp.MustCompile(`^[^\\/:\*\?"<>|\.][^\\/:\*\?"<>|]{0,14}$`)
	winDNSLabelFormat              = `[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?`
	validWindowsUserDomainDNSRegex = regexp.MustCompile(fmt.Sprintf(`^%s(?:\.%s)*$`, winDNSLabelFormat, winDNSLabelFormat))
	invalidUserNameCharsRegex      = regexp.MustCompile(`["/\\:;|=,\+\*\?<>@\[\]]`)
	invalidUserNameDotsSpacesRegex = regexp.MustCompile(`^[\. ]+$`)
)

// validateWindowsSecurityContextOptions mirrors validateWindowsSecurityContextOptions.
func validateWindowsSecurityContextOptions(wo *corev1.WindowsSecurityContextOptions, p *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if wo == nil {
		return allErrs
	}
	if wo.GMSACredentialSpecName != nil {
		for _, msg := range validation.IsDNS1123Subdomain(*wo.GMSACredentialSpecName) {
			allErrs = append(allErrs, field.Invalid(p.Child("gmsaCredentialSpecName"), wo.GMSACredentialSpecName, msg))
		}
	}
	if wo.GMSACredentialSpec != nil {
		if l := len(*wo.GMSACredentialSpec); l == 0 {
			allErrs = append(allErrs, field.Invalid(p.Child("gmsaCredentialSpec"), wo.GMSACredentialSpec, "gmsaCredentialSpec cannot be an empty string"))
		} else if l > 64*1024 {
			allErrs = append(allErrs, field.Invalid(p.Child("gmsaCredentialSpec"), wo.GMSACredentialSpec, fmt.Sprintf("gmsaCredentialSpec size must be under %d KiB", 64)))
		}
	}
	if wo.RunAsUserName != nil {
		up := p.Child("runAsUserName")
		name := *wo.RunAsUserName
		if len(name) == 0 {
			allErrs = append(allErrs, field.Invalid(up, wo.RunAsUserName, "runAsUserName cannot be an empty string"))
		} else if ctrlRegex.MatchString(name) {
			allErrs = append(allErrs, field.Invalid(up, wo.RunAsUserName, "runAsUserName cannot contain control characters"))
		} else if parts := strings.Split(name, "\\"); len(parts) > 2 {
			allErrs = append(allErrs, field.Invalid(up, wo.RunAsUserName, "runAsUserName cannot contain more than one backslash"))
		} else {
			hasDomain, domain, user := false, "", parts[0]
			if len(parts) == 2 {
				hasDomain, domain, user = true, parts[0], parts[1]
			}
			if len(domain) >= 256 {
				allErrs = append(allErrs, field.Invalid(up, wo.RunAsUserName, fmt.Sprintf("runAsUserName's Domain length must be under %d characters", 256)))
			}
			if hasDomain && !(validNetBiosRegex.MatchString(domain) || validWindowsUserDomainDNSRegex.MatchString(domain)) {
				allErrs = append(allErrs, field.Invalid(up, wo.RunAsUserName, "runAsUserName's Domain doesn't match the NetBios nor the DNS format"))
			}
			if l := len(user); l == 0 {
				allErrs = append(allErrs, field.Invalid(up, wo.RunAsUserName, "runAsUserName's User cannot be empty"))
			} else if l > 104 {
				allErrs = append(allErrs, field.Invalid(up, wo.RunAsUserName, fmt.Sprintf("runAsUserName's User length must not be longer than %d characters", 104)))
			}
			if invalidUserNameDotsSpacesRegex.MatchString(user) {
				allErrs = append(allErrs, field.Invalid(up, wo.RunAsUserName, `runAsUserName's User cannot contain only periods or spaces`))
			}
			if invalidUserNameCharsRegex.MatchString(user) {
				allErrs = append(allErrs, field.Invalid(up, wo.RunAsUserName, `runAsUserName's User cannot contain the following characters: "/\:;|=,+*?<>@[]`))
			}
		}
	}
	return allErrs
}

// validateWindowsHostProcessPod mirrors validateWindowsHostProcessPod (rules 35-38).
func validateWindowsHostProcessPod(spec *corev1.PodSpec, fldPath *field.Path, opts podOpts) field.ErrorList {
	allErrs := field.ErrorList{}
	containerCount, hpCount := 0, 0
	var podHP *bool
	if spec.SecurityContext != nil && spec.SecurityContext.WindowsOptions != nil {
		podHP = spec.SecurityContext.WindowsOptions.HostProcess
	}
	visitContainers(spec, fldPath, func(c *corev1.Container, cp *field.Path) {
		containerCount++
		var chp *bool
		if c.SecurityContext != nil && c.SecurityContext.WindowsOptions != nil {
			chp = c.SecurityContext.WindowsOptions.HostProcess
		}
		if podHP != nil && chp != nil && *podHP != *chp {
			allErrs = append(allErrs, field.Invalid(cp.Child("securityContext", "windowsOptions", "hostProcess"), *chp, fmt.Sprintf("pod hostProcess value must be identical if both are specified, was %v", *podHP)))
		}
		switch {
		case chp != nil && *chp:
			hpCount++
		case chp == nil && podHP != nil && *podHP:
			hpCount++
		}
	})
	if hpCount > 0 {
		if hpCount != containerCount {
			allErrs = append(allErrs, field.Invalid(fldPath, "", "If pod contains any hostProcess containers then all containers must be HostProcess containers"))
		}
		if !spec.HostNetwork {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("hostNetwork"), spec.HostNetwork, "hostNetwork must be true if pod contains any hostProcess containers"))
		}
		if !opts.AllowPrivileged {
			allErrs = append(allErrs, field.Forbidden(fldPath, "hostProcess containers are disallowed by cluster policy"))
		}
	}
	return allErrs
}

// validateHostUsers mirrors validateHostUsers (rule 32). Note the
// upper-case HostPID/HostIPC path segments, as upstream.
func validateHostUsers(spec *corev1.PodSpec, fldPath *field.Path, opts podOpts) field.ErrorList {
	allErrs := field.ErrorList{}
	if spec.HostUsers == nil || *spec.HostUsers {
		return allErrs
	}
	if !opts.AllowUserNamespacesHostNetworkSupport && spec.HostNetwork {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("hostNetwork"), "when `hostUsers` is false"))
	}
	if spec.HostPID {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("HostPID"), "when `hostUsers` is false"))
	}
	if spec.HostIPC {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("HostIPC"), "when `hostUsers` is false"))
	}
	if !opts.AllowUserNamespacesWithVolumeDevices {
		visitContainers(spec, fldPath, func(c *corev1.Container, cp *field.Path) {
			if len(c.VolumeDevices) > 0 {
				allErrs = append(allErrs, field.Forbidden(cp.Child("volumeDevices"), "when `hostUsers` is false"))
			}
		})
	}
	return allErrs
}

// validatePodHostName mirrors validatePodHostName (hostnameOverride).
func validatePodHostName(spec *corev1.PodSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if spec.HostnameOverride == nil {
		return allErrs
	}
	p := fldPath.Child("hostnameOverride")
	if spec.SetHostnameAsFQDN != nil && *spec.SetHostnameAsFQDN {
		allErrs = append(allErrs, field.Forbidden(p, "may not be specified when setHostnameAsFQDN is true"))
	}
	if spec.HostNetwork {
		allErrs = append(allErrs, field.Forbidden(p, "may not be specified when hostNetwork is true"))
	}
	if len(*spec.HostnameOverride) > 64 {
		allErrs = append(allErrs, field.TooLong(p, "", 64))
	}
	for _, msg := range validation.IsDNS1123Subdomain(*spec.HostnameOverride) {
		allErrs = append(allErrs, field.Invalid(p, *spec.HostnameOverride, msg))
	}
	return allErrs
}

// validateLinux mirrors validateLinux (rule 33).
func validateLinux(spec *corev1.PodSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if spec.SecurityContext != nil && spec.SecurityContext.WindowsOptions != nil {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("securityContext").Child("windowsOptions"), "windows options cannot be set for a linux pod"))
	}
	visitContainers(spec, fldPath, func(c *corev1.Container, cp *field.Path) {
		if c.SecurityContext != nil && c.SecurityContext.WindowsOptions != nil {
			allErrs = append(allErrs, field.Forbidden(cp.Child("securityContext").Child("windowsOptions"), "windows options cannot be set for a linux pod"))
		}
	})
	return allErrs
}

// validateWindows mirrors validateWindows (rule 34).
func validateWindows(spec *corev1.PodSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	const msg = "cannot be set for a windows pod"
	if sc := spec.SecurityContext; sc != nil {
		sp := fldPath.Child("securityContext")
		checks := []struct {
			set  bool
			name string
		}{
			{sc.AppArmorProfile != nil, "appArmorProfile"},
			{sc.SELinuxOptions != nil, "seLinuxOptions"},
			{sc.SeccompProfile != nil, "seccompProfile"},
			{sc.FSGroup != nil, "fsGroup"},
			{sc.FSGroupChangePolicy != nil, "fsGroupChangePolicy"},
			{len(sc.Sysctls) > 0, "sysctls"},
			{sc.RunAsUser != nil, "runAsUser"},
			{sc.RunAsGroup != nil, "runAsGroup"},
			{sc.SupplementalGroups != nil, "supplementalGroups"},
			{sc.SupplementalGroupsPolicy != nil, "supplementalGroupsPolicy"},
			{sc.SELinuxChangePolicy != nil, "seLinuxChangePolicy"},
		}
		for _, c := range checks {
			if c.set {
				allErrs = append(allErrs, field.Forbidden(sp.Child(c.name), msg))
			}
		}
	}
	if spec.HostUsers != nil {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("hostUsers"), msg))
	}
	if spec.HostPID {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("hostPID"), msg))
	}
	if spec.HostIPC {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("hostIPC"), msg))
	}
	if spec.ShareProcessNamespace != nil {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("shareProcessNamespace"), msg))
	}
	visitContainers(spec, fldPath, func(c *corev1.Container, cp *field.Path) {
		sc := c.SecurityContext
		if sc == nil {
			return
		}
		sp := cp.Child("securityContext")
		checks := []struct {
			set  bool
			name string
		}{
			{sc.AppArmorProfile != nil, "appArmorProfile"},
			{sc.SELinuxOptions != nil, "seLinuxOptions"},
			{sc.SeccompProfile != nil, "seccompProfile"},
			{sc.Capabilities != nil, "capabilities"},
			{sc.ReadOnlyRootFilesystem != nil, "readOnlyRootFilesystem"},
			{sc.Privileged != nil, "privileged"},
			{sc.AllowPrivilegeEscalation != nil, "allowPrivilegeEscalation"},
			{sc.ProcMount != nil, "procMount"},
			{sc.RunAsUser != nil, "runAsUser"},
			{sc.RunAsGroup != nil, "runAsGroup"},
		}
		for _, ch := range checks {
			if ch.set {
				allErrs = append(allErrs, field.Forbidden(sp.Child(ch.name), msg))
			}
		}
	})
	return allErrs
}

// validateFileKeyRefVolumes mirrors validateFileKeyRefVolumes (rule 39).
func validateFileKeyRefVolumes(spec *corev1.PodSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	sources := map[string]*corev1.VolumeSource{}
	for i := range spec.Volumes {
		sources[spec.Volumes[i].Name] = &spec.Volumes[i].VolumeSource
	}
	visitContainers(spec, fldPath, func(c *corev1.Container, cp *field.Path) {
		for j, env := range c.Env {
			if env.ValueFrom == nil || env.ValueFrom.FileKeyRef == nil {
				continue
			}
			name := env.ValueFrom.FileKeyRef.VolumeName
			p := cp.Child("env").Index(j).Child("valueFrom").Child("fileKeyRef").Child("volumeName")
			src, ok := sources[name]
			if !ok {
				allErrs = append(allErrs, field.NotFound(p, name))
			} else if src.EmptyDir == nil {
				allErrs = append(allErrs, field.Invalid(p, name, "referenced volume must be of type emptyDir"))
			}
		}
	})
	return allErrs
}

// validateTolerations mirrors ValidateTolerations (Lt/Gt operators are
// alpha/off in 1.37).
func validateTolerations(tolerations []corev1.Toleration, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	for i, t := range tolerations {
		p := fldPath.Index(i)
		if len(t.Key) > 0 {
			allErrs = append(allErrs, metav1validation.ValidateLabelName(t.Key, p.Child("key"))...)
		}
		if len(t.Key) == 0 && t.Operator != corev1.TolerationOpExists {
			allErrs = append(allErrs, field.Invalid(p.Child("operator"), t.Operator, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
		}
		if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
			allErrs = append(allErrs, field.Invalid(p.Child("effect"), t.Effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
		}
		switch t.Operator {
		case corev1.TolerationOpEqual, "":
			if errs := validation.IsValidLabelValue(t.Value); len(errs) != 0 {
				allErrs = append(allErrs, field.Invalid(p.Child("operator"), t.Value, strings.Join(errs, ";")))
			}
		case corev1.TolerationOpExists:
			if len(t.Value) > 0 {
				allErrs = append(allErrs, field.Invalid(p.Child("operator"), t.Value, "value must be empty when `operator` is 'Exists'"))
			}
		case "Lt", "Gt":
			allErrs = append(allErrs, field.NotSupported(p.Child("operator"), t.Operator, []corev1.TolerationOperator{corev1.TolerationOpEqual, corev1.TolerationOpExists, "Lt", "Gt"}))
		default:
			allErrs = append(allErrs, field.NotSupported(p.Child("operator"), t.Operator, []corev1.TolerationOperator{corev1.TolerationOpEqual, corev1.TolerationOpExists}))
		}
		if len(t.Effect) > 0 {
			switch t.Effect {
			case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
			default:
				allErrs = append(allErrs, field.NotSupported(p.Child("effect"), t.Effect, []string{string(corev1.TaintEffectNoSchedule), string(corev1.TaintEffectPreferNoSchedule), string(corev1.TaintEffectNoExecute)}))
			}
		}
	}
	return allErrs
}

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

// validateNodeSelectorMutation mirrors validateNodeSelectorMutation. The
// value is the v1 map, which marshals like the internal one.
func validateNodeSelectorMutation(fldPath *field.Path, newNS, oldNS map[string]string) field.ErrorList {
	for _, k := range sortedKeys(oldNS) {
		if v2, ok := newNS[k]; !ok || oldNS[k] != v2 {
			return field.ErrorList{field.Invalid(fldPath, newNS, "only additions to spec.nodeSelector are allowed (no mutations or deletions)")}
		}
	}
	return nil
}

// validateNodeAffinityMutation mirrors validateNodeAffinityMutation.
func validateNodeAffinityMutation(p *field.Path, newNA, oldNA *corev1.NodeAffinity) field.ErrorList {
	var allErrs field.ErrorList
	if oldNA == nil || oldNA.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return allErrs
	}
	oldTerms := oldNA.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	var newTerms []corev1.NodeSelectorTerm
	if newNA != nil && newNA.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		newTerms = newNA.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	}
	tp := p.Child("requiredDuringSchedulingIgnoredDuringExecution").Child("nodeSelectorTerms")
	if len(oldTerms) > 0 && len(oldTerms) != len(newTerms) {
		return append(allErrs, field.Invalid(tp, toInternal[[]internalNodeSelectorTerm](newTerms), "no additions/deletions to non-empty NodeSelectorTerms list are allowed"))
	}
	for i := range oldTerms {
		if !nodeSelectorTermHasOnlyAdditions(newTerms[i], oldTerms[i]) {
			allErrs = append(allErrs, field.Invalid(tp.Index(i), toInternal[internalNodeSelectorTerm](newTerms[i]), "only additions are allowed (no mutations or deletions)"))
		}
	}
	return allErrs
}

func nodeSelectorTermHasOnlyAdditions(newTerm, oldTerm corev1.NodeSelectorTerm) bool {
	if len(oldTerm.MatchExpressions) == 0 && len(oldTerm.MatchFields) == 0 {
		if len(newTerm.MatchExpressions) > 0 || len(newTerm.MatchFields) > 0 {
			return false
		}
	}
	if l := len(oldTerm.MatchExpressions); l > 0 {
		if len(newTerm.MatchExpressions) < l || !apiequality.Semantic.DeepEqual(newTerm.MatchExpressions[:l], oldTerm.MatchExpressions) {
			return false
		}
	}
	if l := len(oldTerm.MatchFields); l > 0 {
		if len(newTerm.MatchFields) < l || !apiequality.Semantic.DeepEqual(newTerm.MatchFields[:l], oldTerm.MatchFields) {
			return false
		}
	}
	return true
}

func validateOnlyAddedTolerations(newT, oldT []corev1.Toleration, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	for _, old := range oldT {
		found := false
		clone := old.DeepCopy()
		for _, n := range newT {
			clone.TolerationSeconds = n.TolerationSeconds
			if apiequality.Semantic.DeepEqual(*clone, n) {
				found = true
				break
			}
		}
		if !found {
			return append(allErrs, field.Forbidden(fldPath, "existing toleration can not be modified except its tolerationSeconds"))
		}
	}
	return append(allErrs, validateTolerations(newT, fldPath)...)
}

func validateOnlyDeletedSchedulingGates(newGates, oldGates []corev1.PodSchedulingGate, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	// Upstream keys a map by gate name (last index wins) and ranges over it
	// in random order; Ephemera reports in index order.
	additional := map[string]int{}
	for i, g := range newGates {
		additional[g.Name] = i
	}
	for _, g := range oldGates {
		delete(additional, g.Name)
	}
	for i, g := range newGates {
		if idx, ok := additional[g.Name]; ok && idx == i {
			allErrs = append(allErrs, field.Forbidden(fldPath.Index(i).Child("name"), fmt.Sprintf("only deletion is allowed, but found new scheduling gate '%s'", g.Name)))
		}
	}
	return allErrs
}

// validatePodEphemeralContainersUpdate mirrors
// ValidatePodEphemeralContainersUpdate (validation.go:6455-6486), rules 1-3.
func validatePodEphemeralContainersUpdate(newPod, oldPod *corev1.Pod, opts podOpts) field.ErrorList {
	fldPath := field.NewPath("metadata")
	allErrs := validateObjectMetaUpdate(&newPod.ObjectMeta, &oldPod.ObjectMeta, fldPath)
	allErrs = append(allErrs, validatePodMetadataAndSpec(newPod, opts)...)
	allErrs = append(allErrs, validatePodSpecificAnnotationUpdates(newPod, oldPod, fldPath.Child("annotations"), opts)...)

	// Static pods: one error at field "" (rendered "[]"), replacing all others.
	if _, ok := oldPod.Annotations[mirrorPodAnnotationKey]; ok {
		return field.ErrorList{field.Forbidden(field.NewPath(""), "static pods do not support ephemeral containers")}
	}

	newIndex := map[string]*corev1.EphemeralContainer{}
	specPath := field.NewPath("spec").Child("ephemeralContainers")
	for i := range newPod.Spec.EphemeralContainers {
		newIndex[newPod.Spec.EphemeralContainers[i].Name] = &newPod.Spec.EphemeralContainers[i]
	}
	for _, old := range oldPod.Spec.EphemeralContainers {
		if n, ok := newIndex[old.Name]; !ok {
			allErrs = append(allErrs, field.Forbidden(specPath, fmt.Sprintf("existing ephemeral containers %q may not be removed\n", old.Name)))
		} else if !apiequality.Semantic.DeepEqual(old, *n) {
			d := diff.Diff(toInternal[internalEphemeralContainer](old), toInternal[internalEphemeralContainer](*n))
			allErrs = append(allErrs, field.Forbidden(specPath, fmt.Sprintf("existing ephemeral containers %q may not be changed\n%v", old.Name, d)))
		}
	}
	return allErrs
}

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

// validateRunAsIDs checks runAsUser and runAsGroup, the same way at pod and
// container level (validatePodSpecSecurityContext, ValidateSecurityContext).
func validateRunAsIDs(user, group *int64, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if user != nil {
		for _, msg := range validation.IsValidUserID(*user) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("runAsUser"), *user, msg))
		}
	}
	if group != nil {
		for _, msg := range validation.IsValidGroupID(*group) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("runAsGroup"), *group, msg))
		}
	}
	return allErrs
}
