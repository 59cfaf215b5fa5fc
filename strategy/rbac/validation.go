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

// Package rbac holds the rules of the rbac.authorization.k8s.io/v1 resources
// (roles, role bindings, cluster roles, cluster role bindings): their
// create/update strategies (k8s.io/kubernetes pkg/registry/rbac/*/strategy.go)
// and validation (pkg/apis/rbac/validation/validation.go, with the
// declarative validations of pkg/apis/rbac/v1 that kube-apiserver v1.37
// enforces in place of the handwritten ones they cover).
package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/ephemera-dev/ephemera/strategy/validation"
)

// Declarative validation (pkg/apis/rbac/v1/zz_generated.validations.go):
// its beta rules are authoritative in v1.37, so the handwritten errors they
// cover are dropped and the declarative ones follow all handwritten errors,
// in the declarative walk's order (struct fields in order: a binding's
// subjects before its roleRef). They carry no detail.

// declarativeRuleErrors: every rule needs verbs (RequiredSlice).
func declarativeRuleErrors(rules []rbacv1.PolicyRule) field.ErrorList {
	var errs field.ErrorList
	for i, r := range rules {
		if len(r.Verbs) == 0 {
			errs = append(errs, field.Required(field.NewPath("rules").Index(i).Child("verbs"), ""))
		}
	}
	return errs
}

// declarativeBindingErrors: every subject needs a name, and so does the
// roleRef (RequiredValue).
func declarativeBindingErrors(subjects []rbacv1.Subject, ref rbacv1.RoleRef) field.ErrorList {
	var errs field.ErrorList
	for i, s := range subjects {
		if s.Name == "" {
			errs = append(errs, field.Required(field.NewPath("subjects").Index(i).Child("name"), ""))
		}
	}
	if ref.Name == "" {
		errs = append(errs, field.Required(field.NewPath("roleRef", "name"), ""))
	}
	return errs
}

// validateName is upstream's ValidateRBACName: any path segment.
func validateName(name string, _ bool) []string { return content.IsPathSegmentName(name) }

// ValidateRole mirrors ValidateRole.
func ValidateRole(role *rbacv1.Role) field.ErrorList {
	allErrs := validation.ValidateObjectMeta(&role.ObjectMeta, true, validateName, field.NewPath("metadata"))
	for i, rule := range role.Rules {
		allErrs = append(allErrs, validatePolicyRule(rule, true, field.NewPath("rules").Index(i))...)
	}
	return append(allErrs, declarativeRuleErrors(role.Rules)...)
}

// ValidateRoleUpdate mirrors ValidateRoleUpdate.
func ValidateRoleUpdate(role, old *rbacv1.Role) field.ErrorList {
	allErrs := validation.ValidateObjectMeta(&role.ObjectMeta, true, validateName, field.NewPath("metadata"))
	for i, rule := range role.Rules {
		allErrs = append(allErrs, validatePolicyRule(rule, true, field.NewPath("rules").Index(i))...)
	}
	allErrs = append(allErrs, validation.ValidateObjectMetaUpdate(&role.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))...)
	return append(allErrs, declarativeRuleErrors(role.Rules)...)
}

// ValidateClusterRole mirrors ValidateClusterRole; allowInvalidLabelValue is
// set on updates of a role whose stored selectors already had one.
func ValidateClusterRole(role *rbacv1.ClusterRole, allowInvalidLabelValue bool) field.ErrorList {
	return append(validateClusterRole(role, allowInvalidLabelValue), declarativeRuleErrors(role.Rules)...)
}

