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

// Package namespace holds the rules of core/v1 namespaces: the strategies of
// namespaces, namespaces/status and namespaces/finalize
// (pkg/registry/core/namespace/strategy.go), what deletion marks, and field
// selection.
package namespace

import (
	"context"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/ephemera-dev/ephemera/strategy/validation"
)

// namespaceStrategy mirrors k8s.io/kubernetes/pkg/registry/core/namespace/strategy.go.
type namespaceStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	// DeclarativePass: upstream embeds rest.DeclarativeValidation.
	validation.DeclarativePass
}

// NewStrategy returns the create/update strategy for namespaces.
func NewStrategy(typer runtime.ObjectTyper) namespaceStrategy {
	return namespaceStrategy{typer, names.SimpleNameGenerator, validation.DeclarativePass{}}
}

// NamespaceScoped is false: namespaces are cluster-scoped.
func (namespaceStrategy) NamespaceScoped() bool { return false }

// GetResetFields: the main endpoint does not write status.
func (namespaceStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{"v1": fieldpath.NewSet(fieldpath.MakePathOrDie("status"))}
}

// PrepareForCreate sets the Active phase and makes sure the "kubernetes"
// finalizer is present (appended after any user finalizers).
func (namespaceStrategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	ns := obj.(*corev1.Namespace)
	ns.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
	for _, f := range ns.Spec.Finalizers {
		if f == corev1.FinalizerKubernetes {
			return
		}
	}
	ns.Spec.Finalizers = append(ns.Spec.Finalizers, corev1.FinalizerKubernetes)
}

// PrepareForUpdate keeps spec.finalizers and status (use finalize/status).
func (namespaceStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newNs := obj.(*corev1.Namespace)
	oldNs := old.(*corev1.Namespace)
	newNs.Spec.Finalizers = oldNs.Spec.Finalizers
	newNs.Status = oldNs.Status
}

// Validate mirrors namespaceStrategy.Validate.
func (namespaceStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateNamespace(obj.(*corev1.Namespace))
}

