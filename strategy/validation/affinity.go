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
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Affinity validation mirrors validateAffinity and its helpers
// (K/pkg/apis/core/validation/validation.go), with the ratchets
// AllowInvalidLabelValueInSelector / AllowInvalidLabelValueInRequiredNodeAffinity
// computed from the old pod (K/pkg/api/pod/util.go:1784-1836).

func validateAffinity(a *corev1.Affinity, opts podOpts, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if a == nil {
		return allErrs
	}
	if a.NodeAffinity != nil {
		na, p := a.NodeAffinity, fldPath.Child("nodeAffinity")
		if na.RequiredDuringSchedulingIgnoredDuringExecution != nil {
			allErrs = append(allErrs, validateNodeSelector(na.RequiredDuringSchedulingIgnoredDuringExecution, opts.AllowInvalidLabelValueInRequiredNodeAffinity, p.Child("requiredDuringSchedulingIgnoredDuringExecution"))...)
		}
		if len(na.PreferredDuringSchedulingIgnoredDuringExecution) > 0 {
			pp := p.Child("preferredDuringSchedulingIgnoredDuringExecution")
			for i, term := range na.PreferredDuringSchedulingIgnoredDuringExecution {
				if term.Weight <= 0 || term.Weight > 100 {
					allErrs = append(allErrs, field.Invalid(pp.Index(i).Child("weight"), term.Weight, "must be in the range 1-100"))
				}
				allErrs = append(allErrs, validateNodeSelectorTerm(term.Preference, true, pp.Index(i).Child("preference"))...)
			}
		}
	}
	if a.PodAffinity != nil {
		allErrs = append(allErrs, validatePodAffinityTerms(a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution, a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution, opts, fldPath.Child("podAffinity"))...)
	}
	if a.PodAntiAffinity != nil {
		allErrs = append(allErrs, validatePodAffinityTerms(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution, a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution, opts, fldPath.Child("podAntiAffinity"))...)
	}
	return allErrs
}

// validatePodAffinityTerms covers validatePodAffinity/validatePodAntiAffinity
// (identical bodies upstream).
func validatePodAffinityTerms(required []corev1.PodAffinityTerm, preferred []corev1.WeightedPodAffinityTerm, opts podOpts, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if required != nil {
		rp := fldPath.Child("requiredDuringSchedulingIgnoredDuringExecution")
		for i, t := range required {
			allErrs = append(allErrs, validatePodAffinityTerm(t, opts.AllowInvalidLabelValueInSelector, rp.Index(i))...)
		}
	}
	if preferred != nil {
		pp := fldPath.Child("preferredDuringSchedulingIgnoredDuringExecution")
		for j, wt := range preferred {
			if wt.Weight <= 0 || wt.Weight > 100 {
				allErrs = append(allErrs, field.Invalid(pp.Index(j).Child("weight"), wt.Weight, "must be in the range 1-100"))
			}
			allErrs = append(allErrs, validatePodAffinityTerm(wt.PodAffinityTerm, opts.AllowInvalidLabelValueInSelector, pp.Index(j).Child("podAffinityTerm"))...)
		}
	}
	return allErrs
}

func podAffinityTermSelectorErrs(t corev1.PodAffinityTerm, allowInvalid bool, fldPath *field.Path) field.ErrorList {
	o := metav1validation.LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: allowInvalid}
	allErrs := metav1validation.ValidateLabelSelector(t.LabelSelector, o, fldPath.Child("labelSelector"))
	return append(allErrs, metav1validation.ValidateLabelSelector(t.NamespaceSelector, o, fldPath.Child("namespaceSelector"))...)
}

func validatePodAffinityTerm(t corev1.PodAffinityTerm, allowInvalid bool, fldPath *field.Path) field.ErrorList {
	allErrs := podAffinityTermSelectorErrs(t, allowInvalid, fldPath)
	for _, name := range t.Namespaces {
		for _, msg := range validation.IsDNS1123Label(name) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("namespace"), name, msg))
		}
	}
	allErrs = append(allErrs, validateMatchLabelKeysAndMismatchLabelKeys(fldPath, t.MatchLabelKeys, t.MismatchLabelKeys, t.LabelSelector)...)
	if len(t.TopologyKey) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("topologyKey"), "can not be empty"))
	}
	return append(allErrs, metav1validation.ValidateLabelName(t.TopologyKey, fldPath.Child("topologyKey"))...)
}

func validateLabelKeys(fldPath *field.Path, keys []string, sel *metav1.LabelSelector) field.ErrorList {
	if len(keys) == 0 {
		return nil
	}
	if sel == nil {
		return field.ErrorList{field.Forbidden(fldPath, "must not be specified when labelSelector is not set")}
	}
	var allErrs field.ErrorList
	for i, k := range keys {
		allErrs = append(allErrs, metav1validation.ValidateLabelName(k, fldPath.Index(i))...)
	}
	return allErrs
}

