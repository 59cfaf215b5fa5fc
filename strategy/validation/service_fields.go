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
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// Field-level service rules: session affinity, source ranges, traffic
// policies, the load balancer class and status, and cluster-IP and IP-family
// changes on update (pkg/apis/core/validation/validation.go).

func validateClientIPAffinityConfig(config *corev1.SessionAffinityConfig, fldPath *field.Path) field.ErrorList {
	when := fmt.Sprintf("when session affinity type is %s", corev1.ServiceAffinityClientIP)
	switch {
	case config == nil:
		return field.ErrorList{field.Required(fldPath, when)}
	case config.ClientIP == nil:
		return field.ErrorList{field.Required(fldPath.Child("clientIP"), when)}
	case config.ClientIP.TimeoutSeconds == nil:
		return field.ErrorList{field.Required(fldPath.Child("clientIP").Child("timeoutSeconds"), when)}
	}
	if t := *config.ClientIP.TimeoutSeconds; t <= 0 || t > maxClientIPServiceAffinitySeconds {
		return field.ErrorList{field.Invalid(fldPath.Child("clientIP").Child("timeoutSeconds"), t,
			fmt.Sprintf("must be greater than 0 and less than %d", maxClientIPServiceAffinitySeconds))}
	}
	return nil
}

func validateSourceRanges(svc, oldSvc *corev1.Service) field.ErrorList {
	var allErrs field.ErrorList
	if len(svc.Spec.LoadBalancerSourceRanges) > 0 {
		fieldPath := field.NewPath("spec").Child("LoadBalancerSourceRanges")
		if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
			allErrs = append(allErrs, field.Forbidden(fieldPath, "may only be used when `type` is 'LoadBalancer'"))
		}
		var existing []string
		if oldSvc != nil {
			for _, v := range oldSvc.Spec.LoadBalancerSourceRanges {
				existing = append(existing, strings.TrimSpace(v))
			}
		}
		for i, v := range svc.Spec.LoadBalancerSourceRanges {
			allErrs = append(allErrs, validation.IsValidCIDRForLegacyField(fieldPath.Index(i), strings.TrimSpace(v), strictIPCIDRValidation, existing)...)
		}
	} else if val, ok := svc.Annotations[corev1.AnnotationLoadBalancerSourceRangesKey]; ok {
		fieldPath := field.NewPath("metadata", "annotations").Key(corev1.AnnotationLoadBalancerSourceRangesKey)
		if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
			allErrs = append(allErrs, field.Forbidden(fieldPath, "may only be used when `type` is 'LoadBalancer'"))
		}
		if oldSvc == nil || oldSvc.Annotations[corev1.AnnotationLoadBalancerSourceRangesKey] != val {
			if val = strings.TrimSpace(val); val != "" {
				for _, v := range strings.Split(val, ",") {
					allErrs = append(allErrs, validation.IsValidCIDRForLegacyField(fieldPath, strings.TrimSpace(v), strictIPCIDRValidation, nil)...)
				}
			}
		}
	}
	return allErrs
}

func validateServiceExternalTrafficPolicy(svc *corev1.Service) field.ErrorList {
	allErrs := field.ErrorList{}
	fldPath := field.NewPath("spec")
	if !ExternallyAccessible(svc) {
		if svc.Spec.ExternalTrafficPolicy != "" {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("externalTrafficPolicy"), svc.Spec.ExternalTrafficPolicy,
				"may only be set for externally-accessible services"))
		}
	} else if svc.Spec.ExternalTrafficPolicy == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("externalTrafficPolicy"), ""))
	} else if !validExternalTrafficPolicies.Has(svc.Spec.ExternalTrafficPolicy) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("externalTrafficPolicy"),
			svc.Spec.ExternalTrafficPolicy, sets.List(validExternalTrafficPolicies)))
	}
	if !NeedsHealthCheck(svc) {
		if svc.Spec.HealthCheckNodePort != 0 {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("healthCheckNodePort"), svc.Spec.HealthCheckNodePort,
				"may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
		}
	} else if svc.Spec.HealthCheckNodePort == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("healthCheckNodePort"), ""))
	} else {
		for _, msg := range validation.IsValidPortNum(int(svc.Spec.HealthCheckNodePort)) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("healthCheckNodePort"), svc.Spec.HealthCheckNodePort, msg))
		}
	}
	return allErrs
}

