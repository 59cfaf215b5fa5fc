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
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// StaticConfigSuffix is reserved for admission configurations loaded from
// manifest files at start (ManifestBasedAdmissionControlConfig, beta and on
// in v1.37); the API refuses such names
// (pkg/apis/admissionregistration/validation/static_suffix.go).
const StaticConfigSuffix = ".static.k8s.io"

// ValidateStaticSuffix mirrors the function of the same name.
func ValidateStaticSuffix(name string) field.ErrorList {
	if strings.HasSuffix(name, StaticConfigSuffix) {
		return field.ErrorList{field.Invalid(field.NewPath("metadata", "name"), name,
			fmt.Sprintf("names ending with %q are reserved for static manifest-based configurations and cannot be managed via the API", StaticConfigSuffix))}
	}
	return nil
}

// WarningsForStaticSuffix mirrors the function of the same name. Upstream
// strategies return it on update even with the feature on (an object created
// before the feature keeps warning).
func WarningsForStaticSuffix(name string) []string {
	if strings.HasSuffix(name, StaticConfigSuffix) {
		return []string{fmt.Sprintf("metadata.name: names ending with %q are reserved for static manifest-based configurations and cannot be managed via the API", StaticConfigSuffix)}
	}
	return nil
}

// excludedResources are the non-persisted resources admission webhooks and
// policies never intercept (ExcludeAdmissionWebhookVirtualResources, beta
// and on in v1.37): k8s.io/kubernetes pkg/kubeapiserver/admission/exclusion,
// the excluded list.
var excludedResources = []schema.GroupResource{
	{Group: "authentication.k8s.io", Resource: "selfsubjectreviews"},
	{Group: "authentication.k8s.io", Resource: "tokenreviews"},
	{Group: "authorization.k8s.io", Resource: "localsubjectaccessreviews"},
	{Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"},
	{Group: "authorization.k8s.io", Resource: "selfsubjectrulesreviews"},
	{Group: "authorization.k8s.io", Resource: "subjectaccessreviews"},
}

// ExcludedResources returns a copy of the resources admission webhooks and
// policies do not intercept.
func ExcludedResources() []schema.GroupResource { return slices.Clone(excludedResources) }

// WarningsForWebhookRules mirrors WarningsForValidatingWebhookRules and
// WarningsForMutatingWebhookRules (pkg/apis/admissionregistration/validation/warnings.go):
// a rule that names an excluded resource explicitly (no "*" among its groups
// or resources) will never match it.
func WarningsForWebhookRules(rulesOf [][]admissionregistrationv1.RuleWithOperations) []string {
	excluded := sets.New(excludedResources...)
	var warnings []string
	for i, rules := range rulesOf {
		path := field.NewPath("webhooks").Index(i).Child("rules")
		for j, r := range rules {
			if slices.Contains(r.APIGroups, "*") || slices.Contains(r.Resources, "*") {
				continue
			}
			seen := sets.New[schema.GroupResource]()
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					gr := schema.GroupResource{Group: g, Resource: res}
					if excluded.Has(gr) && !seen.Has(gr) {
						seen.Insert(gr)
						warnings = append(warnings, fmt.Sprintf("%s: %s is excluded from admission webhooks; this rule will have no effect", path.Index(j), gr))
					}
				}
			}
		}
	}
	return warnings
}

// ValidatingRules and MutatingRules collect each webhook's rules for
// WarningsForWebhookRules.
func ValidatingRules(hooks []admissionregistrationv1.ValidatingWebhook) [][]admissionregistrationv1.RuleWithOperations {
	out := make([][]admissionregistrationv1.RuleWithOperations, len(hooks))
	for i := range hooks {
		out[i] = hooks[i].Rules
	}
	return out
}

// MutatingRules: see ValidatingRules.
func MutatingRules(hooks []admissionregistrationv1.MutatingWebhook) [][]admissionregistrationv1.RuleWithOperations {
	out := make([][]admissionregistrationv1.RuleWithOperations, len(hooks))
	for i := range hooks {
		out[i] = hooks[i].Rules
	}
	return out
}
