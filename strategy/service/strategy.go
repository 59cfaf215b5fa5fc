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

// Package service holds the rules of core/v1 services: the strategies of
// services and services/status (pkg/registry/core/service/strategy.go), the
// warnings of pkg/api/service/warnings.go and field selection. Cluster IPs
// and node ports are allocated by the registry (registry/service).
package service

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/ephemera-dev/ephemera/internal/fieldlabel"
	"github.com/ephemera-dev/ephemera/strategy/validation"
)

type serviceStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	// DeclarativePass: upstream embeds rest.DeclarativeValidation.
	validation.DeclarativePass
}

// NewStrategy returns the create/update strategy of services.
func NewStrategy(typer runtime.ObjectTyper) serviceStrategy {
	return serviceStrategy{typer, names.SimpleNameGenerator, validation.DeclarativePass{}}
}

// NamespaceScoped is true.
func (serviceStrategy) NamespaceScoped() bool { return true }

// GetResetFields: the main endpoint does not write status.
func (serviceStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{"v1": fieldpath.NewSet(fieldpath.MakePathOrDie("status"))}
}

// PrepareForCreate clears the status.
func (serviceStrategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	obj.(*corev1.Service).Status = corev1.ServiceStatus{}
}

// PrepareForUpdate keeps the status and drops what the new type does not
// use (dropTypeDependentFields).
func (serviceStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newSvc, oldSvc := obj.(*corev1.Service), old.(*corev1.Service)
	newSvc.Status = oldSvc.Status
	dropTypeDependentFields(newSvc, oldSvc)
}

// Validate mirrors validation.ValidateServiceCreate.
func (serviceStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateServiceCreate(obj.(*corev1.Service))
}

