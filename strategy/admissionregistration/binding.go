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
	"fmt"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/validate/content"
	genericvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/mutating/patch"
	"k8s.io/client-go/util/jsonpath"
)

// Policy bindings, mutating admission policies and the policy status,
// mirroring k8s.io/kubernetes/pkg/apis/admissionregistration/validation.

// ValidateValidatingAdmissionPolicyBinding mirrors the function of the same
// name (updates validate the same way). The errors for a missing policyName
// and validationActions are marked as covered by declarative validation:
// kube-apiserver v1.37 enforces those two rules declaratively (beta) and
// drops these handwritten errors (see declarative.go).
func ValidateValidatingAdmissionPolicyBinding(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) field.ErrorList {
	allErrs := genericvalidation.ValidateObjectMeta(&b.ObjectMeta, false, genericvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	spec, fldPath := &b.Spec, field.NewPath("spec")
	allErrs = append(allErrs, validatePolicyName(spec.PolicyName, true, fldPath.Child("policyName"))...)
	allErrs = append(allErrs, validateParamRef(spec.ParamRef, fldPath.Child("paramRef"))...)
	allErrs = append(allErrs, validateMatchResources(spec.MatchResources, fldPath.Child("matchResources"))...)
	return append(allErrs, validateValidationActions(spec.ValidationActions, fldPath.Child("validationActions"))...)
}

// ValidateMutatingAdmissionPolicyBinding mirrors the function of the same
// name (updates validate the same way).
func ValidateMutatingAdmissionPolicyBinding(b *admissionregistrationv1.MutatingAdmissionPolicyBinding) field.ErrorList {
	allErrs := genericvalidation.ValidateObjectMeta(&b.ObjectMeta, false, genericvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	spec, fldPath := &b.Spec, field.NewPath("spec")
	allErrs = append(allErrs, validatePolicyName(spec.PolicyName, false, fldPath.Child("policyName"))...)
	allErrs = append(allErrs, validateParamRef(spec.ParamRef, fldPath.Child("paramRef"))...)
	allErrs = append(allErrs, validateMatchResources(spec.MatchResources, fldPath.Child("matchResources"))...)
	if spec.MatchResources != nil {
		allErrs = append(allErrs, validateMutatingOperations(spec.MatchResources.ResourceRules, fldPath.Child("matchResources", "resourceRules", "operations"))...)
	}
	return allErrs
}

func validatePolicyName(name string, coveredByDeclarative bool, fldPath *field.Path) field.ErrorList {
	if name == "" {
		err := field.Required(fldPath, "")
		if coveredByDeclarative {
			err = err.MarkCoveredByDeclarative()
		}
		return field.ErrorList{err}
	}
	var allErrs field.ErrorList
	for _, msg := range genericvalidation.NameIsDNSSubdomain(name, false) {
		allErrs = append(allErrs, field.Invalid(fldPath, name, msg))
	}
	return allErrs
}

// validateParamRef mirrors the function of the same name.
func validateParamRef(pr *admissionregistrationv1.ParamRef, fldPath *field.Path) field.ErrorList {
	if pr == nil {
		return nil
	}
	var allErrs field.ErrorList
	if pr.Name != "" {
		for _, msg := range content.IsPathSegmentName(pr.Name) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("name"), pr.Name, msg))
		}
		if pr.Selector != nil {
			allErrs = append(allErrs, field.Forbidden(fldPath.Child("name"), `name and selector are mutually exclusive`))
		}
	}
	if pr.Selector != nil {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(pr.Selector, metav1validation.LabelSelectorValidationOptions{}, fldPath.Child("selector"))...)
		if pr.Name != "" {
			allErrs = append(allErrs, field.Forbidden(fldPath.Child("selector"), `name and selector are mutually exclusive`))
		}
	}
	if pr.Name == "" && pr.Selector == nil {
		allErrs = append(allErrs, field.Required(fldPath, `one of name or selector must be specified`))
	}
	if pr.ParameterNotFoundAction == nil || *pr.ParameterNotFoundAction == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("parameterNotFoundAction"), ""))
	} else if a := *pr.ParameterNotFoundAction; a != admissionregistrationv1.DenyAction && a != admissionregistrationv1.AllowAction {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("parameterNotFoundAction"), pr.ParameterNotFoundAction,
			[]string{string(admissionregistrationv1.DenyAction), string(admissionregistrationv1.AllowAction)}))
	}
	return allErrs
}

