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
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

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