// WarningsOnCreate mirrors GetWarningsForService.
func (serviceStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string {
	return Warnings(obj.(*corev1.Service), nil)
}

// Canonicalize does nothing.
func (serviceStrategy) Canonicalize(obj runtime.Object) {}

// AllowCreateOnUpdate is true: a PUT may create a service.
func (serviceStrategy) AllowCreateOnUpdate(ctx context.Context) bool { return true }

// ValidateUpdate mirrors validation.ValidateServiceUpdate.
func (serviceStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateServiceUpdate(obj.(*corev1.Service), old.(*corev1.Service))
}

// WarningsOnUpdate mirrors GetWarningsForService.
func (serviceStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return Warnings(obj.(*corev1.Service), old.(*corev1.Service))
}

// AllowUnconditionalUpdate is true.
func (serviceStrategy) AllowUnconditionalUpdate(ctx context.Context) bool { return true }

type serviceStatusStrategy struct{ serviceStrategy }

// NewStatusStrategy returns the update strategy of services/status.
func NewStatusStrategy(typer runtime.ObjectTyper) serviceStatusStrategy {
	return serviceStatusStrategy{NewStrategy(typer)}
}

// GetResetFields: services/status never writes spec.
func (serviceStatusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{"v1": fieldpath.NewSet(fieldpath.MakePathOrDie("spec"))}
}

// PrepareForUpdate keeps the spec.
func (serviceStatusStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	obj.(*corev1.Service).Spec = old.(*corev1.Service).Spec
}

// ValidateUpdate mirrors validation.ValidateServiceStatusUpdate.
func (serviceStatusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateServiceStatusUpdate(obj.(*corev1.Service), old.(*corev1.Service))
}

// WarningsOnUpdate warns about load-balancer IPs with leading zeros.
func (serviceStatusStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	var warnings []string
	p := field.NewPath("status", "loadBalancer", "ingress")
	for i, ing := range obj.(*corev1.Service).Status.LoadBalancer.Ingress {
		if ing.IP != "" {
			warnings = append(warnings, utilvalidation.GetWarningsForIP(p.Index(i), ing.IP)...)
		}
	}
	return warnings
}

// Warnings mirrors pkg/api/service/warnings.go GetWarningsForService.
func Warnings(svc, oldSvc *corev1.Service) []string {
	if svc == nil {
		return nil
	}
	var warnings []string
	spec := field.NewPath("spec")
	if _, ok := svc.Annotations[corev1.DeprecatedAnnotationTopologyAwareHints]; ok {
		warnings = append(warnings, fmt.Sprintf("annotation %s is deprecated, please use %s instead",
			corev1.DeprecatedAnnotationTopologyAwareHints, corev1.AnnotationTopologyMode))
	}
	if svc.Spec.ClusterIP != "" && svc.Spec.ClusterIP != corev1.ClusterIPNone { // helper.IsServiceIPSet
		for i, ip := range svc.Spec.ClusterIPs {
			warnings = append(warnings, utilvalidation.GetWarningsForIP(spec.Child("clusterIPs").Index(i), ip)...)
		}
	}
	headless := svc.Spec.Type == corev1.ServiceTypeClusterIP && svc.Spec.ClusterIP == corev1.ClusterIPNone
	if headless {
		if svc.Spec.LoadBalancerIP != "" {
			warnings = append(warnings, "spec.loadBalancerIP is ignored for headless services")
		}
		if len(svc.Spec.ExternalIPs) > 0 {
			warnings = append(warnings, "spec.externalIPs is ignored for headless services")
		}
		if svc.Spec.SessionAffinity != corev1.ServiceAffinityNone {
			warnings = append(warnings, "spec.SessionAffinity is ignored for headless services")
		}
	}
	for i, ip := range svc.Spec.ExternalIPs {
		warnings = append(warnings, utilvalidation.GetWarningsForIP(spec.Child("externalIPs").Index(i), ip)...)
	}
	if len(svc.Spec.ExternalIPs) > 0 && !headless && svc.Spec.Type != corev1.ServiceTypeExternalName {
		warnings = append(warnings, "spec.externalIPs is deprecated and may no longer be implemented in some clusters")
	}
	if svc.Spec.LoadBalancerIP != "" {
		warnings = append(warnings, utilvalidation.GetWarningsForIP(spec.Child("loadBalancerIP"), svc.Spec.LoadBalancerIP)...)
	}
	for i, cidr := range svc.Spec.LoadBalancerSourceRanges {
		warnings = append(warnings, utilvalidation.GetWarningsForCIDR(spec.Child("loadBalancerSourceRanges").Index(i), cidr)...)
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName && len(svc.Spec.ExternalIPs) > 0 {
		warnings = append(warnings, fmt.Sprintf("spec.externalIPs is ignored when spec.type is %q", corev1.ServiceTypeExternalName))
	}
	if svc.Spec.Type != corev1.ServiceTypeExternalName && svc.Spec.ExternalName != "" {
		warnings = append(warnings, fmt.Sprintf("spec.externalName is ignored when spec.type is not %q", corev1.ServiceTypeExternalName))
	}
	if td := svc.Spec.TrafficDistribution; td != nil && *td == corev1.ServiceTrafficDistributionPreferClose {
		warnings = append(warnings, fmt.Sprintf("spec.trafficDistribution: %q is deprecated; use %q",
			corev1.ServiceTrafficDistributionPreferClose, corev1.ServiceTrafficDistributionPreferSameZone))
	}
	return warnings
}

// dropTypeDependentFields mirrors the upstream function: fields that only
// the old type used, and that the update left unchanged, are cleared.
func dropTypeDependentFields(newSvc, oldSvc *corev1.Service) {
	needsClusterIP := func(s *corev1.Service) bool { return s.Spec.Type != corev1.ServiceTypeExternalName }
	needsNodePort := func(s *corev1.Service) bool {
		return s.Spec.Type == corev1.ServiceTypeNodePort || s.Spec.Type == corev1.ServiceTypeLoadBalancer
	}
	if needsClusterIP(oldSvc) && !needsClusterIP(newSvc) {
		if oldSvc.Spec.ClusterIP == newSvc.Spec.ClusterIP && slices.Equal(oldSvc.Spec.ClusterIPs, newSvc.Spec.ClusterIPs) {
			newSvc.Spec.ClusterIP = ""
			newSvc.Spec.ClusterIPs = nil
		}
		if reflect.DeepEqual(oldSvc.Spec.IPFamilies, newSvc.Spec.IPFamilies) {
			newSvc.Spec.IPFamilies = nil
		}
		if policy(oldSvc) == policy(newSvc) {
			newSvc.Spec.IPFamilyPolicy = nil
		}
	}
	if needsNodePort(oldSvc) && !needsNodePort(newSvc) && nodePorts(oldSvc).IsSuperset(nodePorts(newSvc)) {
		for i := range newSvc.Spec.Ports {
			newSvc.Spec.Ports[i].NodePort = 0
		}
	}
	if validation.NeedsHealthCheck(oldSvc) && !validation.NeedsHealthCheck(newSvc) && oldSvc.Spec.HealthCheckNodePort == newSvc.Spec.HealthCheckNodePort {
		newSvc.Spec.HealthCheckNodePort = 0
	}
	if oldSvc.Spec.Type == corev1.ServiceTypeLoadBalancer && newSvc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		if o, n := oldSvc.Spec.AllocateLoadBalancerNodePorts, newSvc.Spec.AllocateLoadBalancerNodePorts; o != nil && n != nil && *o == *n {
			newSvc.Spec.AllocateLoadBalancerNodePorts = nil
		}
		if o, n := oldSvc.Spec.LoadBalancerClass, newSvc.Spec.LoadBalancerClass; (o == nil && n == nil) || (o != nil && n != nil && *o == *n) {
			newSvc.Spec.LoadBalancerClass = nil
		}
	}
	if validation.ExternallyAccessible(oldSvc) && !validation.ExternallyAccessible(newSvc) && oldSvc.Spec.ExternalTrafficPolicy == newSvc.Spec.ExternalTrafficPolicy {
		newSvc.Spec.ExternalTrafficPolicy = ""
	}
	if newSvc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		newSvc.Status.LoadBalancer = corev1.LoadBalancerStatus{}
	}
}

func policy(s *corev1.Service) corev1.IPFamilyPolicy {
	if s.Spec.IPFamilyPolicy == nil {
		return ""
	}
	return *s.Spec.IPFamilyPolicy
}

func nodePorts(s *corev1.Service) sets.Set[int32] {
	out := sets.New[int32]()
	for _, p := range s.Spec.Ports {
		if p.NodePort != 0 {
			out.Insert(p.NodePort)
		}
	}
	return out
}

// ToSelectableFields mirrors service.SelectableFields.
func ToSelectableFields(svc *corev1.Service) fields.Set {
	return generic.MergeFieldsSets(generic.ObjectMetaFieldsSet(&svc.ObjectMeta, true), fields.Set{
		"spec.clusterIP": svc.Spec.ClusterIP,
		"spec.type":      string(svc.Spec.Type),
	})
}

// GetAttrs mirrors service.GetAttrs.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return nil, nil, fmt.Errorf("not a service")
	}
	return labels.Set(svc.Labels), ToSelectableFields(svc), nil
}

// Match mirrors service.Matcher.
func Match(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{Label: label, Field: field, GetAttrs: GetAttrs}
}

// FieldLabelConversion mirrors AddFieldLabelConversionsForService.
var FieldLabelConversion = fieldlabel.Conversion("metadata.namespace", "metadata.name", "spec.clusterIP", "spec.type")