// validateValidationActions mirrors the function of the same name.
func validateValidationActions(actions []admissionregistrationv1.ValidationAction, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen := sets.New[string]()
	for i, a := range actions {
		if !supportedValidationActions.Has(string(a)) {
			allErrs = append(allErrs, field.NotSupported(fldPath.Index(i), a, sets.List(supportedValidationActions)))
		}
		if seen.Has(string(a)) {
			allErrs = append(allErrs, field.Duplicate(fldPath.Index(i), a))
		}
		seen.Insert(string(a))
	}
	if seen.Has(string(admissionregistrationv1.Deny)) && seen.Has(string(admissionregistrationv1.Warn)) {
		allErrs = append(allErrs, field.Invalid(fldPath, actions, "must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)"))
	}
	if len(seen) == 0 {
		allErrs = append(allErrs, field.Required(fldPath, "at least one validation action is required").MarkCoveredByDeclarative())
	}
	return allErrs
}

// validateMutatingOperations reports each operation a mutating policy's
// rules name that it cannot act on. Upstream reports them all under one
// path without indices.
func validateMutatingOperations(rules []admissionregistrationv1.NamedRuleWithOperations, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, r := range rules {
		for _, op := range r.Operations {
			if !supportedMutatingOperations.Has(string(op)) {
				allErrs = append(allErrs, field.NotSupported(fldPath, op, sets.List(supportedMutatingOperations)))
			}
		}
	}
	return allErrs
}

// ValidateMutatingAdmissionPolicy mirrors the function of the same name.
func ValidateMutatingAdmissionPolicy(p *admissionregistrationv1.MutatingAdmissionPolicy) field.ErrorList {
	return validateMutatingAdmissionPolicy(p, options{preexisting: newPreexistingExpressions()})
}

// ValidateMutatingAdmissionPolicyUpdate mirrors the function of the same
// name. Upstream files the old JSON patch expressions with the apply
// configurations, so an unchanged JSON patch expression still compiles in
// the new environment; that is kept.
func ValidateMutatingAdmissionPolicyUpdate(p, old *admissionregistrationv1.MutatingAdmissionPolicy) field.ErrorList {
	pre := newPreexistingExpressions()
	for _, mc := range old.Spec.MatchConditions {
		pre.matchConditions.Insert(mc.Expression)
	}
	for _, m := range old.Spec.Mutations {
		if m.ApplyConfiguration != nil {
			pre.applyConfigurations.Insert(m.ApplyConfiguration.Expression)
		}
	}
	return validateMutatingAdmissionPolicy(p, options{
		ignoreMatchConditions: equality.Semantic.DeepEqual(p.Spec.ParamKind, old.Spec.ParamKind) &&
			equality.Semantic.DeepEqual(p.Spec.MatchConditions, old.Spec.MatchConditions),
		preexisting: pre,
	})
}

func validateMutatingAdmissionPolicy(p *admissionregistrationv1.MutatingAdmissionPolicy, opts options) field.ErrorList {
	allErrs := genericvalidation.ValidateObjectMeta(&p.ObjectMeta, false, genericvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	spec, fldPath := &p.Spec, field.NewPath("spec")
	compiler := newCompiler(true)
	allErrs = append(allErrs, validateFailurePolicy(spec.FailurePolicy, fldPath.Child("failurePolicy"))...)
	if spec.ParamKind != nil {
		opts.allowParamsInMatchConditions = true
		allErrs = append(allErrs, validateParamKind(spec.ParamKind, fldPath.Child("paramKind"))...)
	}
	allErrs = append(allErrs, validateMatchConstraints(spec.MatchConstraints, fldPath.Child("matchConstraints"))...)
	if spec.MatchConstraints != nil {
		allErrs = append(allErrs, validateMutatingOperations(spec.MatchConstraints.ResourceRules, fldPath.Child("matchConstraints", "resourceRules", "operations"))...)
	}
	if !opts.ignoreMatchConditions {
		allErrs = append(allErrs, validateMatchConditions(spec.MatchConditions, opts, fldPath.Child("matchConditions"))...)
	}
	for i := range spec.Variables {
		allErrs = append(allErrs, validateVariable(compiler, &spec.Variables[i], spec.ParamKind != nil, opts, fldPath.Child("variables").Index(i))...)
	}
	if len(spec.Mutations) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("mutations"), "mutations must contain at least one item"))
	}
	for i := range spec.Mutations {
		allErrs = append(allErrs, validateMutation(compiler, &spec.Mutations[i], spec.ParamKind != nil, opts, fldPath.Child("mutations").Index(i))...)
	}
	if spec.ReinvocationPolicy == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("reinvocationPolicy"), ""))
	} else if !supportedReinvocationPolicies.Has(string(spec.ReinvocationPolicy)) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("reinvocationPolicy"), spec.ReinvocationPolicy, sets.List(supportedReinvocationPolicies)))
	}
	return allErrs
}

