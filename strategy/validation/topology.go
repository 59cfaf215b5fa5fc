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

package validation

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	supportedScheduleActions               = sets.New(corev1.DoNotSchedule, corev1.ScheduleAnyway)
	supportedPodTopologySpreadNodePolicies = sets.New(corev1.NodeInclusionPolicyIgnore, corev1.NodeInclusionPolicyHonor)
)

// validateTopologySpreadConstraints mirrors validateTopologySpreadConstraints
// with the 1.37 gates MatchLabelKeysInPodTopologySpread and
// MatchLabelKeysInPodTopologySpreadSelectorMerge on: matchLabelKeys are
// checked by ValidateMatchLabelKeysAndMismatchLabelKeys, unless the old pod
// already failed it (then ValidateMatchLabelKeysInTopologySpread); the label
// selector is not checked when the old pod's already failed.
func validateTopologySpreadConstraints(constraints []corev1.TopologySpreadConstraint, fldPath *field.Path, opts podOpts) field.ErrorList {
	allErrs := field.ErrorList{}
	for i, c := range constraints {
		p := fldPath.Index(i)
		if c.MaxSkew <= 0 {
			allErrs = append(allErrs, field.Invalid(p.Child("maxSkew"), int64(c.MaxSkew), "must be greater than zero"))
		}
		if c.TopologyKey == "" {
			allErrs = append(allErrs, field.Required(p.Child("topologyKey"), "can not be empty"))
		}
		if !supportedScheduleActions.Has(c.WhenUnsatisfiable) {
			allErrs = append(allErrs, field.NotSupported(p.Child("whenUnsatisfiable"), c.WhenUnsatisfiable, sets.List(supportedScheduleActions)))
		}
		// ValidateSpreadConstraintNotRepeat: {topologyKey, whenUnsatisfiable} is one kind of constraint.
		for _, rest := range constraints[i+1:] {
			if c.TopologyKey == rest.TopologyKey && c.WhenUnsatisfiable == rest.WhenUnsatisfiable {
				allErrs = append(allErrs, field.Duplicate(p.Child("{topologyKey, whenUnsatisfiable}"), fmt.Sprintf("{%v, %v}", c.TopologyKey, c.WhenUnsatisfiable)))
				break
			}
		}
		if c.MinDomains != nil {
			mp := p.Child("minDomains")
			if *c.MinDomains <= 0 {
				allErrs = append(allErrs, field.Invalid(mp, int64(*c.MinDomains), "must be greater than zero"))
			}
			if c.WhenUnsatisfiable != corev1.DoNotSchedule {
				allErrs = append(allErrs, field.Invalid(mp, c.MinDomains, fmt.Sprintf("can only use minDomains if whenUnsatisfiable=%s, not %s", corev1.DoNotSchedule, c.WhenUnsatisfiable)))
			}
		}
		if c.NodeAffinityPolicy != nil && !supportedPodTopologySpreadNodePolicies.Has(*c.NodeAffinityPolicy) {
			allErrs = append(allErrs, field.NotSupported(p.Child("nodeAffinityPolicy"), c.NodeAffinityPolicy, sets.List(supportedPodTopologySpreadNodePolicies)))
		}
		if c.NodeTaintsPolicy != nil && !supportedPodTopologySpreadNodePolicies.Has(*c.NodeTaintsPolicy) {
			allErrs = append(allErrs, field.NotSupported(p.Child("nodeTaintsPolicy"), c.NodeTaintsPolicy, sets.List(supportedPodTopologySpreadNodePolicies)))
		}
		if opts.OldPodViolatesMatchLabelKeysValidation {
			allErrs = append(allErrs, validateMatchLabelKeysInTopologySpread(p.Child("matchLabelKeys"), c.MatchLabelKeys, c.LabelSelector)...)
		} else {
			allErrs = append(allErrs, validateMatchLabelKeysAndMismatchLabelKeys(p, c.MatchLabelKeys, nil, c.LabelSelector)...)
		}
		if !opts.AllowInvalidTopologySpreadConstraintLabelSelector {
			allErrs = append(allErrs, metav1validation.ValidateLabelSelector(c.LabelSelector, metav1validation.LabelSelectorValidationOptions{}, p.Child("labelSelector"))...)
		}
	}
	return allErrs
}

// validateMatchLabelKeysInTopologySpread mirrors
// ValidateMatchLabelKeysInTopologySpread, the rule before selector merging.
func validateMatchLabelKeysInTopologySpread(fldPath *field.Path, matchLabelKeys []string, selector *metav1.LabelSelector) field.ErrorList {
	if len(matchLabelKeys) == 0 {
		return nil
	}
	var allErrs field.ErrorList
	keys := sets.New[string]()
	if selector != nil {
		for key := range selector.MatchLabels {
			keys.Insert(key)
		}
		for _, e := range selector.MatchExpressions {
			keys.Insert(e.Key)
		}
	} else {
		allErrs = append(allErrs, field.Forbidden(fldPath, "must not be specified when labelSelector is not set"))
	}
	for i, key := range matchLabelKeys {
		allErrs = append(allErrs, metav1validation.ValidateLabelName(key, fldPath.Index(i))...)
		if keys.Has(key) {
			allErrs = append(allErrs, field.Invalid(fldPath.Index(i), key, "exists in both matchLabelKeys and labelSelector"))
		}
	}
	return allErrs
}

// topologySpreadRatchets mirrors hasInvalidTopologySpreadConstraintLabelSelector
// and hasInvalidTopologySpreadConstrainMatchLabelKeys (k8s.io/kubernetes
// pkg/api/pod/util.go): what an old pod already violates stays allowed.
func topologySpreadRatchets(old *corev1.PodSpec) (invalidSelector, invalidMatchLabelKeys bool) {
	for _, c := range old.TopologySpreadConstraints {
		if len(metav1validation.ValidateLabelSelector(c.LabelSelector, metav1validation.LabelSelectorValidationOptions{}, nil)) != 0 {
			invalidSelector = true
		}
		if len(validateMatchLabelKeysAndMismatchLabelKeys(nil, c.MatchLabelKeys, nil, c.LabelSelector)) != 0 {
			invalidMatchLabelKeys = true
		}
	}
	return invalidSelector, invalidMatchLabelKeys
}
