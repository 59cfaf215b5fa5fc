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

	"github.com/ephemera-dev/ephemera/strategy/admissionregistration"
)

type binding = *admissionregistrationv1.MutatingAdmissionPolicyBinding

// ParamKindGetter returns the paramKind of the named policy (nil if it has none).
type ParamKindGetter = admissionregistration.ParamKindGetter

// Strategy is the create, update and delete strategy of bindings.
type Strategy = admissionregistration.Strategy[binding]

// NewStrategy returns the strategy: the generation follows the spec; a
// binding is validated and, if it is well-formed, the user must be allowed
// to read the params it refers to (params authorizes the paramRef against
// the paramKind of the bound policy, which paramKind looks up); names with
// the static-manifest suffix are refused on create and warned about on
// update.
func NewStrategy(scheme *runtime.Scheme, params admissionregistration.ParamAuthorizer, paramKind ParamKindGetter) *Strategy {
	return admissionregistration.NewStrategy(scheme, admissionregistration.Kind[binding]{
		Changed: func(b, old binding) bool { return !equality.Semantic.DeepEqual(old.Spec, b.Spec) },
		Validate: func(ctx context.Context, b binding) field.ErrorList {
			errs := append(admissionregistration.ValidateMutatingAdmissionPolicyBinding(b), admissionregistration.ValidateStaticSuffix(b.Name)...)
			return params.CheckParamRef(ctx, errs, b.Spec.PolicyName, b.Spec.ParamRef, paramKind)
		},
		ValidateUpdate: func(ctx context.Context, b, _ binding) field.ErrorList {
			errs := admissionregistration.ValidateMutatingAdmissionPolicyBinding(b)
			return params.CheckParamRef(ctx, errs, b.Spec.PolicyName, b.Spec.ParamRef, paramKind)
		},
		WarningsOnUpdate: func(b binding) []string { return admissionregistration.WarningsForStaticSuffix(b.Name) },
	})
}