// validateMutation mirrors the function of the same name.
func validateMutation(compiler plugincel.Compiler, m *admissionregistrationv1.Mutation, hasParams bool, opts options, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	switch m.PatchType {
	case "":
		allErrs = append(allErrs, field.Required(fldPath.Child("patchType"), ""))
	case admissionregistrationv1.PatchTypeJSONPatch:
		if m.JSONPatch == nil {
			allErrs = append(allErrs, field.Required(fldPath.Child("jsonPatch"), "must be specified when patchType is JSONPatch"))
		} else {
			allErrs = append(allErrs, compilePatch(compiler, m.JSONPatch.Expression, true, hasParams, opts, fldPath.Child("jsonPatch"))...)
		}
		if m.ApplyConfiguration != nil {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("applyConfiguration"), "{applyConfiguration}", "must not be specified when patchType is JSONPatch"))
		}
	case admissionregistrationv1.PatchTypeApplyConfiguration:
		if m.ApplyConfiguration == nil {
			allErrs = append(allErrs, field.Required(fldPath.Child("applyConfiguration"), "must be specified when patchType is ApplyConfiguration"))
		} else {
			allErrs = append(allErrs, compilePatch(compiler, m.ApplyConfiguration.Expression, false, hasParams, opts, fldPath.Child("applyConfiguration"))...)
		}
		if m.JSONPatch != nil {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("jsonPatch"), "{jsonPatch}", "must not be specified when patchType is ApplyConfiguration"))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("patchType"), m.PatchType, sets.List(supportedPatchTypes)))
	}
	return allErrs
}

// compilePatch is validateJSONPatch and validateApplyConfiguration.
func compilePatch(compiler plugincel.Compiler, expression string, jsonPatch, hasParams bool, opts options, fldPath *field.Path) field.ErrorList {
	expr := strings.TrimSpace(expression)
	if expr == "" {
		return field.ErrorList{field.Required(fldPath.Child("expression"), "")}
	}
	var accessor plugincel.ExpressionAccessor = &patch.ApplyConfigurationCondition{Expression: expr}
	if jsonPatch {
		accessor = &patch.JSONPatchCondition{Expression: expr}
	}
	return compileCondition(compiler, accessor, plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true, HasPatchTypes: true},
		envType(opts.preexisting.applyConfigurations, expression), fldPath.Child("expression"))
}

// ValidateValidatingAdmissionPolicyStatus mirrors
// ValidateValidatingAdmissionPolicyStatusUpdate: type-checking warnings need
// a message and a JSONPath field reference; conditions are metav1's.
func ValidateValidatingAdmissionPolicyStatus(s *admissionregistrationv1.ValidatingAdmissionPolicyStatus) field.ErrorList {
	var allErrs field.ErrorList
	fldPath := field.NewPath("status")
	if s.TypeChecking != nil {
		for i, w := range s.TypeChecking.ExpressionWarnings {
			p := fldPath.Child("typeChecking", "expressionWarnings").Index(i)
			if w.Warning == "" {
				allErrs = append(allErrs, field.Required(p.Child("warning"), ""))
			}
			allErrs = append(allErrs, validateFieldRef(w.FieldRef, p.Child("fieldRef"))...)
		}
	}
	return append(allErrs, metav1validation.ValidateConditions(s.Conditions, fldPath.Child("conditions"))...)
}

func validateFieldRef(fieldRef string, fldPath *field.Path) field.ErrorList {
	fieldRef = strings.TrimSpace(fieldRef)
	if fieldRef == "" {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	if err := jsonpath.New("spec").Parse(fmt.Sprintf("{%s}", fieldRef)); err != nil {
		return field.ErrorList{field.Invalid(fldPath, fieldRef, fmt.Sprintf("invalid JSONPath: %v", err))}
	}
	return nil
}
