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
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	unversionedvalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// The rules of core/v1 services (pkg/apis/core/validation/validation.go:
// ValidateServiceCreate, ValidateServiceUpdate, validateService and their
// helpers), with the v1.37 feature gates: RelaxedServiceNameValidation
// (beta, on: names are DNS-1123 labels, not DNS-1035 ones) and
// PreferSameTrafficDistribution (GA).

var (
	supportedSessionAffinityType = sets.New(corev1.ServiceAffinityClientIP, corev1.ServiceAffinityNone)
	supportedServiceType         = sets.New(corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort,
		corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName)
	supportedServiceInternalTrafficPolicy = sets.New(corev1.ServiceInternalTrafficPolicyCluster, corev1.ServiceInternalTrafficPolicyLocal)
	supportedServiceIPFamily              = sets.New(corev1.IPv4Protocol, corev1.IPv6Protocol)
	supportedServiceIPFamilyPolicy        = sets.New(corev1.IPFamilyPolicySingleStack,
		corev1.IPFamilyPolicyPreferDualStack, corev1.IPFamilyPolicyRequireDualStack)
	servicePortProtocols         = sets.New(corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP)
	validExternalTrafficPolicies = sets.New(corev1.ServiceExternalTrafficPolicyCluster, corev1.ServiceExternalTrafficPolicyLocal)
	supportedLoadBalancerIPMode  = sets.New(corev1.LoadBalancerIPModeVIP, corev1.LoadBalancerIPModeProxy)
	supportedTrafficDistribution = []string{corev1.ServiceTrafficDistributionPreferClose,
		corev1.ServiceTrafficDistributionPreferSameZone, corev1.ServiceTrafficDistributionPreferSameNode}
)

// maxClientIPServiceAffinitySeconds is core.MaxClientIPServiceAffinitySeconds.
const maxClientIPServiceAffinitySeconds = 86400

// ValidateServiceCreate mirrors validation.ValidateServiceCreate.
func ValidateServiceCreate(svc *corev1.Service) field.ErrorList {
	allErrs := validateObjectMeta(&svc.ObjectMeta, true, apimachineryvalidation.NameIsDNSLabel, field.NewPath("metadata"))
	return append(allErrs, validateService(svc, nil)...)
}

// ValidateServiceUpdate mirrors validation.ValidateServiceUpdate.
func ValidateServiceUpdate(svc, oldSvc *corev1.Service) field.ErrorList {
	allErrs := validateObjectMetaUpdate(&svc.ObjectMeta, &oldSvc.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateUpgradeDowngradeClusterIPs(oldSvc, svc)...)
	allErrs = append(allErrs, validateUpgradeDowngradeIPFamilies(oldSvc, svc)...)
	allErrs = append(allErrs, validateLoadBalancerClassField(oldSvc, svc)...)
	if NeedsHealthCheck(oldSvc) && NeedsHealthCheck(svc) && svc.Spec.HealthCheckNodePort != oldSvc.Spec.HealthCheckNodePort {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("spec", "healthCheckNodePort"), "field is immutable"))
	}
	return append(allErrs, validateService(svc, oldSvc)...)
}

// ValidateServiceStatusUpdate mirrors validation.ValidateServiceStatusUpdate.
func ValidateServiceStatusUpdate(svc, oldSvc *corev1.Service) field.ErrorList {
	allErrs := validateObjectMetaUpdate(&svc.ObjectMeta, &oldSvc.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, validateLoadBalancerStatus(&svc.Status.LoadBalancer, &oldSvc.Status.LoadBalancer, field.NewPath("status", "loadBalancer"), &svc.Spec)...)
}