func validateClusterRole(role *rbacv1.ClusterRole, allowInvalidLabelValue bool) field.ErrorList {
	allErrs := validation.ValidateObjectMeta(&role.ObjectMeta, false, validateName, field.NewPath("metadata"))
	for i, rule := range role.Rules {
		allErrs = append(allErrs, validatePolicyRule(rule, false, field.NewPath("rules").Index(i))...)
	}
	if role.AggregationRule != nil {
		if len(role.AggregationRule.ClusterRoleSelectors) == 0 {
			allErrs = append(allErrs, field.Required(field.NewPath("aggregationRule", "clusterRoleSelectors"), "at least one clusterRoleSelector required if aggregationRule is non-nil"))
		}
		opts := metav1validation.LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: allowInvalidLabelValue}
		for i := range role.AggregationRule.ClusterRoleSelectors {
			sel := &role.AggregationRule.ClusterRoleSelectors[i]
			p := field.NewPath("aggregationRule", "clusterRoleSelectors").Index(i)
			allErrs = append(allErrs, metav1validation.ValidateLabelSelector(sel, opts, p)...)
			if s, err := metav1.LabelSelectorAsSelector(sel); err != nil {
				allErrs = append(allErrs, field.Invalid(p, s, "invalid label selector."))
			}
		}
	}
	return allErrs
}

// ValidateClusterRoleUpdate mirrors ValidateClusterRoleUpdate.
func ValidateClusterRoleUpdate(role, old *rbacv1.ClusterRole) field.ErrorList {
	allErrs := validateClusterRole(role, hasInvalidLabelValueInSelector(old))
	allErrs = append(allErrs, validation.ValidateObjectMetaUpdate(&role.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))...)
	return append(allErrs, declarativeRuleErrors(role.Rules)...)
}

// hasInvalidLabelValueInSelector mirrors the clusterrole strategy's helper.
func hasInvalidLabelValueInSelector(role *rbacv1.ClusterRole) bool {
	if role.AggregationRule == nil {
		return false
	}
	for i := range role.AggregationRule.ClusterRoleSelectors {
		if len(metav1validation.ValidateLabelSelector(&role.AggregationRule.ClusterRoleSelectors[i], metav1validation.LabelSelectorValidationOptions{}, nil)) > 0 {
			return true
		}
	}
	return false
}

