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
	"reflect"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	genericvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/util/webhook"
)

// Webhook configurations, mirroring the webhook half of
// k8s.io/kubernetes/pkg/apis/admissionregistration/validation/validation.go.

// acceptedAdmissionReviewVersions are the AdmissionReview versions the
// previous kube-apiserver release understands (validation.go,
// AcceptedAdmissionReviewVersions).
var acceptedAdmissionReviewVersions = []string{"v1", "v1beta1"}

var (
	supportedFailurePolicies      = sets.New(string(admissionregistrationv1.Ignore), string(admissionregistrationv1.Fail))
	supportedMatchPolicies        = sets.New(string(admissionregistrationv1.Exact), string(admissionregistrationv1.Equivalent))
	supportedScopes               = sets.New(string(admissionregistrationv1.ClusterScope), string(admissionregistrationv1.NamespacedScope), string(admissionregistrationv1.AllScopes))
	supportedReinvocationPolicies = sets.New(string(admissionregistrationv1.NeverReinvocationPolicy), string(admissionregistrationv1.IfNeededReinvocationPolicy))
	allSideEffectClasses          = sets.New(string(admissionregistrationv1.SideEffectClassUnknown), string(admissionregistrationv1.SideEffectClassNone),
		string(admissionregistrationv1.SideEffectClassSome), string(admissionregistrationv1.SideEffectClassNoneOnDryRun))
	noSideEffectClasses = sets.New(string(admissionregistrationv1.SideEffectClassNone), string(admissionregistrationv1.SideEffectClassNoneOnDryRun))
	supportedOperations = sets.New(string(admissionregistrationv1.OperationAll), string(admissionregistrationv1.Create),
		string(admissionregistrationv1.Update), string(admissionregistrationv1.Delete), string(admissionregistrationv1.Connect))
)

// options are what an update relaxes for objects that were already stored
// under older rules (validation.go, validationOptions).
type options struct {
	ignoreMatchConditions            bool
	allowParamsInMatchConditions     bool
	requireNoSideEffects             bool
	requireRecognizedReviewVersion   bool
	requireUniqueWebhookNames        bool
	allowInvalidLabelValueInSelector bool
	preexisting                      preexistingExpressions
}

// createOptions are the strict options of a create.
var createOptions = options{requireNoSideEffects: true, requireRecognizedReviewVersion: true, requireUniqueWebhookNames: true}

// webhookFields are the fields validating and mutating webhooks share.
type webhookFields struct {
	name                    string
	clientConfig            admissionregistrationv1.WebhookClientConfig
	rules                   []admissionregistrationv1.RuleWithOperations
	failurePolicy           *admissionregistrationv1.FailurePolicyType
	matchPolicy             *admissionregistrationv1.MatchPolicyType
	namespaceSelector       *metav1.LabelSelector
	objectSelector          *metav1.LabelSelector
	sideEffects             *admissionregistrationv1.SideEffectClass
	timeoutSeconds          *int32
	admissionReviewVersions []string
	matchConditions         []admissionregistrationv1.MatchCondition
	// reinvocationPolicy is checked for mutating webhooks only.
	mutating           bool
	reinvocationPolicy *admissionregistrationv1.ReinvocationPolicyType
}

func validatingFields(h *admissionregistrationv1.ValidatingWebhook) webhookFields {
	return webhookFields{h.Name, h.ClientConfig, h.Rules, h.FailurePolicy, h.MatchPolicy, h.NamespaceSelector, h.ObjectSelector,
		h.SideEffects, h.TimeoutSeconds, h.AdmissionReviewVersions, h.MatchConditions, false, nil}
}

func mutatingFields(h *admissionregistrationv1.MutatingWebhook) webhookFields {
	return webhookFields{h.Name, h.ClientConfig, h.Rules, h.FailurePolicy, h.MatchPolicy, h.NamespaceSelector, h.ObjectSelector,
		h.SideEffects, h.TimeoutSeconds, h.AdmissionReviewVersions, h.MatchConditions, true, h.ReinvocationPolicy}
}

// ValidateValidatingWebhookConfiguration mirrors the function of the same
// name; ValidateValidatingWebhookConfigurationUpdate relaxes it for what the
// old object already had.
func ValidateValidatingWebhookConfiguration(c *admissionregistrationv1.ValidatingWebhookConfiguration) field.ErrorList {
	return validateWebhookConfiguration(&c.ObjectMeta, validatingHooks(c.Webhooks), createOptions)
}