// ValidateServiceClusterIPsRelatedFields mirrors the function of that name
// (the registry runs it again while allocating).
func ValidateServiceClusterIPsRelatedFields(svc, oldSvc *corev1.Service) field.ErrorList {
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return field.ErrorList{}
	}
	allErrs := field.ErrorList{}
	hasInvalidIPs := false
	specPath := field.NewPath("spec")
	clusterIPsField := specPath.Child("clusterIPs")
	ipFamiliesField := specPath.Child("ipFamilies")
	if svc.Spec.ClusterIP != "" {
		if len(svc.Spec.ClusterIPs) == 0 {
			allErrs = append(allErrs, field.Required(clusterIPsField, ""))
		} else if svc.Spec.ClusterIPs[0] != svc.Spec.ClusterIP {
			allErrs = append(allErrs, field.Invalid(clusterIPsField, svc.Spec.ClusterIPs, "first value must match `clusterIP`"))
		}
	} else if len(svc.Spec.ClusterIPs) != 0 {
		allErrs = append(allErrs, field.Invalid(clusterIPsField, svc.Spec.ClusterIPs, "must be empty when `clusterIP` is not specified"))
	}
	seen := sets.Set[corev1.IPFamily]{}
	for i, fam := range svc.Spec.IPFamilies {
		if !supportedServiceIPFamily.Has(fam) {
			allErrs = append(allErrs, field.NotSupported(ipFamiliesField.Index(i), fam, sets.List(supportedServiceIPFamily)))
		}
		if seen.Has(fam) {
			allErrs = append(allErrs, field.Duplicate(ipFamiliesField.Index(i), fam))
		}
		seen.Insert(fam)
	}
	if svc.Spec.IPFamilyPolicy != nil && !supportedServiceIPFamilyPolicy.Has(*svc.Spec.IPFamilyPolicy) {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("ipFamilyPolicy"), svc.Spec.IPFamilyPolicy, sets.List(supportedServiceIPFamilyPolicy)))
	}
	var existing []string
	if oldSvc != nil {
		existing = oldSvc.Spec.ClusterIPs
	}
	for i, ip := range svc.Spec.ClusterIPs {
		if i == 0 && ip == corev1.ClusterIPNone {
			if len(svc.Spec.ClusterIPs) > 1 {
				hasInvalidIPs = true
				allErrs = append(allErrs, field.Invalid(clusterIPsField, svc.Spec.ClusterIPs, "'None' must be the first and only value"))
			}
			continue
		}
		errs := validation.IsValidIPForLegacyField(clusterIPsField.Index(i), ip, strictIPCIDRValidation, existing)
		hasInvalidIPs = hasInvalidIPs || len(errs) != 0
		allErrs = append(allErrs, errs...)
	}
	if len(svc.Spec.ClusterIPs) > 2 {
		allErrs = append(allErrs, field.Invalid(clusterIPsField, svc.Spec.ClusterIPs, "may only hold up to 2 values"))
	}
	if hasInvalidIPs {
		return allErrs
	}
	if len(svc.Spec.ClusterIPs) > 1 {
		dual, err := netutils.IsDualStackIPStrings(svc.Spec.ClusterIPs)
		if err != nil {
			allErrs = append(allErrs, field.InternalError(clusterIPsField, fmt.Errorf("failed to check for dual stack with error:%v", err)))
		}
		if !dual {
			allErrs = append(allErrs, field.Invalid(clusterIPsField, svc.Spec.ClusterIPs, "may specify no more than one IP for each IP family"))
		}
	}
	if !IsHeadlessService(svc) && len(svc.Spec.ClusterIPs) > 0 && len(svc.Spec.IPFamilies) > 0 {
		for i, ip := range svc.Spec.ClusterIPs {
			if i > len(svc.Spec.IPFamilies)-1 {
				break
			}
			if svc.Spec.IPFamilies[i] == corev1.IPv4Protocol && netutils.IsIPv6String(ip) {
				allErrs = append(allErrs, field.Invalid(clusterIPsField.Index(i), ip, fmt.Sprintf("expected an IPv4 value as indicated by `ipFamilies[%v]`", i)))
			}
			if svc.Spec.IPFamilies[i] == corev1.IPv6Protocol && !netutils.IsIPv6String(ip) {
				allErrs = append(allErrs, field.Invalid(clusterIPsField.Index(i), ip, fmt.Sprintf("expected an IPv6 value as indicated by `ipFamilies[%v]`", i)))
			}
		}
	}
	return allErrs
}

// IsHeadlessService mirrors isHeadlessService: clusterIPs is exactly ["None"].
func IsHeadlessService(svc *corev1.Service) bool {
	return svc != nil && len(svc.Spec.ClusterIPs) == 1 && svc.Spec.ClusterIPs[0] == corev1.ClusterIPNone
}

// ExternallyAccessible mirrors pkg/api/service/util.go ExternallyAccessible.
func ExternallyAccessible(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer ||
		svc.Spec.Type == corev1.ServiceTypeNodePort ||
		(svc.Spec.Type == corev1.ServiceTypeClusterIP && len(svc.Spec.ExternalIPs) > 0)
}

// NeedsHealthCheck mirrors pkg/api/service/util.go NeedsHealthCheck.
func NeedsHealthCheck(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}

