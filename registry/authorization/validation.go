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

package authorization

import (
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The validation of pkg/apis/authorization/validation/validation.go. The
// declarative union check of v1.37 is alpha, so the handwritten one answers.

const exactlyOne = "exactly one of nonResourceAttributes or resourceAttributes must be specified"

// internalValue renders a value the way the field error renders upstream's
// internal type: "%#v" of a *authorization.NonResourceAttributes.
type internalValue struct{ s string }

func (v internalValue) String() string { return v.s }

func nonResourceValue(n *authorizationv1.NonResourceAttributes) interface{} {
	if n == nil {
		return nil
	}
	return internalValue{fmt.Sprintf("&authorization.NonResourceAttributes{Path:%q, Verb:%q}", n.Path, n.Verb)}
}

func validateSpecUnion(resource *authorizationv1.ResourceAttributes, nonResource *authorizationv1.NonResourceAttributes, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if (resource != nil) == (nonResource != nil) {
		errs = append(errs, field.Invalid(p, nonResourceValue(nonResource), exactlyOne))
	}
	return errs
}

func validateSubjectAccessReviewSpec(spec authorizationv1.SubjectAccessReviewSpec, p *field.Path) field.ErrorList {
	errs := validateSpecUnion(spec.ResourceAttributes, spec.NonResourceAttributes, p)
	if spec.User == "" && len(spec.Groups) == 0 {
		errs = append(errs, field.Invalid(p.Child("user"), spec.User, "at least one of user or group must be specified"))
	}
	return append(errs, validateResourceAttributes(spec.ResourceAttributes, field.NewPath("spec.resourceAttributes"))...)
}

func metaIsEmpty(m metav1.ObjectMeta, keepNamespace bool) bool {
	m.ManagedFields = nil
	if keepNamespace {
		m.Namespace = ""
	}
	return equality.Semantic.DeepEqual(metav1.ObjectMeta{}, m)
}

// ValidateSubjectAccessReview mirrors ValidateSubjectAccessReview.
func ValidateSubjectAccessReview(sar *authorizationv1.SubjectAccessReview) field.ErrorList {
	errs := validateSubjectAccessReviewSpec(sar.Spec, field.NewPath("spec"))
	if !metaIsEmpty(sar.ObjectMeta, false) {
		errs = append(errs, field.Invalid(field.NewPath("metadata"), sar.ObjectMeta, "must be empty"))
	}
	return errs
}

// ValidateSelfSubjectAccessReview mirrors ValidateSelfSubjectAccessReview.
func ValidateSelfSubjectAccessReview(sar *authorizationv1.SelfSubjectAccessReview) field.ErrorList {
	errs := validateSpecUnion(sar.Spec.ResourceAttributes, sar.Spec.NonResourceAttributes, field.NewPath("spec"))
	errs = append(errs, validateResourceAttributes(sar.Spec.ResourceAttributes, field.NewPath("spec.resourceAttributes"))...)
	if !metaIsEmpty(sar.ObjectMeta, false) {
		errs = append(errs, field.Invalid(field.NewPath("metadata"), sar.ObjectMeta, "must be empty"))
	}
	return errs
}

// ValidateLocalSubjectAccessReview mirrors ValidateLocalSubjectAccessReview.
func ValidateLocalSubjectAccessReview(sar *authorizationv1.LocalSubjectAccessReview) field.ErrorList {
	errs := validateSubjectAccessReviewSpec(sar.Spec, field.NewPath("spec"))
	if !metaIsEmpty(sar.ObjectMeta, true) {
		errs = append(errs, field.Invalid(field.NewPath("metadata"), sar.ObjectMeta, "must be empty except for namespace"))
	}
	if sar.Spec.ResourceAttributes != nil && sar.Spec.ResourceAttributes.Namespace != sar.Namespace {
		errs = append(errs, field.Invalid(field.NewPath("spec.resourceAttributes.namespace"), sar.Spec.ResourceAttributes.Namespace, "must match metadata.namespace"))
	}
	if sar.Spec.NonResourceAttributes != nil {
		errs = append(errs, field.Invalid(field.NewPath("spec.nonResourceAttributes"), nonResourceValue(sar.Spec.NonResourceAttributes), "disallowed on this kind of request"))
	}
	return errs
}

func validateResourceAttributes(ra *authorizationv1.ResourceAttributes, p *field.Path) field.ErrorList {
	if ra == nil {
		return nil
	}
	var errs field.ErrorList
	if s := ra.FieldSelector; s != nil {
		fp := p.Child("fieldSelector")
		errs = append(errs, validateSelectorShape(s.RawSelector, len(s.Requirements), fp)...)
		opts := metav1validation.FieldSelectorValidationOptions{AllowUnknownOperatorInRequirement: true}
		for i, r := range s.Requirements {
			errs = append(errs, metav1validation.ValidateFieldSelectorRequirement(r, opts, fp.Child("requirements").Index(i))...)
		}
	}
	if s := ra.LabelSelector; s != nil {
		fp := p.Child("labelSelector")
		errs = append(errs, validateSelectorShape(s.RawSelector, len(s.Requirements), fp)...)
		opts := metav1validation.LabelSelectorValidationOptions{AllowUnknownOperatorInRequirement: true}
		for i, r := range s.Requirements {
			errs = append(errs, metav1validation.ValidateLabelSelectorRequirement(r, opts, fp.Child("requirements").Index(i))...)
		}
	}
	return errs
}

func validateSelectorShape(raw string, requirements int, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if raw != "" && requirements > 0 {
		errs = append(errs, field.Invalid(p.Child("rawSelector"), raw, "may not specified at the same time as requirements"))
	}
	if raw == "" && requirements == 0 {
		errs = append(errs, field.Required(p.Child("requirements"), fmt.Sprintf("when %s is specified, requirements or rawSelector is required", p)))
	}
	return errs
}
