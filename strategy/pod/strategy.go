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

package pod

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/operation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"
	"k8s.io/kubectl/pkg/util/qos"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/ephemera-dev/ephemera/strategy/validation"
)

// podStrategy mirrors podStrategy in k8s.io/kubernetes/pkg/registry/core/pod/strategy.go.
// Options carries the server-wide validation settings (--allow-privileged).
type podStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	Options validation.Options
}

var (
	_ rest.RESTCreateStrategy         = podStrategy{}
	_ rest.RESTUpdateStrategy         = podStrategy{}
	_ rest.RESTDeleteStrategy         = podStrategy{}
	_ rest.RESTGracefulDeleteStrategy = podStrategy{}
	_ rest.ResetFieldsStrategy        = podStrategy{}
)

// NewStrategy returns the strategy for plain pod create/update/delete.
// An optional validation.Options sets server-wide validation flags; the
// zero value matches kube-apiserver's defaults (--allow-privileged=false).
func NewStrategy(typer runtime.ObjectTyper, opts ...validation.Options) podStrategy {
	s := podStrategy{ObjectTyper: typer, NameGenerator: names.SimpleNameGenerator}
	if len(opts) > 0 {
		s.Options = opts[0]
	}
	return s
}

// NamespaceScoped is true for pods.
func (podStrategy) NamespaceScoped() bool { return true }

// ValidateDeclaratively makes the pod strategies a
// rest.DeclarativeValidationStrategy, as upstream's podStrategy is through
// rest.DeclarativeValidation. Pods' declarative rules (pkg/apis/core/v1/
// zz_generated.validations.go) report nothing the handwritten ones do not
// in 1.37 (checked against envtest), but merging the handwritten errors there drops exact
// repeats: an error that both rest.BeforeUpdate's validateCommonFields and the
// strategy report (e.g. metadata.deletionGracePeriodSeconds: field is
// immutable) reaches the client once.
func (podStrategy) ValidateDeclaratively(_ context.Context, _, _ runtime.Object, errs field.ErrorList, _ operation.Type, _ rest.DeclarativeValidationConfig) field.ErrorList {
	return validation.Dedupe(errs)
}

// DeclarativeValidationConfig implements rest.DeclarativeValidationStrategy.
func (podStrategy) DeclarativeValidationConfig(context.Context, runtime.Object, runtime.Object) rest.DeclarativeValidationConfig {
	return rest.DeclarativeValidationConfig{}
}

// GetResetFields: the main endpoint never lets users write status.
func (podStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		"v1": fieldpath.NewSet(fieldpath.MakePathOrDie("status")),
	}
}

// PrepareForCreate mirrors podStrategy.PrepareForCreate: generation 1, a
// fresh Pending status, disabled-gate drops, the scheduling-gated condition,
// matchLabelKeys merging, the AppArmor annotation sync, pod-level resource
// defaulting (PodLevelResourcesFixDefaulting moved it here from SetDefaults_Pod)
// and the QoS class.
func (podStrategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	pod := obj.(*corev1.Pod)
	pod.Generation = 1
	pod.Status = corev1.PodStatus{Phase: corev1.PodPending}
	dropDisabledPodFields(pod, nil)
	applySchedulingGatedCondition(pod)
	mutatePodAffinity(pod)
	mutateTopologySpreadConstraints(pod)
	applyAppArmorVersionSkew(ctx, pod)
	defaultPodLevelResources(pod)
	// Upstream's qos.GetPodQOS returns the stored class when set; status was
	// just reset, so it computes the class. kubectl's qos.ComputePodQOS is
	// upstream's ComputePodQOS (pkg/apis/core/helper/qos) for v1 pods with
	// PodLevelResources and PodLevelResourcesFixKubeletQOSClass on, as in
	// 1.37: pod-level cpu/memory/hugepages decide when set, otherwise init
	// and regular containers (never ephemeral ones).
	pod.Status.QOSClass = qos.ComputePodQOS(pod)
}

// PrepareForUpdate mirrors podStrategy.PrepareForUpdate: status is kept,
// pod-level resources survive clients that drop them, and the generation is
// bumped on a spec change.
func (podStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newPod := obj.(*corev1.Pod)
	oldPod := old.(*corev1.Pod)
	newPod.Status = oldPod.Status
	if newPod.Spec.Resources == nil && oldPod.Spec.Resources != nil {
		newPod.Spec.Resources = oldPod.Spec.Resources.DeepCopy()
	}
	dropDisabledPodFields(newPod, oldPod)
	updatePodGeneration(newPod, oldPod)
}

// Validate mirrors podStrategy.Validate.
func (s podStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidatePodCreate(obj.(*corev1.Pod), s.Options)
}

