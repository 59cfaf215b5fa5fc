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
	"regexp"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/validate/content"
	genericvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	validatingpolicy "k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/cel"
)

// Admission policies and their bindings, mirroring the policy half of
// k8s.io/kubernetes/pkg/apis/admissionregistration/validation/validation.go.

// AuditAnnotation mirrors the internal type of the same name, which has no
// json tags, for the "too many auditAnnotations" error (see the package
// comment).
type AuditAnnotation struct {
	Key             string
	ValueExpression string
}

const (
	maxAuditAnnotations = 20
	// maxAuditAnnotationValueExpressionLength is 5 kB: less than the 10 kB
	// limit of an audit annotation value, since expressions that concatenate
	// strings produce longer values.
	maxAuditAnnotationValueExpressionLength = 5 * 1024
)

var (
	supportedValidationActions = sets.New(string(admissionregistrationv1.Deny), string(admissionregistrationv1.Warn), string(admissionregistrationv1.Audit))
	supportedPolicyReasons     = sets.New(string(metav1.StatusReasonForbidden), string(metav1.StatusReasonInvalid), string(metav1.StatusReasonRequestEntityTooLarge))
	supportedPatchTypes        = sets.New(string(admissionregistrationv1.PatchTypeApplyConfiguration), string(admissionregistrationv1.PatchTypeJSONPatch))
	// Mutating policies cannot match DELETE: there is no object to mutate.
	supportedMutatingOperations = sets.New(string(admissionregistrationv1.OperationAll), string(admissionregistrationv1.Create),
		string(admissionregistrationv1.Update), string(admissionregistrationv1.Connect))
)

// ValidateValidatingAdmissionPolicy mirrors the function of the same name.
func ValidateValidatingAdmissionPolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy) field.ErrorList {
	return validateValidatingAdmissionPolicy(p, options{preexisting: newPreexistingExpressions()})
}

// ValidateValidatingAdmissionPolicyUpdate mirrors the function of the same
// name: match conditions are not revalidated when neither they nor the
// paramKind changed, and the old object's expressions compile in the stored
// environment.
func ValidateValidatingAdmissionPolicyUpdate(p, old *admissionregistrationv1.ValidatingAdmissionPolicy) field.ErrorList {
	pre := newPreexistingExpressions()
	for _, mc := range old.Spec.MatchConditions {
		pre.matchConditions.Insert(mc.Expression)
	}
	for _, v := range old.Spec.Validations {
		pre.validations.Insert(v.Expression)
		if v.MessageExpression != "" {
			pre.messageExpressions.Insert(v.MessageExpression)
		}
	}
	for _, a := range old.Spec.AuditAnnotations {
		pre.auditAnnotationValues.Insert(a.ValueExpression)
	}
	return validateValidatingAdmissionPolicy(p, options{
		ignoreMatchConditions: equality.Semantic.DeepEqual(p.Spec.ParamKind, old.Spec.ParamKind) &&
			equality.Semantic.DeepEqual(p.Spec.MatchConditions, old.Spec.MatchConditions),
		preexisting: pre,
	})
}

func validateValidatingAdmissionPolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy, opts options) field.ErrorList {
	allErrs := genericvalidation.ValidateObjectMeta(&p.ObjectMeta, false, genericvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	spec, fldPath := &p.Spec, field.NewPath("spec")
	// The composited compiler holds the policy's variables, so it is made
	// once per policy, and only when something needs compiling.
	var compiler plugincel.Compiler
	getCompiler := func() plugincel.Compiler {
		if compiler == nil {
			compiler = newCompiler(len(spec.Variables) > 0)
		}
		return compiler
	}
	allErrs = append(allErrs, validateFailurePolicy(spec.FailurePolicy, fldPath.Child("failurePolicy"))...)
	if spec.ParamKind != nil {
		opts.allowParamsInMatchConditions = true
		allErrs = append(allErrs, validateParamKind(spec.ParamKind, fldPath.Child("paramKind"))...)
	}
	allErrs = append(allErrs, validateMatchConstraints(spec.MatchConstraints, fldPath.Child("matchConstraints"))...)
	if !opts.ignoreMatchConditions {
		allErrs = append(allErrs, validateMatchConditions(spec.MatchConditions, opts, fldPath.Child("matchConditions"))...)
	}
	for i := range spec.Variables {
		allErrs = append(allErrs, validateVariable(getCompiler(), &spec.Variables[i], spec.ParamKind != nil, opts, fldPath.Child("variables").Index(i))...)
	}
	if len(spec.Validations) == 0 && len(spec.AuditAnnotations) == 0 {
		allErrs = append(allErrs,
			field.Required(fldPath.Child("validations"), "validations or auditAnnotations must contain at least one item"),
			field.Required(fldPath.Child("auditAnnotations"), "validations or auditAnnotations must contain at least one item"))
		return allErrs
	}
	for i := range spec.Validations {
		allErrs = append(allErrs, validateValidation(getCompiler(), &spec.Validations[i], spec.ParamKind != nil, opts, fldPath.Child("validations").Index(i))...)
	}
	if spec.AuditAnnotations != nil {
		if len(spec.AuditAnnotations) > maxAuditAnnotations {
			annotations := make([]AuditAnnotation, len(spec.AuditAnnotations))
			for i, a := range spec.AuditAnnotations {
				annotations[i] = AuditAnnotation(a)
			}
			allErrs = append(allErrs, field.Invalid(fldPath.Child("auditAnnotations"), annotations, fmt.Sprintf("must not have more than %d auditAnnotations", maxAuditAnnotations)))
		}
		keys := sets.New[string]()
		for i := range spec.AuditAnnotations {
			a := &spec.AuditAnnotations[i]
			ap := fldPath.Child("auditAnnotations").Index(i)
			allErrs = append(allErrs, validateAuditAnnotation(getCompiler(), p.Name, a, spec.ParamKind != nil, opts, ap)...)
			if keys.Has(a.Key) {
				allErrs = append(allErrs, field.Duplicate(ap.Child("key"), a.Key))
			}
			keys.Insert(a.Key)
		}
	}
	return allErrs
}

func validateFailurePolicy(fp *admissionregistrationv1.FailurePolicyType, fldPath *field.Path) field.ErrorList {
	if fp == nil {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	if !supportedFailurePolicies.Has(string(*fp)) {
		return field.ErrorList{field.NotSupported(fldPath, *fp, sets.List(supportedFailurePolicies))}
	}
	return nil
}

// validateMatchConstraints is the matchConstraints part of
// validate{Validating,Mutating}AdmissionPolicySpec: required, and with at
// least one resource rule, which gives the expressions their type.
func validateMatchConstraints(mc *admissionregistrationv1.MatchResources, fldPath *field.Path) field.ErrorList {
	if mc == nil {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	allErrs := validateMatchResources(mc, fldPath)
	if len(mc.ResourceRules) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("resourceRules"), ""))
	}
	return allErrs
}

// validateParamKind mirrors the function of the same name.
func validateParamKind(pk *admissionregistrationv1.ParamKind, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if pk.APIVersion == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("apiVersion"), ""))
	} else if group, version, err := parseGroupVersion(pk.APIVersion); err != nil {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("apiVersion"), pk.APIVersion, err.Error()))
	} else {
		// As for an APIService's group and version.
		if group != "" {
			if errs := utilvalidation.IsDNS1123Subdomain(group); len(errs) > 0 {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("apiVersion"), group, strings.Join(errs, ",")))
			}
		}
		if version == "" {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("apiVersion"), pk.APIVersion, "version must be specified"))
		} else if errs := utilvalidation.IsDNS1035Label(version); len(errs) > 0 {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("apiVersion"), version, strings.Join(errs, ",")))
		}
	}
	if pk.Kind == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("kind"), ""))
	} else if errs := utilvalidation.IsDNS1035Label(strings.ToLower(pk.Kind)); len(errs) > 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("kind"), pk.Kind, "may have mixed case, but should otherwise match: "+strings.Join(errs, ",")))
	}
	return allErrs
}

