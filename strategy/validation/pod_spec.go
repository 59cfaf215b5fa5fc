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
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	resourcehelper "k8s.io/component-helpers/resource"
)

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
// beta/on): windows and claims checks, resource names/quantities, and
// validatePodResourceConsistency: pod requests at least the containers'
// aggregate requests, pod hugepage limits at least their aggregate limits
// (both aggregates from k8s.io/component-helpers/resource, as upstream;
// FINDINGS 27), and every container limit at most the pod's. Upstream ranges
// over the maps; Ephemera sorts the names (the order is random there).
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
	pod := &corev1.Pod{Spec: *spec}
	aggregate := resourcehelper.AggregateContainerRequests(pod, resourcehelper.PodResourcesOptions{})
	for _, name := range sortedResourceNames(aggregate) {
		podRequest, ok := spec.Resources.Requests[name]
		if !ok {
			continue
		}
		if q := aggregate[name]; q.Cmp(podRequest) > 0 {
			allErrs = append(allErrs, field.Invalid(rp.Child("requests").Key(string(name)), podRequest.String(), fmt.Sprintf("must be greater than or equal to aggregate container requests of %s", q.String())))
		}
	}
	aggregate = resourcehelper.AggregateContainerLimits(pod, resourcehelper.PodResourcesOptions{})
	for _, name := range sortedResourceNames(aggregate) {
		podLimit, ok := spec.Resources.Limits[name]
		if !ok || !isHugePageResourceName(name) {
			continue
		}
		if q := aggregate[name]; q.Cmp(podLimit) > 0 {
			allErrs = append(allErrs, field.Invalid(rp.Child("limits").Key(string(name)), podLimit.String(), fmt.Sprintf("must be greater than or equal to aggregate container limits of %s", q.String())))
		}
	}
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