// WarningsOnCreate mirrors podStrategy.WarningsOnCreate: the hostname
// warning, then the pod warnings (see podWarnings for what is covered).
func (podStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string {
	pod := obj.(*corev1.Pod)
	var warnings []string
	if msgs := utilvalidation.IsDNS1123Label(pod.Name); len(msgs) != 0 {
		warnings = append(warnings, fmt.Sprintf("metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: %v", msgs))
	}
	return append(warnings, podWarnings(pod)...)
}

// Canonicalize is a no-op for pods.
func (podStrategy) Canonicalize(obj runtime.Object) {}

// AllowCreateOnUpdate is false for pods.
func (podStrategy) AllowCreateOnUpdate(ctx context.Context) bool { return false }

// ValidateUpdate mirrors podStrategy.ValidateUpdate.
func (s podStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidatePodUpdate(obj.(*corev1.Pod), old.(*corev1.Pod), s.Options)
}

// WarningsOnUpdate returns nothing, as upstream (pod updates are high-frequency).
func (podStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// AllowUnconditionalUpdate allows PUT without resourceVersion.
func (podStrategy) AllowUnconditionalUpdate(ctx context.Context) bool { return true }

// CheckGracefulDelete mirrors podStrategy.CheckGracefulDelete: the grace
// period is the request's, else spec.terminationGracePeriodSeconds (else 0);
// pods that are not scheduled or already terminated go at once (0); a
// negative value becomes 1.
func (podStrategy) CheckGracefulDelete(ctx context.Context, obj runtime.Object, options *metav1.DeleteOptions) bool {
	if options == nil {
		return false
	}
	pod := obj.(*corev1.Pod)
	period := int64(0)
	if options.GracePeriodSeconds != nil {
		period = *options.GracePeriodSeconds
	} else if pod.Spec.TerminationGracePeriodSeconds != nil {
		period = *pod.Spec.TerminationGracePeriodSeconds
	}
	if len(pod.Spec.NodeName) == 0 {
		period = 0
	}
	if pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
		period = 0
	}
	if period < 0 {
		period = 1
	}
	options.GracePeriodSeconds = &period
	return true
}

// podStatusStrategy mirrors podStatusStrategy (pods/status).
type podStatusStrategy struct {
	podStrategy
}

// NewStatusStrategy returns the update strategy of pods/status.
func NewStatusStrategy(typer runtime.ObjectTyper, opts ...validation.Options) podStatusStrategy {
	return podStatusStrategy{NewStrategy(typer, opts...)}
}

// GetResetFields: pods/status never writes spec, deletionTimestamp or ownerReferences.
func (podStatusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		"v1": fieldpath.NewSet(
			fieldpath.MakePathOrDie("spec"),
			fieldpath.MakePathOrDie("metadata", "deletionTimestamp"),
			fieldpath.MakePathOrDie("metadata", "ownerReferences"),
		),
	}
}

// PrepareForUpdate mirrors podStatusStrategy.PrepareForUpdate.
func (podStatusStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newPod := obj.(*corev1.Pod)
	oldPod := old.(*corev1.Pod)
	newPod.Spec = oldPod.Spec
	newPod.DeletionTimestamp = nil
	// Old kubelets corrupt owner references; status updates never touch them.
	newPod.OwnerReferences = oldPod.OwnerReferences
	// The QoS class is immutable; backfill it for clients that drop it.
	if newPod.Status.QOSClass == "" {
		newPod.Status.QOSClass = oldPod.Status.QOSClass
	}
	// Keep DRA status fields that unaware clients strip (nil only; an empty
	// slice still clears).
	if newPod.Status.ResourceClaimStatuses == nil && oldPod.Status.ResourceClaimStatuses != nil {
		newPod.Status.ResourceClaimStatuses = oldPod.Status.ResourceClaimStatuses
	}
	if newPod.Status.ExtendedResourceClaimStatus == nil && oldPod.Status.ExtendedResourceClaimStatus != nil {
		newPod.Status.ExtendedResourceClaimStatus = oldPod.Status.ExtendedResourceClaimStatus
	}
	if newPod.Status.NodeAllocatableResourceClaimStatuses == nil && oldPod.Status.NodeAllocatableResourceClaimStatuses != nil {
		newPod.Status.NodeAllocatableResourceClaimStatuses = oldPod.Status.NodeAllocatableResourceClaimStatuses
	}
	preserveOldObservedGeneration(newPod, oldPod)
	dropDisabledPodFields(newPod, oldPod)
}

