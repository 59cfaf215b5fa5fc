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
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Container validation. Everything here mirrors the functions of the same
// (lower-cased) name in K/pkg/apis/core/validation/validation.go (v1.37.2);
// messages, paths and value types are kept identical because they are API.

// validateContainers mirrors validateContainers (regular containers).
func validateContainers(containers []corev1.Container, os *corev1.PodOS, volumes map[string]corev1.VolumeSource, podClaimNames sets.Set[string], gracePeriod *int64, fldPath *field.Path, opts podOpts, podRestartPolicy *corev1.RestartPolicy, hostUsers bool) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(containers) == 0 {
		return append(allErrs, field.Required(fldPath, ""))
	}
	allNames := sets.Set[string]{}
	for i := range containers {
		ctr := &containers[i]
		p := fldPath.Index(i)
		allErrs = append(allErrs, validateContainerCommon(ctr, volumes, podClaimNames, p, opts, podRestartPolicy, hostUsers)...)
		// Collisions with init/ephemeral names are reported by those lists.
		if allNames.Has(ctr.Name) {
			allErrs = append(allErrs, field.Duplicate(p.Child("name"), ctr.Name))
		} else {
			allNames.Insert(ctr.Name)
		}
		if ctr.Lifecycle != nil {
			allErrs = append(allErrs, validateLifecycle(ctr.Lifecycle, gracePeriod, p.Child("lifecycle"), os)...)
		}
		allErrs = append(allErrs, validateLivenessProbe(ctr.LivenessProbe, gracePeriod, p.Child("livenessProbe"))...)
		allErrs = append(allErrs, validateReadinessProbe(ctr.ReadinessProbe, gracePeriod, p.Child("readinessProbe"))...)
		allErrs = append(allErrs, validateStartupProbe(ctr.StartupProbe, gracePeriod, p.Child("startupProbe"))...)
		// ContainerRestartRules is beta and on by default in 1.37.
		allErrs = append(allErrs, validateContainerRestartPolicy(ctr.RestartPolicy, ctr.RestartPolicyRules, p, opts)...)
	}
	allErrs = append(allErrs, checkHostPortConflicts(containers, fldPath)...)
	return allErrs
}

// validateInitContainers mirrors validateInitContainers.
func validateInitContainers(containers []corev1.Container, os *corev1.PodOS, regularContainers []corev1.Container, volumes map[string]corev1.VolumeSource, podClaimNames sets.Set[string], gracePeriod *int64, fldPath *field.Path, opts podOpts, podRestartPolicy *corev1.RestartPolicy, hostUsers bool) field.ErrorList {
	var allErrs field.ErrorList
	allNames := sets.Set[string]{}
	for _, ctr := range regularContainers {
		allNames.Insert(ctr.Name)
	}
	for i := range containers {
		ctr := &containers[i]
		idxPath := fldPath.Index(i)
		allErrs = append(allErrs, validateContainerCommon(ctr, volumes, podClaimNames, idxPath, opts, podRestartPolicy, hostUsers)...)

		restartAlways := false
		allErrs = append(allErrs, validateInitContainerRestartPolicy(ctr.RestartPolicy, ctr.RestartPolicyRules, idxPath, opts)...)
		if ctr.RestartPolicy != nil {
			restartAlways = *ctr.RestartPolicy == corev1.ContainerRestartPolicyAlways
		}
		if allNames.Has(ctr.Name) {
			allErrs = append(allErrs, field.Duplicate(idxPath.Child("name"), ctr.Name))
		} else if len(ctr.Name) > 0 {
			allNames.Insert(ctr.Name)
		}
		// Init containers run one by one: conflicts only within one container.
		allErrs = append(allErrs, checkHostPortConflicts([]corev1.Container{*ctr}, fldPath)...)

		if restartAlways {
			if ctr.Lifecycle != nil {
				allErrs = append(allErrs, validateLifecycle(ctr.Lifecycle, gracePeriod, idxPath.Child("lifecycle"), os)...)
			}
			allErrs = append(allErrs, validateLivenessProbe(ctr.LivenessProbe, gracePeriod, idxPath.Child("livenessProbe"))...)
			allErrs = append(allErrs, validateReadinessProbe(ctr.ReadinessProbe, gracePeriod, idxPath.Child("readinessProbe"))...)
			allErrs = append(allErrs, validateStartupProbe(ctr.StartupProbe, gracePeriod, idxPath.Child("startupProbe"))...)
		} else {
			const msg = "may not be set for init containers without restartPolicy=Always"
			if ctr.Lifecycle != nil {
				allErrs = append(allErrs, field.Forbidden(idxPath.Child("lifecycle"), msg))
			}
			if ctr.LivenessProbe != nil {
				allErrs = append(allErrs, field.Forbidden(idxPath.Child("livenessProbe"), msg))
			}
			if ctr.ReadinessProbe != nil {
				allErrs = append(allErrs, field.Forbidden(idxPath.Child("readinessProbe"), msg))
			}
			if ctr.StartupProbe != nil {
				allErrs = append(allErrs, field.Forbidden(idxPath.Child("startupProbe"), msg))
			}
		}
		if !opts.AllowSidecarResizePolicy && len(ctr.ResizePolicy) > 0 {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("resizePolicy"), toInternal[[]internalContainerResizePolicy](ctr.ResizePolicy), "must not be set for init containers"))
		}
		if !restartAlways && !opts.AllowExistingRestartContainerForNonSidecarInitContainer {
			for j, p := range ctr.ResizePolicy {
				if p.RestartPolicy == corev1.RestartContainer {
					allErrs = append(allErrs, field.Invalid(fldPath.Index(i).Child("resizePolicy").Index(j).Child("restartPolicy"), p.RestartPolicy, "must not be set to 'RestartContainer' for non-sidecar initContainers"))
				}
			}
		}
	}
	return allErrs
}