// ValidateValidatingWebhookConfigurationUpdate mirrors the function of the same name.
func ValidateValidatingWebhookConfigurationUpdate(c, old *admissionregistrationv1.ValidatingWebhookConfiguration) field.ErrorList {
	return validateWebhookConfiguration(&c.ObjectMeta, validatingHooks(c.Webhooks), updateOptions(validatingHooks(c.Webhooks), validatingHooks(old.Webhooks)))
}

// ValidateMutatingWebhookConfiguration mirrors the function of the same name.
func ValidateMutatingWebhookConfiguration(c *admissionregistrationv1.MutatingWebhookConfiguration) field.ErrorList {
	return validateWebhookConfiguration(&c.ObjectMeta, mutatingHooks(c.Webhooks), createOptions)
}

// ValidateMutatingWebhookConfigurationUpdate mirrors the function of the same name.
func ValidateMutatingWebhookConfigurationUpdate(c, old *admissionregistrationv1.MutatingWebhookConfiguration) field.ErrorList {
	return validateWebhookConfiguration(&c.ObjectMeta, mutatingHooks(c.Webhooks), updateOptions(mutatingHooks(c.Webhooks), mutatingHooks(old.Webhooks)))
}

func validatingHooks(hs []admissionregistrationv1.ValidatingWebhook) []webhookFields {
	out := make([]webhookFields, len(hs))
	for i := range hs {
		out[i] = validatingFields(&hs[i])
	}
	return out
}

func mutatingHooks(hs []admissionregistrationv1.MutatingWebhook) []webhookFields {
	out := make([]webhookFields, len(hs))
	for i := range hs {
		out[i] = mutatingFields(&hs[i])
	}
	return out
}

// updateOptions mirrors the option choices of
// Validate{Validating,Mutating}WebhookConfigurationUpdate: a rule is only
// enforced if every old webhook already obeyed it.
func updateOptions(hooks, old []webhookFields) options {
	o := options{
		ignoreMatchConditions:          sameMatchConditions(hooks, old),
		requireNoSideEffects:           true,
		requireRecognizedReviewVersion: true,
		requireUniqueWebhookNames:      true,
		preexisting:                    newPreexistingExpressions(),
	}
	names := sets.New[string]()
	for _, h := range old {
		if h.sideEffects == nil || !noSideEffectClasses.Has(string(*h.sideEffects)) {
			o.requireNoSideEffects = false
		}
		if len(h.admissionReviewVersions) > 0 && !hasAcceptedReviewVersion(h.admissionReviewVersions) {
			o.requireRecognizedReviewVersion = false
		}
		if names.Has(h.name) {
			o.requireUniqueWebhookNames = false
		}
		names.Insert(h.name)
		strict := metav1validation.LabelSelectorValidationOptions{}
		if h.namespaceSelector != nil && len(metav1validation.ValidateLabelSelector(h.namespaceSelector, strict, nil)) > 0 ||
			h.objectSelector != nil && len(metav1validation.ValidateLabelSelector(h.objectSelector, strict, nil)) > 0 {
			o.allowInvalidLabelValueInSelector = true
		}
		for _, mc := range h.matchConditions {
			o.preexisting.matchConditions.Insert(mc.Expression)
		}
	}
	return o
}

// sameMatchConditions is ignore{Validating,Mutating}WebhookMatchConditions:
// match conditions are not revalidated when no webhook's changed.
func sameMatchConditions(hooks, old []webhookFields) bool {
	if len(hooks) != len(old) {
		return false
	}
	for i := range old {
		if !reflect.DeepEqual(hooks[i].matchConditions, old[i].matchConditions) {
			return false
		}
	}
	return true
}

func hasAcceptedReviewVersion(versions []string) bool {
	for _, v := range versions {
		for _, a := range acceptedAdmissionReviewVersions {
			if v == a {
				return true
			}
		}
	}
	return false
}