func validateServiceInternalTrafficFieldsValue(svc *corev1.Service) field.ErrorList {
	allErrs := field.ErrorList{}
	p := field.NewPath("spec").Child("internalTrafficPolicy")
	if svc.Spec.InternalTrafficPolicy == nil {
		if svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer || svc.Spec.Type == corev1.ServiceTypeClusterIP {
			allErrs = append(allErrs, field.Required(p, ""))
		}
	} else if !supportedServiceInternalTrafficPolicy.Has(*svc.Spec.InternalTrafficPolicy) {
		allErrs = append(allErrs, field.NotSupported(p, *svc.Spec.InternalTrafficPolicy, sets.List(supportedServiceInternalTrafficPolicy)))
	}
	return allErrs
}

func validateLoadBalancerClassField(oldSvc, svc *corev1.Service) field.ErrorList {
	allErrs := field.ErrorList{}
	p := field.NewPath("spec", "loadBalancerClass")
	isLB := func(s *corev1.Service) bool { return s.Spec.Type == corev1.ServiceTypeLoadBalancer }
	if oldSvc != nil && isLB(oldSvc) && isLB(svc) {
		o, n := oldSvc.Spec.LoadBalancerClass, svc.Spec.LoadBalancerClass
		if (o == nil) != (n == nil) || (o != nil && *o != *n) {
			allErrs = append(allErrs, field.Invalid(p, svc.Spec.LoadBalancerClass, "may not change once set"))
		}
	}
	if isLB(svc) {
		if svc.Spec.LoadBalancerClass != nil {
			allErrs = append(allErrs, validateQualifiedName(*svc.Spec.LoadBalancerClass, p)...)
		}
	} else if svc.Spec.LoadBalancerClass != nil {
		allErrs = append(allErrs, field.Forbidden(p, "may only be used when `type` is 'LoadBalancer'"))
	}
	return allErrs
}

func validateUpgradeDowngradeClusterIPs(oldSvc, svc *corev1.Service) field.ErrorList {
	allErrs := field.ErrorList{}
	if svc.Spec.Type == corev1.ServiceTypeExternalName || oldSvc.Spec.Type == corev1.ServiceTypeExternalName {
		return allErrs
	}
	if IsHeadlessService(oldSvc) && IsHeadlessService(svc) {
		return allErrs
	}
	p := field.NewPath("spec", "clusterIPs")
	oldIPs, newIPs := oldSvc.Spec.ClusterIPs, svc.Spec.ClusterIPs
	switch {
	case len(oldIPs) == len(newIPs):
		for i, ip := range oldIPs {
			if ip != newIPs[i] {
				allErrs = append(allErrs, field.Invalid(p.Index(i), newIPs, "may not change once set"))
			}
		}
	case len(oldIPs) > len(newIPs):
		if len(newIPs) == 0 {
			allErrs = append(allErrs, field.Invalid(p.Index(0), newIPs, "primary clusterIP can not be unset"))
		}
		if len(oldIPs) > 0 && len(newIPs) > 0 && newIPs[0] != oldIPs[0] {
			allErrs = append(allErrs, field.Invalid(p.Index(0), newIPs, "may not change once set"))
		}
		if len(newIPs) == 1 && (svc.Spec.IPFamilyPolicy == nil || *svc.Spec.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "ipFamilyPolicy"), svc.Spec.IPFamilyPolicy, "must be set to 'SingleStack' when releasing the secondary clusterIP"))
		}
	default:
		if len(oldIPs) > 0 && newIPs[0] != oldIPs[0] {
			allErrs = append(allErrs, field.Invalid(p.Index(0), newIPs, "may not change once set"))
		}
	}
	return allErrs
}