// validateInitContainerRestartPolicy mirrors validateInitContainerRestartPolicy
// with ContainerRestartRules and RestartAllContainersOnContainerExits on (both
// beta and enabled in 1.37): any set policy goes through the common checks.
func validateInitContainerRestartPolicy(restartPolicy *corev1.ContainerRestartPolicy, restartRules []corev1.ContainerRestartRule, fldPath *field.Path, opts podOpts) field.ErrorList {
	var allErrors field.ErrorList
	if restartPolicy == nil {
		if len(restartRules) > 0 {
			allErrors = append(allErrors, field.Required(fldPath.Child("restartPolicy"), "must specify restartPolicy when restart rules are used"))
		}
		return allErrors
	}
	return validateContainerRestartPolicy(restartPolicy, restartRules, fldPath, opts)
}

var supportedContainerRestartPolicies = sets.New(corev1.ContainerRestartPolicyAlways, corev1.ContainerRestartPolicyNever, corev1.ContainerRestartPolicyOnFailure)
var supportedContainerRestartPolicyOperators = sets.New(corev1.ContainerRestartRuleOnExitCodesOpIn, corev1.ContainerRestartRuleOnExitCodesOpNotIn)

// validateContainerRestartPolicy mirrors validateContainerRestartPolicy.
func validateContainerRestartPolicy(policy *corev1.ContainerRestartPolicy, rules []corev1.ContainerRestartRule, fldPath *field.Path, opts podOpts) field.ErrorList {
	var allErrs field.ErrorList
	restartPolicyFld := fldPath.Child("restartPolicy")
	if policy == nil {
		if len(rules) == 0 {
			return allErrs
		}
		allErrs = append(allErrs, field.Required(restartPolicyFld, "must specify restartPolicy when restart rules are used"))
	} else if !supportedContainerRestartPolicies.Has(*policy) {
		allErrs = append(allErrs, field.NotSupported(restartPolicyFld, *policy, sets.List(supportedContainerRestartPolicies)))
	}
	if len(rules) > 20 {
		allErrs = append(allErrs, field.TooMany(fldPath.Child("restartPolicyRules"), len(rules), 20))
	}
	// RestartAllContainersOnContainerExits is beta and on in 1.37.
	allowedActions := sets.New(corev1.ContainerRestartRuleActionRestart, corev1.ContainerRestartRuleAction("RestartAllContainers"))
	for i, rule := range rules {
		p := fldPath.Child("restartPolicyRules").Index(i)
		if !allowedActions.Has(rule.Action) {
			allErrs = append(allErrs, field.NotSupported(p.Child("action"), rule.Action, sets.List(allowedActions)))
		}
		if rule.ExitCodes != nil {
			ep := p.Child("exitCodes")
			if !supportedContainerRestartPolicyOperators.Has(rule.ExitCodes.Operator) {
				allErrs = append(allErrs, field.NotSupported(ep.Child("operator"), rule.ExitCodes.Operator, sets.List(supportedContainerRestartPolicyOperators)))
			}
			if len(rule.ExitCodes.Values) > 255 {
				allErrs = append(allErrs, field.TooMany(ep.Child("values"), len(rule.ExitCodes.Values), 255))
			}
		} else {
			allErrs = append(allErrs, field.Required(p.Child("exitCodes"), "must be specified"))
		}
	}
	return allErrs
}

// validateContainerOnlyForPod mirrors validateContainerOnlyForPod.
func validateContainerOnlyForPod(ctr *corev1.Container, p *field.Path) field.ErrorList {
	if len(ctr.Image) != len(strings.TrimSpace(ctr.Image)) {
		return field.ErrorList{field.Invalid(p.Child("image"), ctr.Image, "must not have leading or trailing whitespace")}
	}
	return nil
}

