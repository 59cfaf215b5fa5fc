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

// Package validatingadmissionpolicy holds the strategies of
// ValidatingAdmissionPolicies and their status, mirroring
// k8s.io/kubernetes/pkg/registry/admissionregistration/validatingadmissionpolicy.
package validatingadmissionpolicy

import (
	"context"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/ephemera-dev/ephemera/strategy/admissionregistration"
)

// Strategy is the create, update and delete strategy of policies.
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
	params admissionregistration.ParamAuthorizer
}

// NewStrategy returns the strategy; params authorizes paramKind.
func NewStrategy(scheme *runtime.Scheme, params admissionregistration.ParamAuthorizer) *Strategy {
	return &Strategy{rest.DeclarativeValidation{Scheme: scheme}, scheme, names.SimpleNameGenerator, params}
}

// NamespaceScoped is false.
func (*Strategy) NamespaceScoped() bool { return false }

// PrepareForCreate clears the status (a controller writes it) and starts the
// generation at 1.
func (*Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	p := obj.(*admissionregistrationv1.ValidatingAdmissionPolicy)
	p.Status = admissionregistrationv1.ValidatingAdmissionPolicyStatus{}
	p.Generation = 1
}

// PrepareForUpdate keeps the status and bumps the generation when the spec
// changes.
func (*Strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	p, oldP := obj.(*admissionregistrationv1.ValidatingAdmissionPolicy), old.(*admissionregistrationv1.ValidatingAdmissionPolicy)
	p.Status = oldP.Status
	if !equality.Semantic.DeepEqual(oldP.Spec, p.Spec) {
		p.Generation = oldP.Generation + 1
	}
}

// Validate validates a new policy and, if it is well-formed, that the user
// may read its params.
func (s *Strategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	p := obj.(*admissionregistrationv1.ValidatingAdmissionPolicy)
	errs := append(admissionregistration.ValidateValidatingAdmissionPolicy(p), admissionregistration.ValidateStaticSuffix(p.Name)...)
	if len(errs) == 0 {
		if err := s.params.AuthorizeParamKind(ctx, p.Spec.ParamKind); err != nil {
			errs = append(errs, field.Forbidden(field.NewPath("spec", "paramKind"), err.Error()))
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

// ValidateUpdate validates an update and, if the paramKind changed, that the
// user may read the new params.
func (s *Strategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	p, oldP := obj.(*admissionregistrationv1.ValidatingAdmissionPolicy), old.(*admissionregistrationv1.ValidatingAdmissionPolicy)
	errs := admissionregistration.ValidateValidatingAdmissionPolicyUpdate(p, oldP)
	if len(errs) == 0 && p.Spec.ParamKind != nil && (oldP.Spec.ParamKind == nil || *oldP.Spec.ParamKind != *p.Spec.ParamKind) {
		if err := s.params.AuthorizeParamKind(ctx, p.Spec.ParamKind); err != nil {
			errs = append(errs, field.Forbidden(field.NewPath("spec", "paramKind"), err.Error()))
		}
	}
	return errs
}

// WarningsOnUpdate warns about a reserved name.
func (*Strategy) WarningsOnUpdate(_ context.Context, obj, _ runtime.Object) []string {
	return admissionregistration.WarningsForStaticSuffix(obj.(*admissionregistrationv1.ValidatingAdmissionPolicy).Name)
}

// AllowUnconditionalUpdate is false.
func (*Strategy) AllowUnconditionalUpdate(context.Context) bool { return false }

// GetResetFields: users cannot set the status through the main resource.
func (*Strategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		"admissionregistration.k8s.io/v1": fieldpath.NewSet(fieldpath.MakePathOrDie("status")),
	}
}

// StatusStrategy is the update strategy of validatingadmissionpolicies/status.
type StatusStrategy struct {
	*Strategy
}

// NewStatusStrategy returns the status strategy.
func NewStatusStrategy(s *Strategy) StatusStrategy { return StatusStrategy{s} }

// PrepareForUpdate keeps the spec and the metadata a status update may not
// change; the generation stays.
func (StatusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	p, oldP := obj.(*admissionregistrationv1.ValidatingAdmissionPolicy), old.(*admissionregistrationv1.ValidatingAdmissionPolicy)
	p.Spec = oldP.Spec
	metav1.ResetObjectMetaForStatus(&p.ObjectMeta, &oldP.ObjectMeta)
}

// ValidateUpdate validates the status alone.
func (StatusStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return admissionregistration.ValidateValidatingAdmissionPolicyStatus(&obj.(*admissionregistrationv1.ValidatingAdmissionPolicy).Status)
}

// GetResetFields: a status update cannot change spec or metadata.
func (StatusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		"admissionregistration.k8s.io/v1": fieldpath.NewSet(fieldpath.MakePathOrDie("spec"), fieldpath.MakePathOrDie("metadata")),
	}
}
