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
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var validFSGroupChangePolicies = sets.New(corev1.FSGroupChangeOnRootMismatch, corev1.FSGroupChangeAlways)
var validSupplementalGroupsPolicies = sets.New(corev1.SupplementalGroupsPolicyMerge, corev1.SupplementalGroupsPolicyStrict)
var validSELinuxChangePolicies = sets.New(corev1.SELinuxChangePolicyRecursive, corev1.SELinuxChangePolicyMountOption)

// validatePodSpecSecurityContext mirrors validatePodSpecSecurityContext
// (sysctls only by name syntax).
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
	// validateSELinuxChangePolicy: with the SELinuxMount gate on (as in
	// v1.37.2) every valid policy is allowed (pkg/api/pod/util.go
	// useOnlyRecursiveSELinuxChangePolicy). Found missing by the
	// differential fuzzer (FINDINGS 18).
	if p := sc.SELinuxChangePolicy; p != nil && !validSELinuxChangePolicies.Has(*p) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("seLinuxChangePolicy"), *p, sets.List(validSELinuxChangePolicies)))
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