func validateService(svc, oldSvc *corev1.Service) field.ErrorList {
	var allErrs field.ErrorList
	metaPath := field.NewPath("metadata")
	hintsVal, hintsSet := svc.Annotations[corev1.DeprecatedAnnotationTopologyAwareHints]
	modeVal, modeSet := svc.Annotations[corev1.AnnotationTopologyMode]
	if modeSet && hintsSet && modeVal != hintsVal {
		allErrs = append(allErrs, field.Invalid(metaPath.Child("annotations").Key(corev1.AnnotationTopologyMode), modeVal,
			fmt.Sprintf("must match annotations[%s] when both are specified", corev1.DeprecatedAnnotationTopologyAwareHints)))
	}
	specPath := field.NewPath("spec")
	headless := IsHeadlessService(svc)
	if len(svc.Spec.Ports) == 0 && !headless && svc.Spec.Type != corev1.ServiceTypeExternalName {
		allErrs = append(allErrs, field.Required(specPath.Child("ports"), ""))
	}
	switch svc.Spec.Type {
	case corev1.ServiceTypeLoadBalancer:
		if headless {
			allErrs = append(allErrs, field.Invalid(specPath.Child("clusterIPs").Index(0), svc.Spec.ClusterIPs[0], "may not be set to 'None' for LoadBalancer services"))
		}
	case corev1.ServiceTypeNodePort:
		if headless {
			allErrs = append(allErrs, field.Invalid(specPath.Child("clusterIPs").Index(0), svc.Spec.ClusterIPs[0], "may not be set to 'None' for NodePort services"))
		}
	case corev1.ServiceTypeExternalName:
		if len(svc.Spec.ClusterIPs) > 0 {
			allErrs = append(allErrs, field.Forbidden(specPath.Child("clusterIPs"), "may not be set for ExternalName services"))
		}
		if len(svc.Spec.IPFamilies) > 0 {
			allErrs = append(allErrs, field.Forbidden(specPath.Child("ipFamilies"), "may not be set for ExternalName services"))
		}
		if svc.Spec.IPFamilyPolicy != nil {
			allErrs = append(allErrs, field.Forbidden(specPath.Child("ipFamilyPolicy"), "may not be set for ExternalName services"))
		}
		if cname := strings.TrimSuffix(svc.Spec.ExternalName, "."); cname != "" {
			for _, msg := range validation.IsDNS1123Subdomain(cname) {
				allErrs = append(allErrs, field.Invalid(specPath.Child("externalName"), cname, msg))
			}
		} else {
			allErrs = append(allErrs, field.Required(specPath.Child("externalName"), ""))
		}
	}
	names := sets.Set[string]{}
	portsPath := specPath.Child("ports")
	for i := range svc.Spec.Ports {
		allErrs = append(allErrs, validateServicePort(&svc.Spec.Ports[i], len(svc.Spec.Ports) > 1, names, portsPath.Index(i))...)
	}
	if svc.Spec.Selector != nil {
		allErrs = append(allErrs, unversionedvalidation.ValidateLabels(svc.Spec.Selector, specPath.Child("selector"))...)
	}
	switch {
	case svc.Spec.SessionAffinity == "":
		allErrs = append(allErrs, field.Required(specPath.Child("sessionAffinity"), ""))
	case !supportedSessionAffinityType.Has(svc.Spec.SessionAffinity):
		allErrs = append(allErrs, field.NotSupported(specPath.Child("sessionAffinity"), svc.Spec.SessionAffinity, sets.List(supportedSessionAffinityType)))
	}
	switch svc.Spec.SessionAffinity {
	case corev1.ServiceAffinityClientIP:
		allErrs = append(allErrs, validateClientIPAffinityConfig(svc.Spec.SessionAffinityConfig, specPath.Child("sessionAffinityConfig"))...)
	case corev1.ServiceAffinityNone:
		if svc.Spec.SessionAffinityConfig != nil {
			allErrs = append(allErrs, field.Forbidden(specPath.Child("sessionAffinityConfig"), fmt.Sprintf("must not be set when session affinity is %s", corev1.ServiceAffinityNone)))
		}
	}
	allErrs = append(allErrs, ValidateServiceClusterIPsRelatedFields(svc, oldSvc)...)

	ipPath := specPath.Child("externalIPs")
	var existingExternalIPs []string
	if oldSvc != nil {
		existingExternalIPs = oldSvc.Spec.ExternalIPs
	}
	for i, ip := range svc.Spec.ExternalIPs {
		if errs := validation.IsValidIPForLegacyField(ipPath.Index(i), ip, strictIPCIDRValidation, existingExternalIPs); len(errs) != 0 {
			allErrs = append(allErrs, errs...)
		} else {
			allErrs = append(allErrs, ValidateEndpointIP(ip, ipPath.Index(i))...)
		}
	}
	switch {
	case svc.Spec.Type == "":
		allErrs = append(allErrs, field.Required(specPath.Child("type"), ""))
	case !supportedServiceType.Has(svc.Spec.Type):
		allErrs = append(allErrs, field.NotSupported(specPath.Child("type"), svc.Spec.Type, sets.List(supportedServiceType)))
	}
	if svc.Spec.Type == corev1.ServiceTypeClusterIP {
		for i := range svc.Spec.Ports {
			if svc.Spec.Ports[i].NodePort != 0 {
				allErrs = append(allErrs, field.Forbidden(portsPath.Index(i).Child("nodePort"), "may not be used when `type` is 'ClusterIP'"))
			}
		}
	}
	nodePorts := map[corev1.ServicePort]bool{}
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.NodePort == 0 {
			continue
		}
		key := corev1.ServicePort{Protocol: p.Protocol, NodePort: p.NodePort}
		if nodePorts[key] {
			allErrs = append(allErrs, field.Duplicate(portsPath.Index(i).Child("nodePort"), p.NodePort))
		}
		nodePorts[key] = true
	}
	ports := map[internalServicePortKey]bool{}
	for i, p := range svc.Spec.Ports {
		key := internalServicePortKey{Protocol: string(p.Protocol), Port: p.Port}
		if ports[key] {
			allErrs = append(allErrs, field.Duplicate(portsPath.Index(i), key))
		}
		ports[key] = true
	}
	allErrs = append(allErrs, validateSourceRanges(svc, oldSvc)...)
	if svc.Spec.AllocateLoadBalancerNodePorts != nil && svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("allocateLoadBalancerNodePorts"), "may only be used when `type` is 'LoadBalancer'"))
	}
	if svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.AllocateLoadBalancerNodePorts == nil {
		allErrs = append(allErrs, field.Required(field.NewPath("allocateLoadBalancerNodePorts"), ""))
	}
	allErrs = append(allErrs, validateLoadBalancerClassField(nil, svc)...)
	allErrs = append(allErrs, validateServiceExternalTrafficPolicy(svc)...)
	allErrs = append(allErrs, validateServiceInternalTrafficFieldsValue(svc)...)
	if td := svc.Spec.TrafficDistribution; td != nil && !slices.Contains(supportedTrafficDistribution, *td) {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("trafficDistribution"), *td, supportedTrafficDistribution))
	}
	return allErrs
}