// parseGroupVersion is validation.go's parseGroupVersion: unlike
// schema.ParseGroupVersion it accepts "group/" (empty version), which the
// caller then reports.
func parseGroupVersion(gv string) (group, version string, err error) {
	if gv == "" || gv == "/" {
		return "", "", nil
	}
	switch strings.Count(gv, "/") {
	case 0:
		return "", gv, nil
	case 1:
		group, version, _ = strings.Cut(gv, "/")
		return group, version, nil
	}
	return "", "", fmt.Errorf("unexpected GroupVersion string: %v", gv)
}

// validateMatchResources mirrors the function of the same name. Selectors
// are validated strictly: the type came after invalid label values were
// forbidden.
func validateMatchResources(mc *admissionregistrationv1.MatchResources, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if mc == nil {
		return nil
	}
	if mc.MatchPolicy == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("matchPolicy"), ""))
	} else if !supportedMatchPolicies.Has(string(*mc.MatchPolicy)) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("matchPolicy"), *mc.MatchPolicy, sets.List(supportedMatchPolicies)))
	}
	strict := metav1validation.LabelSelectorValidationOptions{}
	if mc.NamespaceSelector == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("namespaceSelector"), ""))
	} else {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(mc.NamespaceSelector, strict, fldPath.Child("namespaceSelector"))...)
	}
	if mc.ObjectSelector == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("objectSelector"), ""))
	} else {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(mc.ObjectSelector, strict, fldPath.Child("objectSelector"))...)
	}
	for i := range mc.ResourceRules {
		allErrs = append(allErrs, validateNamedRule(&mc.ResourceRules[i], fldPath.Child("resourceRules").Index(i))...)
	}
	for i := range mc.ExcludeResourceRules {
		allErrs = append(allErrs, validateNamedRule(&mc.ExcludeResourceRules[i], fldPath.Child("excludeResourceRules").Index(i))...)
	}
	return allErrs
}

// validateNamedRule is validateNamedRuleWithOperations.
func validateNamedRule(n *admissionregistrationv1.NamedRuleWithOperations, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	names := sets.New[string]()
	for i, name := range n.ResourceNames {
		for _, msg := range content.IsPathSegmentName(name) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("resourceNames").Index(i), name, msg))
		}
		if names.Has(name) {
			allErrs = append(allErrs, field.Duplicate(fldPath.Child("resourceNames").Index(i), name))
		} else {
			names.Insert(name)
		}
	}
	return append(allErrs, validateRuleWithOperations(&n.RuleWithOperations, fldPath)...)
}

var celIdentifier = regexp.MustCompile("^[_a-zA-Z][_a-zA-Z0-9]*$")

// celReserved are CEL's reserved words, which cannot name a variable.
var celReserved = sets.New("true", "false", "null", "in", "as", "break", "const", "continue", "else",
	"for", "function", "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while")

// validateVariable mirrors the function of the same name.
func validateVariable(compiler plugincel.Compiler, v *admissionregistrationv1.Variable, hasParams bool, opts options, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if strings.TrimSpace(v.Name) == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), "name is not specified"))
	} else if !celIdentifier.MatchString(v.Name) || celReserved.Has(v.Name) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("name"), v.Name, "must be a valid CEL identifier"))
	}
	if strings.TrimSpace(v.Expression) == "" {
		return append(allErrs, field.Required(fldPath.Child("expression"), "expression is not specified"))
	}
	composited, ok := compiler.(*plugincel.CompositedCompiler)
	if !ok {
		return append(allErrs, field.InternalError(fldPath, fmt.Errorf("variable composition is not allowed")))
	}
	variable := &validatingpolicy.Variable{Name: v.Name, Expression: v.Expression}
	// Upstream looks variables up among the old validation expressions.
	result := composited.CompileAndStoreVariable(variable, plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true},
		envType(opts.preexisting.validations, v.Expression))
	if result.Error != nil {
		allErrs = append(allErrs, celError(fldPath.Child("expression"), variable, result.Error))
	}
	return allErrs
}