func validateWebhookConfiguration(meta *metav1.ObjectMeta, hooks []webhookFields, opts options) field.ErrorList {
	allErrs := genericvalidation.ValidateObjectMeta(meta, false, genericvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	names := sets.New[string]()
	for i, h := range hooks {
		p := field.NewPath("webhooks").Index(i)
		allErrs = append(allErrs, validateWebhook(&h, opts, p)...)
		allErrs = append(allErrs, validateAdmissionReviewVersions(h.admissionReviewVersions, opts.requireRecognizedReviewVersion, p.Child("admissionReviewVersions"))...)
		if opts.requireUniqueWebhookNames && len(h.name) > 0 {
			if names.Has(h.name) {
				allErrs = append(allErrs, field.Duplicate(p.Child("name"), h.name))
			} else {
				names.Insert(h.name)
			}
		}
	}
	return allErrs
}

// validateWebhook mirrors validateValidatingWebhook and validateMutatingWebhook.
func validateWebhook(h *webhookFields, opts options, fldPath *field.Path) field.ErrorList {
	allErrs := utilvalidation.IsFullyQualifiedName(fldPath.Child("name"), h.name)
	selectorOpts := metav1validation.LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: opts.allowInvalidLabelValueInSelector}
	for i := range h.rules {
		allErrs = append(allErrs, validateRuleWithOperations(&h.rules[i], fldPath.Child("rules").Index(i))...)
	}
	if h.failurePolicy != nil && !supportedFailurePolicies.Has(string(*h.failurePolicy)) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("failurePolicy"), *h.failurePolicy, sets.List(supportedFailurePolicies)))
	}
	if h.matchPolicy != nil && !supportedMatchPolicies.Has(string(*h.matchPolicy)) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("matchPolicy"), *h.matchPolicy, sets.List(supportedMatchPolicies)))
	}
	allowedSideEffects := allSideEffectClasses
	if opts.requireNoSideEffects {
		allowedSideEffects = noSideEffectClasses
	}
	if h.sideEffects == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("sideEffects"), fmt.Sprintf("must specify one of %v", strings.Join(sets.List(allowedSideEffects), ", "))))
	} else if !allowedSideEffects.Has(string(*h.sideEffects)) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("sideEffects"), *h.sideEffects, sets.List(allowedSideEffects)))
	}
	if h.timeoutSeconds != nil && (*h.timeoutSeconds > 30 || *h.timeoutSeconds < 1) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("timeoutSeconds"), *h.timeoutSeconds, "the timeout value must be between 1 and 30 seconds"))
	}
	if h.namespaceSelector != nil {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(h.namespaceSelector, selectorOpts, fldPath.Child("namespaceSelector"))...)
	}
	if h.objectSelector != nil {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(h.objectSelector, selectorOpts, fldPath.Child("objectSelector"))...)
	}
	if h.mutating && h.reinvocationPolicy != nil && !supportedReinvocationPolicies.Has(string(*h.reinvocationPolicy)) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("reinvocationPolicy"), *h.reinvocationPolicy, sets.List(supportedReinvocationPolicies)))
	}
	cc := h.clientConfig
	switch {
	case (cc.URL == nil) == (cc.Service == nil):
		allErrs = append(allErrs, field.Required(fldPath.Child("clientConfig"), "exactly one of url or service is required"))
	case cc.URL != nil:
		allErrs = append(allErrs, webhook.ValidateWebhookURL(fldPath.Child("clientConfig").Child("url"), *cc.URL, true)...)
	default:
		var port int32
		if cc.Service.Port != nil {
			port = *cc.Service.Port
		}
		allErrs = append(allErrs, webhook.ValidateWebhookService(fldPath.Child("clientConfig").Child("service"), cc.Service.Name, cc.Service.Namespace, cc.Service.Path, port)...)
	}
	if !opts.ignoreMatchConditions {
		allErrs = append(allErrs, validateMatchConditions(h.matchConditions, opts, fldPath.Child("matchConditions"))...)
	}
	return allErrs
}

// validateAdmissionReviewVersions mirrors the function of the same name.
func validateAdmissionReviewVersions(versions []string, requireRecognized bool, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(versions) == 0 {
		return append(allErrs, field.Required(fldPath, fmt.Sprintf("must specify one of %v", strings.Join(acceptedAdmissionReviewVersions, ", "))))
	}
	seen := sets.New[string]()
	for i, v := range versions {
		if seen.Has(v) {
			allErrs = append(allErrs, field.Invalid(fldPath.Index(i), v, "duplicate version"))
			continue
		}
		seen.Insert(v)
		for _, msg := range utilvalidation.IsDNS1035Label(v) {
			allErrs = append(allErrs, field.Invalid(fldPath.Index(i), v, msg))
		}
	}
	if requireRecognized && !hasAcceptedReviewVersion(versions) {
		allErrs = append(allErrs, field.Invalid(fldPath, versions, fmt.Sprintf("must include at least one of %v", strings.Join(acceptedAdmissionReviewVersions, ", "))))
	}
	return allErrs
}

// validateRuleWithOperations mirrors the function of the same name.
func validateRuleWithOperations(r *admissionregistrationv1.RuleWithOperations, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(r.Operations) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("operations"), ""))
	}
	hasAll := false
	for _, op := range r.Operations {
		if op == admissionregistrationv1.OperationAll {
			hasAll = true
		}
	}
	if len(r.Operations) > 1 && hasAll {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("operations"), r.Operations, "if '*' is present, must not specify other operations"))
	}
	for i, op := range r.Operations {
		if !supportedOperations.Has(string(op)) {
			allErrs = append(allErrs, field.NotSupported(fldPath.Child("operations").Index(i), op, sets.List(supportedOperations)))
		}
	}
	return append(allErrs, validateRule(&r.Rule, fldPath)...)
}

