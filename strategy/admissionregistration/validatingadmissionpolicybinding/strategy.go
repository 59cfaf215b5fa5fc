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

// Package validatingadmissionpolicybinding holds the strategy of ValidatingAdmissionPolicyBindings, mirroring
// k8s.io/kubernetes/pkg/registry/admissionregistration/validatingadmissionpolicybinding.
package validatingadmissionpolicybinding

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
	// DeclarativeValidation runs the beta declarative rules of the binding
	// (see admissionregistration.RegisterValidations), as upstream does.
	rest.DeclarativeValidation
	runtime.ObjectTyper
	names.NameGenerator
	params    admissionregistration.ParamAuthorizer
	paramKind ParamKindGetter
}

// NewStrategy returns the strategy; params authorizes the paramRef against
// the paramKind of the bound policy, which paramKind looks up.
func NewStrategy(typer runtime.ObjectTyper, params admissionregistration.ParamAuthorizer, paramKind ParamKindGetter, scheme *runtime.Scheme) *Strategy {
	return &Strategy{rest.DeclarativeValidation{Scheme: scheme}, typer, names.SimpleNameGenerator, params, paramKind}
}

// NamespaceScoped is false.
func (*Strategy) NamespaceScoped() bool { return false }

// PrepareForCreate starts the generation at 1.
func (*Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding).Generation = 1
}

// PrepareForUpdate bumps the generation when the spec changes.
func (*Strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	b, oldB := obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding), old.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding)
	if !equality.Semantic.DeepEqual(oldB.Spec, b.Spec) {
		b.Generation = oldB.Generation + 1
	}
}

// Validate validates a new binding and, if it is well-formed, that the user
// may read the params it refers to.
func (s *Strategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	b := obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding)
	errs := append(admissionregistration.ValidateValidatingAdmissionPolicyBinding(b), admissionregistration.ValidateStaticSuffix(b.Name)...)
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
	b := obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding)
	errs := admissionregistration.ValidateValidatingAdmissionPolicyBinding(b)
	if len(errs) == 0 && b.Spec.ParamRef != nil {
		if err := s.params.AuthorizeParamRef(ctx, b.Spec.PolicyName, b.Spec.ParamRef, s.paramKind); err != nil {
			errs = append(errs, field.Forbidden(field.NewPath("spec", "paramRef"), err.Error()))
		}
	}
	return errs
}

// WarningsOnUpdate warns about a reserved name.
func (*Strategy) WarningsOnUpdate(_ context.Context, obj, _ runtime.Object) []string {
	return admissionregistration.WarningsForStaticSuffix(obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding).Name)
}

// AllowUnconditionalUpdate is false.
func (*Strategy) AllowUnconditionalUpdate(context.Context) bool { return false }