// validatePolicyRule mirrors ValidatePolicyRule without the missing-verbs
// check, which the declarative validation answers (declarativeRuleErrors).
func validatePolicyRule(rule rbacv1.PolicyRule, namespaced bool, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(rule.NonResourceURLs) > 0 {
		if namespaced {
			allErrs = append(allErrs, field.Invalid(p.Child("nonResourceURLs"), rule.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs"))
		}
		if len(rule.APIGroups) > 0 || len(rule.Resources) > 0 || len(rule.ResourceNames) > 0 {
			allErrs = append(allErrs, field.Invalid(p.Child("nonResourceURLs"), rule.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"))
		}
		return allErrs
	}
	if len(rule.APIGroups) == 0 {
		allErrs = append(allErrs, field.Required(p.Child("apiGroups"), "resource rules must supply at least one api group"))
	}
	if len(rule.Resources) == 0 {
		allErrs = append(allErrs, field.Required(p.Child("resources"), "resource rules must supply at least one resource"))
	}
	return allErrs
}

// ValidateRoleBinding mirrors ValidateRoleBinding.
func ValidateRoleBinding(b *rbacv1.RoleBinding) field.ErrorList {
	return append(validateRoleBinding(b), declarativeBindingErrors(b.Subjects, b.RoleRef)...)
}

func validateRoleBinding(b *rbacv1.RoleBinding) field.ErrorList {
	allErrs := validation.ValidateObjectMeta(&b.ObjectMeta, true, validateName, field.NewPath("metadata"))
	allErrs = append(allErrs, validateRoleRef(b.RoleRef, []string{"Role", "ClusterRole"})...)
	for i, s := range b.Subjects {
		allErrs = append(allErrs, validateSubject(s, true, field.NewPath("subjects").Index(i))...)
	}
	return allErrs
}

// ValidateRoleBindingUpdate mirrors ValidateRoleBindingUpdate.
func ValidateRoleBindingUpdate(b, old *rbacv1.RoleBinding) field.ErrorList {
	allErrs := validateRoleBinding(b)
	allErrs = append(allErrs, validation.ValidateObjectMetaUpdate(&b.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(internalRoleRef(b.RoleRef), internalRoleRef(old.RoleRef), field.NewPath("roleRef"))...)
	return append(allErrs, declarativeBindingErrors(b.Subjects, b.RoleRef)...)
}

// ValidateClusterRoleBinding mirrors ValidateClusterRoleBinding.
func ValidateClusterRoleBinding(b *rbacv1.ClusterRoleBinding) field.ErrorList {
	return append(validateClusterRoleBinding(b), declarativeBindingErrors(b.Subjects, b.RoleRef)...)
}

func validateClusterRoleBinding(b *rbacv1.ClusterRoleBinding) field.ErrorList {
	allErrs := validation.ValidateObjectMeta(&b.ObjectMeta, false, validateName, field.NewPath("metadata"))
	allErrs = append(allErrs, validateRoleRef(b.RoleRef, []string{"ClusterRole"})...)
	for i, s := range b.Subjects {
		allErrs = append(allErrs, validateSubject(s, false, field.NewPath("subjects").Index(i))...)
	}
	return allErrs
}

// ValidateClusterRoleBindingUpdate mirrors ValidateClusterRoleBindingUpdate.
func ValidateClusterRoleBindingUpdate(b, old *rbacv1.ClusterRoleBinding) field.ErrorList {
	allErrs := validateClusterRoleBinding(b)
	allErrs = append(allErrs, validation.ValidateObjectMetaUpdate(&b.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(internalRoleRef(b.RoleRef), internalRoleRef(old.RoleRef), field.NewPath("roleRef"))...)
	return append(allErrs, declarativeBindingErrors(b.Subjects, b.RoleRef)...)
}

// roleRef has the shape of upstream's internal rbac.RoleRef, which has no
// JSON tags: the "field is immutable" error renders the new value as JSON of
// that struct, {"APIGroup":...,"Kind":...,"Name":...}.
type roleRef struct{ APIGroup, Kind, Name string }

func internalRoleRef(r rbacv1.RoleRef) roleRef { return roleRef{r.APIGroup, r.Kind, r.Name} }

func validateRoleRef(ref rbacv1.RoleRef, kinds []string) field.ErrorList {
	var allErrs field.ErrorList
	if ref.APIGroup != rbacv1.GroupName {
		allErrs = append(allErrs, field.NotSupported(field.NewPath("roleRef", "apiGroup"), ref.APIGroup, []string{rbacv1.GroupName}))
	}
	found := false
	for _, k := range kinds {
		found = found || ref.Kind == k
	}
	if !found {
		allErrs = append(allErrs, field.NotSupported(field.NewPath("roleRef", "kind"), ref.Kind, kinds))
	}
	if ref.Name != "" { // an empty name is the declarative validation's
		for _, msg := range validateName(ref.Name, false) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("roleRef", "name"), ref.Name, msg))
		}
	}
	return allErrs
}

// validateSubject mirrors ValidateRoleBindingSubject.
func validateSubject(s rbacv1.Subject, namespaced bool, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	// An empty name is the declarative validation's.
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		if s.Name != "" {
			for _, msg := range apimachineryvalidation.ValidateServiceAccountName(s.Name, false) {
				allErrs = append(allErrs, field.Invalid(p.Child("name"), s.Name, msg))
			}
		}
		if s.APIGroup != "" {
			allErrs = append(allErrs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{""}))
		}
		if !namespaced && s.Namespace == "" {
			allErrs = append(allErrs, field.Required(p.Child("namespace"), ""))
		}
	case rbacv1.UserKind, rbacv1.GroupKind:
		if s.APIGroup != rbacv1.GroupName {
			allErrs = append(allErrs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{rbacv1.GroupName}))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(p.Child("kind"), s.Kind, []string{rbacv1.ServiceAccountKind, rbacv1.UserKind, rbacv1.GroupKind}))
	}
	return allErrs
}
