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

// Package mutatingadmissionpolicybinding holds the strategy of MutatingAdmissionPolicyBindings, mirroring
// k8s.io/kubernetes/pkg/registry/admissionregistration/mutatingadmissionpolicybinding.
package mutatingadmissionpolicybinding

import (
	"context"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"

	"github.com/ephemera-dev/ephemera/strategy/admissionregistration"
)

// ParamKindGetter returns the paramKind of the named policy (nil if it has none).
type ParamKindGetter func(ctx context.Context, policyName string) (*admissionregistrationv1.ParamKind, error)

// Strategy is the create, update and delete strategy of bindings.
type Strategy struct {
	// DeclarativeValidation: upstream's strategy embeds
	// rest.DeclarativeValidation, whose pass over the handwritten errors
	// (k8s.io/apiserver pkg/registry/rest/validate.go,
	// ValidateDeclarativelyWithMigrationChecks: FilterCoveredHandwrittenErrors,
	// field.ErrorList.Filter) drops repeated identical errors; the
	// generated rules of this type are alpha and never enforced.
	rest.DeclarativeValidation
	runtime.ObjectTyper
	names.NameGenerator
	params    admissionregistration.ParamAuthorizer
	paramKind ParamKindGetter
}

// NewStrategy returns the strategy; params authorizes the paramRef against
// the paramKind of the bound policy, which paramKind looks up.
func NewStrategy(scheme *runtime.Scheme, params admissionregistration.ParamAuthorizer, paramKind ParamKindGetter) *Strategy {
	return &Strategy{rest.DeclarativeValidation{Scheme: scheme}, scheme, names.SimpleNameGenerator, params, paramKind}
}

// NamespaceScoped is false.
func (*Strategy) NamespaceScoped() bool { return false }

// PrepareForCreate starts the generation at 1.
func (*Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	obj.(*admissionregistrationv1.MutatingAdmissionPolicyBinding).Generation = 1
}

// PrepareForUpdate bumps the generation when the spec changes.
func (*Strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	b, oldB := obj.(*admissionregistrationv1.MutatingAdmissionPolicyBinding), old.(*admissionregistrationv1.MutatingAdmissionPolicyBinding)
	if !equality.Semantic.DeepEqual(oldB.Spec, b.Spec) {
		b.Generation = oldB.Generation + 1
	}
}

// Validate validates a new binding and, if it is well-formed, that the user
// may read the params it refers to.
func (s *Strategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	b := obj.(*admissionregistrationv1.MutatingAdmissionPolicyBinding)
	errs := append(admissionregistration.ValidateMutatingAdmissionPolicyBinding(b), admissionregistration.ValidateStaticSuffix(b.Name)...)
	if len(errs) == 0 && b.Spec.ParamRef != nil {
		if err := s.params.AuthorizeParamRef(ctx, b.Spec.PolicyName, b.Spec.ParamRef, s.paramKind); err != nil {
			errs = append(errs, field.Forbidden(field.NewPath("spec", "paramRef"), err.Error()))
		}
	}
	return errs
}

// WarningsOnCreate has nothing to say: reserved names are refused.
func (*Strategy) WarningsOnCreate(context.Context, runtime.Object) []string { return nil }

// Canonicalize does nothing.
func (*Strategy) Canonicalize(runtime.Object) {}

// AllowCreateOnUpdate is false.
func (*Strategy) AllowCreateOnUpdate(context.Context) bool { return false }

// ValidateUpdate validates the binding as on create and authorizes the
// paramRef again. Upstream skips that when old and new paramRef compare
// equal with ==, but the paramRef holds pointers (parameterNotFoundAction is
// required) that two decoded objects never share, so it always checks.
func (s *Strategy) ValidateUpdate(ctx context.Context, obj, _ runtime.Object) field.ErrorList {
	b := obj.(*admissionregistrationv1.MutatingAdmissionPolicyBinding)
	errs := admissionregistration.ValidateMutatingAdmissionPolicyBinding(b)
	if len(errs) == 0 && b.Spec.ParamRef != nil {
		if err := s.params.AuthorizeParamRef(ctx, b.Spec.PolicyName, b.Spec.ParamRef, s.paramKind); err != nil {
			errs = append(errs, field.Forbidden(field.NewPath("spec", "paramRef"), err.Error()))
		}
	}
	return errs
}

// WarningsOnUpdate warns about a reserved name.
func (*Strategy) WarningsOnUpdate(_ context.Context, obj, _ runtime.Object) []string {
	return admissionregistration.WarningsForStaticSuffix(obj.(*admissionregistrationv1.MutatingAdmissionPolicyBinding).Name)
}

// AllowUnconditionalUpdate is false.
func (*Strategy) AllowUnconditionalUpdate(context.Context) bool { return false }