// internalServicePortKey mirrors the internal core.ServicePort upstream
// uses as the duplicate-port key: the error renders it as JSON without
// tags, e.g. {"Name":"","Protocol":"TCP","AppProtocol":null,"Port":80,
// "TargetPort":0,"NodePort":0}.
type internalServicePortKey struct {
	Name        string
	Protocol    string
	AppProtocol *string
	Port        int32
	TargetPort  intstr.IntOrString
	NodePort    int32
}

func validateServicePort(sp *corev1.ServicePort, requireName bool, names sets.Set[string], fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if requireName && sp.Name == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), ""))
	} else if sp.Name != "" {
		allErrs = append(allErrs, validateDNS1123Label(sp.Name, fldPath.Child("name"))...)
		if names.Has(sp.Name) {
			allErrs = append(allErrs, field.Duplicate(fldPath.Child("name"), sp.Name))
		} else {
			names.Insert(sp.Name)
		}
	}
	for _, msg := range validation.IsValidPortNum(int(sp.Port)) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("port"), sp.Port, msg))
	}
	if sp.Protocol == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("protocol"), ""))
	} else if !servicePortProtocols.Has(sp.Protocol) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("protocol"), sp.Protocol, sets.List(servicePortProtocols)))
	}
	allErrs = append(allErrs, validatePortNumOrName(sp.TargetPort, fldPath.Child("targetPort"))...)
	if sp.AppProtocol != nil {
		allErrs = append(allErrs, validateQualifiedName(*sp.AppProtocol, fldPath.Child("appProtocol"))...)
	}
	return allErrs
}
