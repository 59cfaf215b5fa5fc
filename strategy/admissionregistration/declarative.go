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

package admissionregistration

import (
	"context"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/operation"
	"k8s.io/apimachinery/pkg/api/validate"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Declarative validation. kube-apiserver v1.37 runs the validation generated
// from the +k8s: tags of k8s.io/api/admissionregistration/v1
// (k8s.io/kubernetes pkg/apis/admissionregistration/v1/zz_generated.validations.go)
// through k8s.io/apiserver's rest.DeclarativeValidation. The only rules it
// enforces for this group are two beta ones (DeclarativeValidationBeta is on
// by default): a ValidatingAdmissionPolicyBinding needs spec.policyName and
// spec.validationActions. The library then drops the handwritten errors
// marked as covered and appends the declarative ones, which changes their
// order and message. Registering these rules with the scheme and letting the
// strategies embed rest.DeclarativeValidation reproduces that exactly. The
// remaining generated rules are alpha (never enforced) and are left out.

// RegisterValidations adds the declarative validation of the group to scheme.
func RegisterValidations(scheme *runtime.Scheme) {
	scheme.AddValidationFunc((*admissionregistrationv1.ValidatingAdmissionPolicyBinding)(nil),
		func(ctx context.Context, op operation.Operation, obj, oldObj interface{}) field.ErrorList {
			if sub := op.Request.SubresourcePath(); sub != "/" {
				return field.ErrorList{field.InternalError(nil, fmt.Errorf("no validation found for %T, subresource: %v", obj, sub))}
			}
			b := obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding)
			var old *admissionregistrationv1.ValidatingAdmissionPolicyBinding
			if oldObj != nil {
				old = oldObj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding)
			}
			return validateBindingDeclaratively(ctx, op, b, old)
		})
}

// validateBindingDeclaratively mirrors
// Validate_ValidatingAdmissionPolicyBindingSpec: an unchanged field is not
// validated again on update.
func validateBindingDeclaratively(ctx context.Context, op operation.Operation, b, old *admissionregistrationv1.ValidatingAdmissionPolicyBinding) field.ErrorList {
	var errs field.ErrorList
	fldPath := field.NewPath("spec")
	if old == nil || op.Type != operation.Update || b.Spec.PolicyName != old.Spec.PolicyName {
		var oldName *string
		if old != nil {
			oldName = &old.Spec.PolicyName
		}
		errs = append(errs, validate.RequiredValue(ctx, op, fldPath.Child("policyName"), &b.Spec.PolicyName, oldName).MarkBeta().MarkShortCircuit()...)
	}
	var oldActions []admissionregistrationv1.ValidationAction
	if old != nil {
		oldActions = old.Spec.ValidationActions
	}
	if old == nil || op.Type != operation.Update || !equality.Semantic.DeepEqual(b.Spec.ValidationActions, oldActions) {
		errs = append(errs, validate.RequiredSlice(ctx, op, fldPath.Child("validationActions"), b.Spec.ValidationActions, oldActions).MarkBeta().MarkShortCircuit()...)
	}
	return errs
}
