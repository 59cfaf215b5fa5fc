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

// Package admissionregistration holds the rules of the
// admissionregistration.k8s.io/v1 resources Ephemera serves (webhook
// configurations, validating and mutating admission policies and their
// bindings): defaulting, validation, warnings and the paramKind/paramRef
// authorization checks, mirroring k8s.io/kubernetes
// pkg/apis/admissionregistration/{v1,validation} and
// pkg/registry/admissionregistration. The per-resource strategies live in the
// subpackages.
//
// Upstream validates the internal types of
// k8s.io/kubernetes/pkg/apis/admissionregistration, and field errors render
// composite bad values as JSON. Internal types have no json tags, so a struct
// in an error prints with Go field names ({"Key":...}); such values are
// converted to tag-less mirror types before they go into an error.
package admissionregistration

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// RegisterDefaults adds the defaulting functions of the admissionregistration
// v1 kinds to scheme. They mirror SetObjectDefaults_* in
// k8s.io/kubernetes/pkg/apis/admissionregistration/v1/zz_generated.defaults.go
// and the SetDefaults_* functions of defaults.go there.
func RegisterDefaults(scheme *runtime.Scheme) error {
	scheme.AddTypeDefaultingFunc(&admissionregistrationv1.ValidatingWebhookConfiguration{}, func(obj interface{}) {
		DefaultValidatingWebhookConfiguration(obj.(*admissionregistrationv1.ValidatingWebhookConfiguration))
	})
	scheme.AddTypeDefaultingFunc(&admissionregistrationv1.ValidatingWebhookConfigurationList{}, func(obj interface{}) {
		for i := range obj.(*admissionregistrationv1.ValidatingWebhookConfigurationList).Items {
			DefaultValidatingWebhookConfiguration(&obj.(*admissionregistrationv1.ValidatingWebhookConfigurationList).Items[i])
		}
	})
	scheme.AddTypeDefaultingFunc(&admissionregistrationv1.MutatingWebhookConfiguration{}, func(obj interface{}) {
		DefaultMutatingWebhookConfiguration(obj.(*admissionregistrationv1.MutatingWebhookConfiguration))
	})
	scheme.AddTypeDefaultingFunc(&admissionregistrationv1.MutatingWebhookConfigurationList{}, func(obj interface{}) {
		for i := range obj.(*admissionregistrationv1.MutatingWebhookConfigurationList).Items {
			DefaultMutatingWebhookConfiguration(&obj.(*admissionregistrationv1.MutatingWebhookConfigurationList).Items[i])
		}
	})
	scheme.AddTypeDefaultingFunc(&admissionregistrationv1.ValidatingAdmissionPolicy{}, func(obj interface{}) {
		DefaultValidatingAdmissionPolicy(obj.(*admissionregistrationv1.ValidatingAdmissionPolicy))
	})
	scheme.AddTypeDefaultingFunc(&admissionregistrationv1.ValidatingAdmissionPolicyList{}, func(obj interface{}) {
		for i := range obj.(*admissionregistrationv1.ValidatingAdmissionPolicyList).Items {
			DefaultValidatingAdmissionPolicy(&obj.(*admissionregistrationv1.ValidatingAdmissionPolicyList).Items[i])
		}
	})
	scheme.AddTypeDefaultingFunc(&admissionregistrationv1.ValidatingAdmissionPolicyBinding{}, func(obj interface{}) {
		defaultMatchResources(obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding).Spec.MatchResources)
	})
	scheme.AddTypeDefaultingFunc(&admissionregistrationv1.ValidatingAdmissionPolicyBindingList{}, func(obj interface{}) {
		for i := range obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBindingList).Items {
			defaultMatchResources(obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBindingList).Items[i].Spec.MatchResources)
		}
	})
	scheme.AddTypeDefaultingFunc(&admissionregistrationv1.MutatingAdmissionPolicy{}, func(obj interface{}) {
		DefaultMutatingAdmissionPolicy(obj.(*admissionregistrationv1.MutatingAdmissionPolicy))
	})
	scheme.AddTypeDefaultingFunc(&admissionregistrationv1.MutatingAdmissionPolicyList{}, func(obj interface{}) {
		for i := range obj.(*admissionregistrationv1.MutatingAdmissionPolicyList).Items {
			DefaultMutatingAdmissionPolicy(&obj.(*admissionregistrationv1.MutatingAdmissionPolicyList).Items[i])
		}
	})
	scheme.AddTypeDefaultingFunc(&admissionregistrationv1.MutatingAdmissionPolicyBinding{}, func(obj interface{}) {
		defaultMatchResources(obj.(*admissionregistrationv1.MutatingAdmissionPolicyBinding).Spec.MatchResources)
	})
	scheme.AddTypeDefaultingFunc(&admissionregistrationv1.MutatingAdmissionPolicyBindingList{}, func(obj interface{}) {
		for i := range obj.(*admissionregistrationv1.MutatingAdmissionPolicyBindingList).Items {
			defaultMatchResources(obj.(*admissionregistrationv1.MutatingAdmissionPolicyBindingList).Items[i].Spec.MatchResources)
		}
	})
	return nil
}