// preserveOldObservedGeneration mirrors strategy.go: a cleared
// observedGeneration (pod or per condition type, in order) keeps its old value.
func preserveOldObservedGeneration(newPod, oldPod *corev1.Pod) {
	if newPod.Status.ObservedGeneration == 0 {
		newPod.Status.ObservedGeneration = oldPod.Status.ObservedGeneration
	}
	oldGens := map[corev1.PodConditionType][]int64{}
	for _, c := range oldPod.Status.Conditions {
		oldGens[c.Type] = append(oldGens[c.Type], c.ObservedGeneration)
	}
	for i, c := range newPod.Status.Conditions {
		oldGen := int64(0)
		if gens := oldGens[c.Type]; len(gens) > 0 {
			oldGen = gens[0]
			oldGens[c.Type] = gens[1:]
		}
		if c.ObservedGeneration == 0 {
			newPod.Status.Conditions[i].ObservedGeneration = oldGen
		}
	}
}

// ValidateUpdate mirrors podStatusStrategy.ValidateUpdate.
func (s podStatusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidatePodStatusUpdate(obj.(*corev1.Pod), old.(*corev1.Pod), s.Options)
}

// WarningsOnUpdate mirrors podStatusStrategy.WarningsOnUpdate (IP warnings).
func (podStatusStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	pod := obj.(*corev1.Pod)
	var warnings []string
	for i, ip := range pod.Status.PodIPs {
		warnings = append(warnings, utilvalidation.GetWarningsForIP(field.NewPath("status", "podIPs").Index(i).Child("ip"), ip.IP)...)
	}
	for i, ip := range pod.Status.HostIPs {
		warnings = append(warnings, utilvalidation.GetWarningsForIP(field.NewPath("status", "hostIPs").Index(i).Child("ip"), ip.IP)...)
	}
	return warnings
}

// podEphemeralContainersStrategy mirrors podEphemeralContainersStrategy
// (pkg/registry/core/pod/strategy.go: the strategy of
// pods/ephemeralcontainers).
type podEphemeralContainersStrategy struct {
	podStrategy
	resetFieldsFilter fieldpath.Filter
}

var _ rest.ResetFieldsFilterStrategy = podEphemeralContainersStrategy{}

// NewEphemeralContainersStrategy returns the update strategy of
// pods/ephemeralcontainers.
func NewEphemeralContainersStrategy(typer runtime.ObjectTyper, opts ...validation.Options) podEphemeralContainersStrategy {
	return podEphemeralContainersStrategy{
		podStrategy: NewStrategy(typer, opts...),
		resetFieldsFilter: fieldpath.NewIncludeMatcherFilter(
			fieldpath.MakePrefixMatcherOrDie("spec", "ephemeralContainers"),
		),
	}
}

// dropNonEphemeralContainerUpdates mirrors strategy.go: everything except
// spec.ephemeralContainers (and the metadata ResetObjectMetaForStatus leaves
// alone) is taken from the old pod.
func dropNonEphemeralContainerUpdates(newPod, oldPod *corev1.Pod) *corev1.Pod {
	ecs := newPod.Spec.EphemeralContainers
	newPod.Spec = oldPod.Spec
	newPod.Status = oldPod.Status
	metav1.ResetObjectMetaForStatus(&newPod.ObjectMeta, &oldPod.ObjectMeta)
	newPod.Spec.EphemeralContainers = ecs
	return newPod
}

// PrepareForUpdate mirrors podEphemeralContainersStrategy.PrepareForUpdate.
func (podEphemeralContainersStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newPod := obj.(*corev1.Pod)
	oldPod := old.(*corev1.Pod)
	*newPod = *dropNonEphemeralContainerUpdates(newPod, oldPod)
	dropDisabledPodFields(newPod, oldPod)
	updatePodGeneration(newPod, oldPod)
}

// ValidateUpdate mirrors podEphemeralContainersStrategy.ValidateUpdate.
func (s podEphemeralContainersStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidatePodEphemeralContainersUpdate(obj.(*corev1.Pod), old.(*corev1.Pod), s.Options)
}

// WarningsOnUpdate returns nothing, as upstream.
func (podEphemeralContainersStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// GetResetFieldsFilter mirrors upstream: only spec.ephemeralContainers is
// kept. Note: kube-apiserver never consults it, because its
// EphemeralContainersREST (pkg/registry/core/pod/storage/storage.go) implements neither reset-fields interface; the
// registry must not expose it to get the upstream managedFields behaviour.
func (s podEphemeralContainersStrategy) GetResetFieldsFilter() map[fieldpath.APIVersion]fieldpath.Filter {
	return map[fieldpath.APIVersion]fieldpath.Filter{"v1": s.resetFieldsFilter}
}