// validateContainerCommon mirrors validateContainerCommon
// (validation.go:3998-4039): rules 10-31 of the catalog.
func validateContainerCommon(ctr *corev1.Container, volumes map[string]corev1.VolumeSource, podClaimNames sets.Set[string], p *field.Path, opts podOpts, podRestartPolicy *corev1.RestartPolicy, hostUsers bool) field.ErrorList {
	var allErrs field.ErrorList
	namePath := p.Child("name")
	if len(ctr.Name) == 0 {
		allErrs = append(allErrs, field.Required(namePath, ""))
	} else {
		allErrs = append(allErrs, validateDNS1123Label(ctr.Name, namePath)...)
	}
	if len(ctr.Image) == 0 {
		allErrs = append(allErrs, field.Required(p.Child("image"), ""))
	}
	switch ctr.TerminationMessagePolicy {
	case corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError:
	case "":
		allErrs = append(allErrs, field.Required(p.Child("terminationMessagePolicy"), ""))
	default:
		allErrs = append(allErrs, field.NotSupported(p.Child("terminationMessagePolicy"), ctr.TerminationMessagePolicy,
			[]corev1.TerminationMessagePolicy{corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError}))
	}
	volMounts := map[string]string{}
	for _, m := range ctr.VolumeMounts {
		volMounts[m.Name] = m.MountPath
	}
	volDevices := map[string]string{}
	for _, d := range ctr.VolumeDevices {
		volDevices[d.Name] = d.DevicePath
	}
	allErrs = append(allErrs, validateContainerPorts(ctr.Ports, p.Child("ports"))...)
	allErrs = append(allErrs, validateEnv(ctr.Env, p.Child("env"))...)
	allErrs = append(allErrs, validateEnvFrom(ctr.EnvFrom, p.Child("envFrom"))...)
	allErrs = append(allErrs, validateVolumeMounts(ctr.VolumeMounts, volDevices, volumes, ctr, p.Child("volumeMounts"))...)
	allErrs = append(allErrs, validateVolumeDevices(ctr.VolumeDevices, volMounts, volumes, p.Child("volumeDevices"))...)
	allErrs = append(allErrs, validatePullPolicy(ctr.ImagePullPolicy, p.Child("imagePullPolicy"))...)
	allErrs = append(allErrs, validateResourceRequirements(&ctr.Resources, validateContainerResourceName, podClaimNames, p.Child("resources"), opts)...)
	allErrs = append(allErrs, validateResizePolicy(ctr.ResizePolicy, p.Child("resizePolicy"), podRestartPolicy)...)
	allErrs = append(allErrs, validateSecurityContext(ctr.SecurityContext, p.Child("securityContext"), hostUsers, opts)...)
	return allErrs
}

var supportedPullPolicies = sets.New(corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever)

// validatePullPolicy mirrors validatePullPolicy.
func validatePullPolicy(policy corev1.PullPolicy, fldPath *field.Path) field.ErrorList {
	switch policy {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
		return field.ErrorList{}
	case "":
		return field.ErrorList{field.Required(fldPath, "")}
	default:
		return field.ErrorList{field.NotSupported(fldPath, policy, sets.List(supportedPullPolicies))}
	}
}

var supportedResizeResources = sets.New(corev1.ResourceCPU, corev1.ResourceMemory)
var supportedResizePolicies = sets.New(corev1.NotRequired, corev1.RestartContainer)

// validateResizePolicy mirrors validateResizePolicy (list-path quirks kept).
func validateResizePolicy(policyList []corev1.ContainerResizePolicy, fldPath *field.Path, podRestartPolicy *corev1.RestartPolicy) field.ErrorList {
	allErrs := field.ErrorList{}
	seen := map[corev1.ResourceName]bool{}
	for i, p := range policyList {
		if seen[p.ResourceName] {
			allErrs = append(allErrs, field.Duplicate(fldPath.Index(i), p.ResourceName))
		}
		seen[p.ResourceName] = true
		switch p.ResourceName {
		case corev1.ResourceCPU, corev1.ResourceMemory:
		case "":
			allErrs = append(allErrs, field.Required(fldPath, ""))
		default:
			allErrs = append(allErrs, field.NotSupported(fldPath, p.ResourceName, sets.List(supportedResizeResources)))
		}
		switch p.RestartPolicy {
		case corev1.NotRequired, corev1.RestartContainer:
		case "":
			allErrs = append(allErrs, field.Required(fldPath, ""))
		default:
			allErrs = append(allErrs, field.NotSupported(fldPath, p.RestartPolicy, sets.List(supportedResizePolicies)))
		}
		if *podRestartPolicy == corev1.RestartPolicyNever && p.RestartPolicy != corev1.NotRequired {
			allErrs = append(allErrs, field.Invalid(fldPath, p.RestartPolicy, "must be 'NotRequired' when pod `restartPolicy` is 'Never'"))
		}
	}
	return allErrs
}

// sortedResourceNames gives a deterministic order to ResourceList keys
// (upstream iterates the map in random order).
func sortedResourceNames(l corev1.ResourceList) []corev1.ResourceName {
	names := make([]corev1.ResourceName, 0, len(l))
	for k := range l {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
	return names
}
