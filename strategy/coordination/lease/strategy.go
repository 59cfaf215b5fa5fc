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

// Package lease holds the rules of coordination.k8s.io/v1 leases: their
// create/update strategy (pkg/registry/coordination/lease/strategy.go),
// validation (pkg/apis/coordination/validation) and field selection.
package lease

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ephemera-dev/ephemera/strategy/validation"
	coordinationv1 "k8s.io/api/coordination/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/names"
)

type leaseStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	// DeclarativePass: upstream embeds rest.DeclarativeValidation.
	validation.DeclarativePass
}

// NewStrategy returns the create/update strategy of leases.
func NewStrategy(typer runtime.ObjectTyper) leaseStrategy {
	return leaseStrategy{typer, names.SimpleNameGenerator, validation.DeclarativePass{}}
}

// NamespaceScoped is true.
func (leaseStrategy) NamespaceScoped() bool { return true }

// PrepareForCreate drops strategy and preferredHolder: the
// CoordinatedLeaderElection gate is off in v1.37.
func (leaseStrategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	l := obj.(*coordinationv1.Lease)
	l.Spec.Strategy = nil
	l.Spec.PreferredHolder = nil
}

// PrepareForUpdate drops strategy and preferredHolder unless the stored
// lease has them.
func (leaseStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	l, o := obj.(*coordinationv1.Lease), old.(*coordinationv1.Lease)
	if o.Spec.Strategy == nil {
		l.Spec.Strategy = nil
	}
	if o.Spec.PreferredHolder == nil {
		l.Spec.PreferredHolder = nil
	}
}

// Validate mirrors validation.ValidateLease.
func (leaseStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	l := obj.(*coordinationv1.Lease)
	allErrs := apimachineryvalidation.ValidateObjectMeta(&l.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	return append(allErrs, validateSpec(&l.Spec, field.NewPath("spec"))...)
}

// WarningsOnCreate returns nothing.
func (leaseStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string { return nil }

// Canonicalize does nothing.
func (leaseStrategy) Canonicalize(obj runtime.Object) {}

// AllowCreateOnUpdate is true: a PUT may create a lease.
func (leaseStrategy) AllowCreateOnUpdate(ctx context.Context) bool { return true }

// ValidateUpdate mirrors validation.ValidateLeaseUpdate.
func (leaseStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	l, o := obj.(*coordinationv1.Lease), old.(*coordinationv1.Lease)
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&l.ObjectMeta, &o.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, validateSpec(&l.Spec, field.NewPath("spec"))...)
}

// WarningsOnUpdate returns nothing.
func (leaseStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// AllowUnconditionalUpdate is false: an update must carry the
// resourceVersion it read, so that two holders cannot both win.
func (leaseStrategy) AllowUnconditionalUpdate(ctx context.Context) bool { return false }

var validLeaseStrategies = []coordinationv1.CoordinatedLeaseStrategy{coordinationv1.OldestEmulationVersion}

// validateSpec mirrors ValidateLeaseSpec.
func validateSpec(spec *coordinationv1.LeaseSpec, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if spec.LeaseDurationSeconds != nil && *spec.LeaseDurationSeconds <= 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("leaseDurationSeconds"), spec.LeaseDurationSeconds, "must be greater than 0"))
	}
	if spec.LeaseTransitions != nil && *spec.LeaseTransitions < 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("leaseTransitions"), spec.LeaseTransitions, "must be greater than or equal to 0"))
	}
	if spec.Strategy != nil {
		p := fldPath.Child("strategy").Child("strategy")
		s := *spec.Strategy
		if !strings.Contains(string(s), "/") {
			if !slices.Contains(validLeaseStrategies, s) {
				allErrs = append(allErrs, field.NotSupported(p, s, validLeaseStrategies))
			}
		} else {
			for _, msg := range utilvalidation.IsQualifiedName(string(s)) {
				allErrs = append(allErrs, field.Invalid(p, s, msg))
			}
		}
	}
	if spec.PreferredHolder != nil && *spec.PreferredHolder != "" && (spec.Strategy == nil || *spec.Strategy == "") {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("preferredHolder"), "may only be specified if `strategy` is defined"))
	}
	return allErrs
}

// GetAttrs returns the object-meta fields (leases have none of their own).
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	l, ok := obj.(*coordinationv1.Lease)
	if !ok {
		return nil, nil, fmt.Errorf("not a lease")
	}
	return labels.Set(l.Labels), generic.ObjectMetaFieldsSet(&l.ObjectMeta, true), nil
}

// Match is the selection predicate of leases.
func Match(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{Label: label, Field: field, GetAttrs: GetAttrs}
}