func validateUpgradeDowngradeIPFamilies(oldSvc, svc *corev1.Service) field.ErrorList {
	allErrs := field.ErrorList{}
	if svc.Spec.Type == corev1.ServiceTypeExternalName || oldSvc.Spec.Type == corev1.ServiceTypeExternalName {
		return allErrs
	}
	oldHeadless, newHeadless := IsHeadlessService(oldSvc), IsHeadlessService(svc)
	if oldHeadless != newHeadless || newHeadless {
		return allErrs
	}
	p := field.NewPath("spec", "ipFamilies")
	oldF, newF := oldSvc.Spec.IPFamilies, svc.Spec.IPFamilies
	switch {
	case len(oldF) == len(newF):
		for i, f := range oldF {
			if f != newF[i] {
				allErrs = append(allErrs, field.Invalid(p.Index(0), newF, "may not change once set"))
			}
		}
	case len(oldF) > len(newF):
		if len(svc.Spec.ClusterIPs) == 0 {
			allErrs = append(allErrs, field.Invalid(p.Index(0), newF, "primary ipFamily can not be unset"))
		}
		if len(newF) > 0 && newF[0] != oldF[0] {
			allErrs = append(allErrs, field.Invalid(p.Index(0), svc.Spec.ClusterIPs, "may not change once set"))
		}
		if len(newF) == 1 && (svc.Spec.IPFamilyPolicy == nil || *svc.Spec.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "ipFamilyPolicy"), svc.Spec.IPFamilyPolicy, "must be set to 'SingleStack' when releasing the secondary ipFamily"))
		}
	default:
		if len(oldF) > 0 && len(newF) > 0 && newF[0] != oldF[0] {
			allErrs = append(allErrs, field.Invalid(p.Index(0), svc.Spec.ClusterIPs, "may not change once set"))
		}
	}
	return allErrs
}

func validateLoadBalancerStatus(status, oldStatus *corev1.LoadBalancerStatus, fldPath *field.Path, spec *corev1.ServiceSpec) field.ErrorList {
	allErrs := field.ErrorList{}
	ingrPath := fldPath.Child("ingress")
	if spec.Type != corev1.ServiceTypeLoadBalancer && len(status.Ingress) != 0 {
		return append(allErrs, field.Forbidden(ingrPath, "may only be used when `spec.type` is 'LoadBalancer'"))
	}
	var existing []string
	if oldStatus != nil {
		existing = []string{}
		for _, ing := range oldStatus.Ingress {
			if ing.IP != "" {
				existing = append(existing, ing.IP)
			}
		}
	}
	for i, ing := range status.Ingress {
		idx := ingrPath.Index(i)
		if ing.IP != "" {
			allErrs = append(allErrs, validation.IsValidIPForLegacyField(idx.Child("ip"), ing.IP, strictIPCIDRValidation, existing)...)
		}
		switch {
		case ing.IPMode == nil:
			if ing.IP != "" {
				allErrs = append(allErrs, field.Required(idx.Child("ipMode"), "must be specified when `ip` is set"))
			}
		case ing.IP == "":
			allErrs = append(allErrs, field.Forbidden(idx.Child("ipMode"), "may not be specified when `ip` is not set"))
		case !supportedLoadBalancerIPMode.Has(*ing.IPMode):
			allErrs = append(allErrs, field.NotSupported(idx.Child("ipMode"), ing.IPMode, sets.List(supportedLoadBalancerIPMode)))
		}
		if ing.Hostname != "" {
			for _, msg := range validation.IsDNS1123Subdomain(ing.Hostname) {
				allErrs = append(allErrs, field.Invalid(idx.Child("hostname"), ing.Hostname, msg))
			}
			if netutils.ParseIPSloppy(ing.Hostname) != nil {
				allErrs = append(allErrs, field.Invalid(idx.Child("hostname"), ing.Hostname, "must be a DNS name, not an IP address"))
			}
		}
	}
	return allErrs
}