// validateMatchLabelKeysAndMismatchLabelKeys mirrors
// ValidateMatchLabelKeysAndMismatchLabelKeys, including its term-path (not
// matchLabelKeys-path) index for "exists in both matchLabelKeys and labelSelector".
func validateMatchLabelKeysAndMismatchLabelKeys(fldPath *field.Path, matchKeys, mismatchKeys []string, sel *metav1.LabelSelector) field.ErrorList {
	var allErrs field.ErrorList
	allErrs = append(allErrs, validateLabelKeys(fldPath.Child("matchLabelKeys"), matchKeys, sel)...)
	allErrs = append(allErrs, validateLabelKeys(fldPath.Child("mismatchLabelKeys"), mismatchKeys, sel)...)
	if sel != nil {
		idx := map[string]int{}
		for i, k := range matchKeys {
			idx[k] = i
		}
		selKeys := sets.New[string]()
		for k := range sel.MatchLabels {
			selKeys.Insert(k)
		}
		for _, e := range sel.MatchExpressions {
			if i, ok := idx[e.Key]; ok && selKeys.Has(e.Key) {
				allErrs = append(allErrs, field.Invalid(fldPath.Index(i), e.Key, "exists in both matchLabelKeys and labelSelector"))
			}
			selKeys.Insert(e.Key)
		}
	}
	mm := sets.New(mismatchKeys...)
	for i, k := range matchKeys {
		if mm.Has(k) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("matchLabelKeys").Index(i), k, "exists in both matchLabelKeys and mismatchLabelKeys"))
		}
	}
	return allErrs
}

func validateNodeSelector(ns *corev1.NodeSelector, allowInvalidLabelValue bool, fldPath *field.Path) field.ErrorList {
	tp := fldPath.Child("nodeSelectorTerms")
	if len(ns.NodeSelectorTerms) == 0 {
		return field.ErrorList{field.Required(tp, "must have at least one node selector term")}
	}
	allErrs := field.ErrorList{}
	for i, term := range ns.NodeSelectorTerms {
		allErrs = append(allErrs, validateNodeSelectorTerm(term, allowInvalidLabelValue, tp.Index(i))...)
	}
	return allErrs
}

func validateNodeSelectorTerm(term corev1.NodeSelectorTerm, allowInvalidLabelValue bool, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	for j, req := range term.MatchExpressions {
		allErrs = append(allErrs, validateNodeSelectorRequirement(req, allowInvalidLabelValue, fldPath.Child("matchExpressions").Index(j))...)
	}
	for j, req := range term.MatchFields {
		allErrs = append(allErrs, validateNodeFieldSelectorRequirement(req, fldPath.Child("matchFields").Index(j))...)
	}
	return allErrs
}

func validateNodeSelectorRequirement(rq corev1.NodeSelectorRequirement, allowInvalidLabelValue bool, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	switch rq.Operator {
	case corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn:
		if len(rq.Values) == 0 {
			allErrs = append(allErrs, field.Required(fldPath.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
		}
	case corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist:
		if len(rq.Values) > 0 {
			allErrs = append(allErrs, field.Forbidden(fldPath.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
		}
	case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
		if len(rq.Values) != 1 {
			allErrs = append(allErrs, field.Required(fldPath.Child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"))
		}
	default:
		allErrs = append(allErrs, field.Invalid(fldPath.Child("operator"), rq.Operator, "not a valid selector operator"))
	}
	allErrs = append(allErrs, metav1validation.ValidateLabelName(rq.Key, fldPath.Child("key"))...)
	if !allowInvalidLabelValue {
		for i, v := range rq.Values {
			for _, msg := range validation.IsValidLabelValue(v) {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("values").Index(i), v, msg))
			}
		}
	}
	return allErrs
}

func validateNodeFieldSelectorRequirement(req corev1.NodeSelectorRequirement, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	switch req.Operator {
	case corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn:
		if len(req.Values) != 1 {
			allErrs = append(allErrs, field.Required(fldPath.Child("values"), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"))
		}
	default:
		allErrs = append(allErrs, field.Invalid(fldPath.Child("operator"), req.Operator, "not a valid selector operator"))
	}
	// The only valid key is metadata.name; values are node names.
	if req.Key != "metadata.name" {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("key"), req.Key, "not a valid field selector key"))
	} else {
		for i, v := range req.Values {
			for _, msg := range nameIsDNSSubdomain(v, false) {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("values").Index(i), v, msg))
			}
		}
	}
	return allErrs
}

// affinityRatchets mirrors hasInvalidLabelValueInAffinitySelector and
// hasInvalidLabelValueInRequiredNodeAffinity on the old spec.
func affinityRatchets(old *corev1.PodSpec) (selector, nodeAffinity bool) {
	if old == nil || old.Affinity == nil {
		return false, false
	}
	check := func(req []corev1.PodAffinityTerm, pref []corev1.WeightedPodAffinityTerm) {
		for _, t := range req {
			if len(podAffinityTermSelectorErrs(t, false, nil)) != 0 {
				selector = true
			}
		}
		for _, t := range pref {
			if len(podAffinityTermSelectorErrs(t.PodAffinityTerm, false, nil)) != 0 {
				selector = true
			}
		}
	}
	if pa := old.Affinity.PodAffinity; pa != nil {
		check(pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	if pa := old.Affinity.PodAntiAffinity; pa != nil {
		check(pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	if na := old.Affinity.NodeAffinity; na != nil && na.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		for _, term := range na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			for _, e := range term.MatchExpressions {
				for _, v := range e.Values {
					if len(validation.IsValidLabelValue(v)) > 0 {
						nodeAffinity = true
					}
				}
			}
		}
	}
	return selector, nodeAffinity
}