// WarningsOnCreate returns nothing.
func (namespaceStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string {
	return nil
}

// Canonicalize re-applies the kubernetes.io/metadata.name label, which
// defaulting cannot set for generateName namespaces.
func (namespaceStrategy) Canonicalize(obj runtime.Object) {
	ns := obj.(*corev1.Namespace)
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[corev1.LabelMetadataName] = ns.Name
}

// AllowCreateOnUpdate is false for namespaces.
func (namespaceStrategy) AllowCreateOnUpdate(ctx context.Context) bool { return false }

// ValidateUpdate mirrors namespaceStrategy.ValidateUpdate.
func (namespaceStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	errs := validation.ValidateNamespace(obj.(*corev1.Namespace))
	return append(errs, validation.ValidateNamespaceUpdate(obj.(*corev1.Namespace), old.(*corev1.Namespace))...)
}

// WarningsOnUpdate returns nothing.
func (namespaceStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// AllowUnconditionalUpdate is true for namespaces.
func (namespaceStrategy) AllowUnconditionalUpdate(ctx context.Context) bool { return true }

// namespaceStatusStrategy mirrors namespaceStatusStrategy (namespaces/status).
type namespaceStatusStrategy struct{ namespaceStrategy }

// NewStatusStrategy returns the update strategy of namespaces/status.
func NewStatusStrategy(typer runtime.ObjectTyper) namespaceStatusStrategy {
	return namespaceStatusStrategy{NewStrategy(typer)}
}

// GetResetFields: namespaces/status never writes spec.
func (namespaceStatusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{"v1": fieldpath.NewSet(fieldpath.MakePathOrDie("spec"))}
}

// PrepareForUpdate keeps the spec.
func (namespaceStatusStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	obj.(*corev1.Namespace).Spec = old.(*corev1.Namespace).Spec
}

// ValidateUpdate mirrors validation.ValidateNamespaceStatusUpdate: metadata
// update rules, then the phase must agree with deletionTimestamp.
func (namespaceStatusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	newNs, oldNs := obj.(*corev1.Namespace), old.(*corev1.Namespace)
	errs := apimachineryvalidation.ValidateObjectMetaUpdate(&newNs.ObjectMeta, &oldNs.ObjectMeta, field.NewPath("metadata"))
	if newNs.DeletionTimestamp.IsZero() {
		if newNs.Status.Phase != corev1.NamespaceActive {
			errs = append(errs, field.Invalid(field.NewPath("status", "Phase"), newNs.Status.Phase, "may only be 'Active' if `deletionTimestamp` is empty"))
		}
	} else if newNs.Status.Phase != corev1.NamespaceTerminating {
		errs = append(errs, field.Invalid(field.NewPath("status", "Phase"), newNs.Status.Phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"))
	}
	return errs
}

// namespaceFinalizeStrategy mirrors namespaceFinalizeStrategy (namespaces/finalize).
type namespaceFinalizeStrategy struct{ namespaceStrategy }

// NewFinalizeStrategy returns the update strategy of namespaces/finalize.
func NewFinalizeStrategy(typer runtime.ObjectTyper) namespaceFinalizeStrategy {
	return namespaceFinalizeStrategy{NewStrategy(typer)}
}

// PrepareForUpdate keeps the status; spec.finalizers is what may change.
func (namespaceFinalizeStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	obj.(*corev1.Namespace).Status = old.(*corev1.Namespace).Status
}

// ValidateUpdate mirrors validation.ValidateNamespaceFinalizeUpdate for the
// metadata part. The per-finalizer name check (validateFinalizerName) lives
// in the validation package and is not exposed by its API yet.
func (namespaceFinalizeStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	newNs, oldNs := obj.(*corev1.Namespace), old.(*corev1.Namespace)
	return apimachineryvalidation.ValidateObjectMetaUpdate(&newNs.ObjectMeta, &oldNs.ObjectMeta, field.NewPath("metadata"))
}

// MarkTerminating applies what kube-apiserver's namespace REST Delete
// (pkg/registry/core/namespace/storage/storage.go, REST.Delete) does to a
// namespace that is not yet being deleted, inside its GuaranteedUpdate: set
// deletionTimestamp to now if unset, the phase to Terminating, and the
// garbage collector's finalizers the delete options ask for. The caller
// (registry) handles preconditions and the final removal once spec.finalizers
// is empty. It reports whether the object changed.
func MarkTerminating(ns *corev1.Namespace, now metav1.Time, options *metav1.DeleteOptions) bool {
	changed := false
	if ns.DeletionTimestamp.IsZero() {
		ns.DeletionTimestamp = &now
		changed = true
	}
	if ns.Status.Phase != corev1.NamespaceTerminating {
		ns.Status.Phase = corev1.NamespaceTerminating
		changed = true
	}
	has := sets.New(ns.Finalizers...)
	want := map[string]bool{
		metav1.FinalizerOrphanDependents: shouldHaveOrphanFinalizer(options, has.Has(metav1.FinalizerOrphanDependents)),
		metav1.FinalizerDeleteDependents: shouldHaveDeleteDependentsFinalizer(options, has.Has(metav1.FinalizerDeleteDependents)),
	}
	// Upstream rebuilds the list from a map, in no fixed order; here the
	// finalizers already there keep their order and new ones follow.
	var finalizers []string
	for _, f := range ns.Finalizers {
		if keep, managed := want[f]; !managed || keep {
			finalizers = append(finalizers, f)
		}
	}
	for _, f := range []string{metav1.FinalizerOrphanDependents, metav1.FinalizerDeleteDependents} {
		if want[f] && !has.Has(f) {
			finalizers = append(finalizers, f)
		}
	}
	if !slices.Equal(finalizers, ns.Finalizers) {
		ns.Finalizers = finalizers
		changed = true
	}
	return changed
}

// shouldHaveOrphanFinalizer mirrors the function of that name in REST.Delete:
// the deprecated orphanDependents wins over propagationPolicy; neither keeps
// what the namespace has.
func shouldHaveOrphanFinalizer(options *metav1.DeleteOptions, have bool) bool {
	//lint:ignore SA1019 upstream still honours the deprecated field first
	if o := options.OrphanDependents; o != nil {
		return *o
	}
	if p := options.PropagationPolicy; p != nil {
		return *p == metav1.DeletePropagationOrphan
	}
	return have
}

// shouldHaveDeleteDependentsFinalizer mirrors the function of that name in
// REST.Delete (foreground deletion).
func shouldHaveDeleteDependentsFinalizer(options *metav1.DeleteOptions, have bool) bool {
	//lint:ignore SA1019 upstream still honours the deprecated field first
	if o := options.OrphanDependents; o != nil {
		return !*o
	}
	if p := options.PropagationPolicy; p != nil {
		return *p == metav1.DeletePropagationForeground
	}
	return have
}