// DefaultValidatingWebhookConfiguration mirrors
// SetObjectDefaults_ValidatingWebhookConfiguration: each webhook gets
// failurePolicy Fail, matchPolicy Equivalent, empty namespace and object
// selectors and a 10 s timeout; service references port 443; rules scope "*".
func DefaultValidatingWebhookConfiguration(c *admissionregistrationv1.ValidatingWebhookConfiguration) {
	for i := range c.Webhooks {
		h := &c.Webhooks[i]
		defaultWebhook(&h.FailurePolicy, &h.MatchPolicy, &h.NamespaceSelector, &h.ObjectSelector, &h.TimeoutSeconds)
		defaultClientConfig(&h.ClientConfig)
		for j := range h.Rules {
			defaultRule(&h.Rules[j].Rule)
		}
	}
}

// DefaultMutatingWebhookConfiguration mirrors
// SetObjectDefaults_MutatingWebhookConfiguration: the validating webhook's
// defaults plus reinvocationPolicy Never.
func DefaultMutatingWebhookConfiguration(c *admissionregistrationv1.MutatingWebhookConfiguration) {
	for i := range c.Webhooks {
		h := &c.Webhooks[i]
		defaultWebhook(&h.FailurePolicy, &h.MatchPolicy, &h.NamespaceSelector, &h.ObjectSelector, &h.TimeoutSeconds)
		if h.ReinvocationPolicy == nil {
			h.ReinvocationPolicy = ptr.To(admissionregistrationv1.NeverReinvocationPolicy)
		}
		defaultClientConfig(&h.ClientConfig)
		for j := range h.Rules {
			defaultRule(&h.Rules[j].Rule)
		}
	}
}

// DefaultValidatingAdmissionPolicy mirrors
// SetObjectDefaults_ValidatingAdmissionPolicy: failurePolicy Fail and the
// match constraints' defaults.
func DefaultValidatingAdmissionPolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
	if p.Spec.FailurePolicy == nil {
		p.Spec.FailurePolicy = ptr.To(admissionregistrationv1.Fail)
	}
	defaultMatchResources(p.Spec.MatchConstraints)
}

// DefaultMutatingAdmissionPolicy mirrors
// SetObjectDefaults_MutatingAdmissionPolicy.
func DefaultMutatingAdmissionPolicy(p *admissionregistrationv1.MutatingAdmissionPolicy) {
	if p.Spec.FailurePolicy == nil {
		p.Spec.FailurePolicy = ptr.To(admissionregistrationv1.Fail)
	}
	defaultMatchResources(p.Spec.MatchConstraints)
}

// defaultWebhook holds SetDefaults_ValidatingWebhook and the part of
// SetDefaults_MutatingWebhook they share.
func defaultWebhook(failurePolicy **admissionregistrationv1.FailurePolicyType, matchPolicy **admissionregistrationv1.MatchPolicyType,
	namespaceSelector, objectSelector **metav1.LabelSelector, timeoutSeconds **int32) {
	if *failurePolicy == nil {
		*failurePolicy = ptr.To(admissionregistrationv1.Fail)
	}
	if *matchPolicy == nil {
		*matchPolicy = ptr.To(admissionregistrationv1.Equivalent)
	}
	if *namespaceSelector == nil {
		*namespaceSelector = &metav1.LabelSelector{}
	}
	if *objectSelector == nil {
		*objectSelector = &metav1.LabelSelector{}
	}
	if *timeoutSeconds == nil {
		*timeoutSeconds = ptr.To[int32](10)
	}
}

// defaultClientConfig mirrors SetDefaults_ServiceReference.
func defaultClientConfig(cc *admissionregistrationv1.WebhookClientConfig) {
	if cc.Service != nil && cc.Service.Port == nil {
		cc.Service.Port = ptr.To[int32](443)
	}
}

// defaultRule mirrors SetDefaults_Rule.
func defaultRule(r *admissionregistrationv1.Rule) {
	if r.Scope == nil {
		r.Scope = ptr.To(admissionregistrationv1.AllScopes)
	}
}

// defaultMatchResources mirrors SetDefaults_MatchResources and the rule
// defaults of the resource and exclude rules under it.
func defaultMatchResources(m *admissionregistrationv1.MatchResources) {
	if m == nil {
		return
	}
	if m.MatchPolicy == nil {
		m.MatchPolicy = ptr.To(admissionregistrationv1.Equivalent)
	}
	if m.NamespaceSelector == nil {
		m.NamespaceSelector = &metav1.LabelSelector{}
	}
	if m.ObjectSelector == nil {
		m.ObjectSelector = &metav1.LabelSelector{}
	}
	for i := range m.ResourceRules {
		defaultRule(&m.ResourceRules[i].RuleWithOperations.Rule)
	}
	for i := range m.ExcludeResourceRules {
		defaultRule(&m.ExcludeResourceRules[i].RuleWithOperations.Rule)
	}
}