// validateRule mirrors validateRule with subresources allowed (every caller
// in v1 allows them).
func validateRule(r *admissionregistrationv1.Rule, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(r.APIGroups) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("apiGroups"), ""))
	}
	if len(r.APIGroups) > 1 && hasWildcard(r.APIGroups) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("apiGroups"), r.APIGroups, "if '*' is present, must not specify other API groups"))
	}
	if len(r.APIVersions) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("apiVersions"), ""))
	}
	if len(r.APIVersions) > 1 && hasWildcard(r.APIVersions) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("apiVersions"), r.APIVersions, "if '*' is present, must not specify other API versions"))
	}
	for i, v := range r.APIVersions {
		if v == "" {
			allErrs = append(allErrs, field.Required(fldPath.Child("apiVersions").Index(i), ""))
		}
	}
	allErrs = append(allErrs, validateResources(r.Resources, fldPath.Child("resources"))...)
	if r.Scope != nil && !supportedScopes.Has(string(*r.Scope)) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("scope"), *r.Scope, sets.List(supportedScopes)))
	}
	return allErrs
}

// validateResources mirrors the function of the same name: "x/*" excludes
// other "x/..." entries, "*/y" other ".../y" entries, "*/*" everything else,
// and "*" every entry without a subresource.
func validateResources(resources []string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(resources) == 0 {
		allErrs = append(allErrs, field.Required(fldPath, ""))
	}
	wildcardSub := sets.New[string]() // x of "x/*"
	wildcardRes := sets.New[string]() // y of "*/y"
	var doubleWildcard, singleWildcard, plainResource bool
	for i, rs := range resources {
		if rs == "" {
			allErrs = append(allErrs, field.Required(fldPath.Index(i), ""))
			continue
		}
		if rs == "*/*" {
			doubleWildcard = true
		}
		if rs == "*" {
			singleWildcard = true
		}
		res, sub, hasSub := strings.Cut(rs, "/")
		if !hasSub {
			// Upstream keeps only the last entry's answer here.
			plainResource = rs != "*"
			continue
		}
		if wildcardSub.Has(res) {
			allErrs = append(allErrs, field.Invalid(fldPath.Index(i), rs, fmt.Sprintf("if '%s/*' is present, must not specify %s", res, rs)))
		}
		if wildcardRes.Has(sub) {
			allErrs = append(allErrs, field.Invalid(fldPath.Index(i), rs, fmt.Sprintf("if '*/%s' is present, must not specify %s", sub, rs)))
		}
		if sub == "*" {
			wildcardSub.Insert(res)
		}
		if res == "*" {
			wildcardRes.Insert(sub)
		}
	}
	if len(resources) > 1 && doubleWildcard {
		allErrs = append(allErrs, field.Invalid(fldPath, resources, "if '*/*' is present, must not specify other resources"))
	}
	if singleWildcard && plainResource {
		allErrs = append(allErrs, field.Invalid(fldPath, resources, "if '*' is present, must not specify other resources without subresources"))
	}
	return allErrs
}

func hasWildcard(s []string) bool {
	for _, v := range s {
		if v == "*" {
			return true
		}
	}
	return false
}

// validateMatchConditions mirrors the function of the same name.
func validateMatchConditions(conditions []admissionregistrationv1.MatchCondition, opts options, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(conditions) > 64 {
		allErrs = append(allErrs, field.TooMany(fldPath, len(conditions), 64))
	}
	names := sets.New[string]()
	for i, mc := range conditions {
		p := fldPath.Index(i)
		if expr := strings.TrimSpace(mc.Expression); expr == "" {
			allErrs = append(allErrs, field.Required(p.Child("expression"), ""))
		} else {
			allErrs = append(allErrs, compileMatchCondition(expr, opts, p.Child("expression"))...)
		}
		if mc.Name == "" {
			allErrs = append(allErrs, field.Required(p.Child("name"), ""))
		} else {
			allErrs = append(allErrs, validateQualifiedName(mc.Name, p.Child("name"))...)
		}
		if mc.Name != "" {
			if names.Has(mc.Name) {
				allErrs = append(allErrs, field.Duplicate(p.Child("name"), mc.Name))
			} else {
				names.Insert(mc.Name)
			}
		}
	}
	return allErrs
}

// validateQualifiedName is core validation's ValidateQualifiedName.
func validateQualifiedName(value string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, msg := range utilvalidation.IsQualifiedName(value) {
		allErrs = append(allErrs, field.Invalid(fldPath, value, msg))
	}
	return allErrs
}