var newlines = regexp.MustCompile(`[\n\r]+`)

// validateValidation mirrors the function of the same name.
func validateValidation(compiler plugincel.Compiler, v *admissionregistrationv1.Validation, hasParams bool, opts options, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	msg := strings.TrimSpace(v.Message)
	messageExpression := strings.TrimSpace(v.MessageExpression)
	if strings.TrimSpace(v.Expression) == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("expression"), "expression is not specified"))
	} else {
		allErrs = append(allErrs, compileCondition(compiler, &validatingpolicy.ValidationCondition{Expression: v.Expression},
			plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true},
			envType(opts.preexisting.validations, v.Expression), fldPath.Child("expression"))...)
	}
	if v.MessageExpression != "" && messageExpression == "" {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("messageExpression"), v.MessageExpression, "must be non-empty if specified"))
	} else if messageExpression != "" {
		// The untrimmed expression, so that compile errors point at the
		// right column. Params are declared as for match conditions.
		allErrs = append(allErrs, compileCondition(compiler, &validatingpolicy.MessageExpressionCondition{MessageExpression: v.MessageExpression},
			plugincel.OptionalVariableDeclarations{HasParams: opts.allowParamsInMatchConditions, HasAuthorizer: false},
			envType(opts.preexisting.messageExpressions, v.MessageExpression), fldPath.Child("messageExpression"))...)
	}
	if v.Message != "" && msg == "" {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("message"), v.Message, "must be non-empty if specified"))
	} else if newlines.MatchString(msg) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("message"), v.Message, "must not contain line breaks"))
	}
	if v.Reason != nil && !supportedPolicyReasons.Has(string(*v.Reason)) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("reason"), *v.Reason, sets.List(supportedPolicyReasons)))
	}
	return allErrs
}

// validateAuditAnnotation mirrors the function of the same name. The key is
// checked as the qualified name "<policy>/<key>" the annotation will carry.
func validateAuditAnnotation(compiler plugincel.Compiler, policyName string, a *admissionregistrationv1.AuditAnnotation, hasParams bool, opts options, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if policyName != "" {
		allErrs = append(allErrs, validateQualifiedName(policyName+"/"+a.Key, fldPath.Child("key"))...)
	} else {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("key"), a.Key, "requires metadata.name be non-empty"))
	}
	expr := strings.TrimSpace(a.ValueExpression)
	switch {
	case expr == "":
		allErrs = append(allErrs, field.Required(fldPath.Child("valueExpression"), "valueExpression is not specified"))
	case len(expr) > maxAuditAnnotationValueExpressionLength:
		allErrs = append(allErrs, field.Required(fldPath.Child("valueExpression"), fmt.Sprintf("must not exceed %d bytes in length", maxAuditAnnotationValueExpressionLength)))
	default:
		result := compiler.CompileCELExpression(&validatingpolicy.AuditAnnotationCondition{ValueExpression: expr},
			plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true}, envType(opts.preexisting.auditAnnotationValues, a.ValueExpression))
		if result.Error != nil {
			switch result.Error.Type {
			case cel.ErrorTypeRequired:
				allErrs = append(allErrs, field.Required(fldPath.Child("valueExpression"), result.Error.Detail))
			case cel.ErrorTypeInvalid:
				// The untrimmed expression, as upstream reports it.
				allErrs = append(allErrs, field.Invalid(fldPath.Child("valueExpression"), a.ValueExpression, result.Error.Detail))
			default:
				allErrs = append(allErrs, field.InternalError(fldPath.Child("valueExpression"), result.Error))
			}
		}
	}
	return allErrs
}
