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

package main

import (
	"fmt"
	"strings"

	arv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/kubernetes/pkg/apis/admissionregistration"
	k8sarv1 "k8s.io/kubernetes/pkg/apis/admissionregistration/v1"
	arvalidation "k8s.io/kubernetes/pkg/apis/admissionregistration/validation"
	"sigs.k8s.io/randfill"

	ephar "github.com/ephemera-dev/ephemera/strategy/admissionregistration"
)

// Modes for the admissionregistration.k8s.io/v1 validation of
// strategy/admissionregistration: random webhook configurations, policies
// and bindings (created, and updated from a random old object), defaulted by
// Ephemera, validated by upstream (after conversion to the internal types)
// and by Ephemera. The handwritten errors are compared, with the flag that
// says whether declarative validation covers them.
//
//	webhooks  Validate{Validating,Mutating}WebhookConfiguration{,Update}
//	policies  Validate{Validating,Mutating}AdmissionPolicy{,Update} and the bindings
func init() {
	counters := []string{"valid", "withErrors", "celErrors", "covered"}
	modes["webhooks"] = mode{seed: 7, gen: genConfig{nilChance: 0.4, names: arNames}, check: counted(checkWebhooks), counters: counters}
	modes["policies"] = mode{seed: 11, gen: genConfig{nilChance: 0.4, names: arNames}, check: counted(checkPolicies), counters: counters}
}

// counted counts what kinds of answers upstream gave, to show the cases
// exercise something.
func counted(check func(c *testCase) (want, got []string)) func(c *testCase) (want, got []string) {
	return func(c *testCase) (want, got []string) {
		want, got = check(c)
		if len(want) == 0 {
			c.count("valid")
		} else {
			c.count("withErrors")
		}
		for _, w := range want {
			if strings.Contains(w, "compil") || strings.Contains(w, "undeclared reference") {
				c.count("celErrors")
			}
			if strings.HasSuffix(w, "covered=true") {
				c.count("covered")
			}
		}
		return want, got
	}
}

// arNames are the strings random objects draw from: valid and invalid names,
// groups, versions, resources, enum values, URLs and paths.
var arNames = []string{"", "*", "x", "Bad", "a.b.c", "pods", "pods/*", "*/ephemeralcontainers", "pods/ephemeralcontainers", "*/*", "pods/status",
	"v1", "v1beta1", "v2", "apps", "rbac.authorization.k8s.io", "authorization.k8s.io", "subjectaccessreviews", "CREATE", "UPDATE", "DELETE", "CONNECT", "FOO",
	"Fail", "Ignore", "Exact", "Equivalent", "None", "NoneOnDryRun", "Some", "Unknown", "Never", "IfNeeded", "Namespaced", "Cluster",
	"Deny", "Warn", "Audit", "Allow", "JSONPatch", "ApplyConfiguration", "Forbidden", "Invalid", "ConfigMap", "apps/v1", "a/b/c", "/v1",
	"https://127.0.0.1/x", "http://127.0.0.1/x", "https://h/p?q=1", "https://user@h", "/validate", "svc", "ns", "a b", "x.static.k8s.io"}

// celExpressions are the expressions random CEL fields draw from.
var celExpressions = []string{"", "  ", "true", "false", "1 + ", "object.metadata.name == 'x'", `request.subResource == "ephemeralcontainers"`,
	"params.metadata.name == 'x'", "variables.foo", "has(object.spec)", "'a' + 1", "authorizer.group('').resource('pods').check('get').allowed()",
	`"message " + object.metadata.name`, "object.metadata.name", "null", "string(object.metadata.name)\n",
	`Object{metadata: Object.metadata{labels: {"a": "b"}}}`, `[JSONPatch{op: "add", path: "/metadata/labels/a", value: "b"}]`,
	"object.spec.ephemeralContainers.all(c, c.image != '')", "oldObject.metadata.name"}

func arFiller(c *testCase) *randfill.Filler {
	pick := func(s []string, cont randfill.Continue) string { return s[cont.Intn(len(s))] }
	return c.f.Funcs(
		func(mc *arv1.MatchCondition, cont randfill.Continue) {
			mc.Name, mc.Expression = pick(arNames, cont), pick(celExpressions, cont)
		},
		func(v *arv1.Validation, cont randfill.Continue) {
			cont.FillNoCustom(v)
			v.Expression = pick(celExpressions, cont)
			if cont.Intn(2) == 0 {
				v.MessageExpression = pick(celExpressions, cont)
			}
		},
		func(v *arv1.Variable, cont randfill.Continue) {
			v.Name, v.Expression = pick([]string{"", "foo", "bar", "1x", "in", "a-b"}, cont), pick(celExpressions, cont)
		},
		func(a *arv1.AuditAnnotation, cont randfill.Continue) {
			a.Key, a.ValueExpression = pick(arNames, cont), pick(celExpressions, cont)
		},
		func(a *arv1.ApplyConfiguration, cont randfill.Continue) { a.Expression = pick(celExpressions, cont) },
		func(a *arv1.JSONPatch, cont randfill.Continue) { a.Expression = pick(celExpressions, cont) },
		func(m *metav1.ObjectMeta, cont randfill.Continue) {
			m.Name = pick([]string{"p", "a.b", "Bad", "x.static.k8s.io", ""}, cont)
		},
		func(s *metav1.LabelSelector, cont randfill.Continue) {
			*s = metav1.LabelSelector{}
			if cont.Intn(2) == 0 {
				s.MatchLabels = map[string]string{pick([]string{"a", "Bad/x", "k"}, cont): pick([]string{"v", "", "bad value"}, cont)}
			}
		},
		func(s *[]byte, cont randfill.Continue) { *s = nil },
	)
}

// arRender renders errors with their declarative-coverage flag.
func arRender(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, fmt.Sprintf("%s|%s|covered=%t", e.Type, e.Error(), e.CoveredByDeclarative))
	}
	return out
}

func convert[In, Out any](in In, out Out, fn func(In, Out) error) Out {
	if err := fn(in, out); err != nil {
		panic(err)
	}
	return out
}

func checkWebhooks(c *testCase) (want, got []string) {
	f := arFiller(c)
	switch c.r.Intn(4) {
	case 0, 1: // validating, created or updated
		n, o := &arv1.ValidatingWebhookConfiguration{}, &arv1.ValidatingWebhookConfiguration{}
		f.Fill(n)
		f.Fill(o)
		ephar.DefaultValidatingWebhookConfiguration(n)
		ephar.DefaultValidatingWebhookConfiguration(o)
		in := convert(n, &admissionregistration.ValidatingWebhookConfiguration{}, func(a *arv1.ValidatingWebhookConfiguration, b *admissionregistration.ValidatingWebhookConfiguration) error {
			return k8sarv1.Convert_v1_ValidatingWebhookConfiguration_To_admissionregistration_ValidatingWebhookConfiguration(a, b, nil)
		})
		if c.r.Intn(2) == 0 {
			return arRender(arvalidation.ValidateValidatingWebhookConfiguration(in)), arRender(ephar.ValidateValidatingWebhookConfiguration(n))
		}
		io := convert(o, &admissionregistration.ValidatingWebhookConfiguration{}, func(a *arv1.ValidatingWebhookConfiguration, b *admissionregistration.ValidatingWebhookConfiguration) error {
			return k8sarv1.Convert_v1_ValidatingWebhookConfiguration_To_admissionregistration_ValidatingWebhookConfiguration(a, b, nil)
		})
		return arRender(arvalidation.ValidateValidatingWebhookConfigurationUpdate(in, io)), arRender(ephar.ValidateValidatingWebhookConfigurationUpdate(n, o))
	default:
		n, o := &arv1.MutatingWebhookConfiguration{}, &arv1.MutatingWebhookConfiguration{}
		f.Fill(n)
		f.Fill(o)
		ephar.DefaultMutatingWebhookConfiguration(n)
		ephar.DefaultMutatingWebhookConfiguration(o)
		in := convert(n, &admissionregistration.MutatingWebhookConfiguration{}, func(a *arv1.MutatingWebhookConfiguration, b *admissionregistration.MutatingWebhookConfiguration) error {
			return k8sarv1.Convert_v1_MutatingWebhookConfiguration_To_admissionregistration_MutatingWebhookConfiguration(a, b, nil)
		})
		if c.r.Intn(2) == 0 {
			return arRender(arvalidation.ValidateMutatingWebhookConfiguration(in)), arRender(ephar.ValidateMutatingWebhookConfiguration(n))
		}
		io := convert(o, &admissionregistration.MutatingWebhookConfiguration{}, func(a *arv1.MutatingWebhookConfiguration, b *admissionregistration.MutatingWebhookConfiguration) error {
			return k8sarv1.Convert_v1_MutatingWebhookConfiguration_To_admissionregistration_MutatingWebhookConfiguration(a, b, nil)
		})
		return arRender(arvalidation.ValidateMutatingWebhookConfigurationUpdate(in, io)), arRender(ephar.ValidateMutatingWebhookConfigurationUpdate(n, o))
	}
}

func checkPolicies(c *testCase) (want, got []string) {
	f := arFiller(c)
	update := c.r.Intn(2) == 0
	switch c.r.Intn(4) {
	case 0:
		n, o := &arv1.ValidatingAdmissionPolicy{}, &arv1.ValidatingAdmissionPolicy{}
		f.Fill(n)
		f.Fill(o)
		if c.r.Intn(2) == 0 {
			o.Spec = *n.Spec.DeepCopy() // unchanged spec: stored-expression rules apply
		}
		ephar.DefaultValidatingAdmissionPolicy(n)
		ephar.DefaultValidatingAdmissionPolicy(o)
		conv := func(a *arv1.ValidatingAdmissionPolicy) *admissionregistration.ValidatingAdmissionPolicy {
			return convert(a, &admissionregistration.ValidatingAdmissionPolicy{}, func(a *arv1.ValidatingAdmissionPolicy, b *admissionregistration.ValidatingAdmissionPolicy) error {
				return k8sarv1.Convert_v1_ValidatingAdmissionPolicy_To_admissionregistration_ValidatingAdmissionPolicy(a, b, nil)
			})
		}
		if !update {
			return arRender(arvalidation.ValidateValidatingAdmissionPolicy(conv(n))), arRender(ephar.ValidateValidatingAdmissionPolicy(n))
		}
		return arRender(arvalidation.ValidateValidatingAdmissionPolicyUpdate(conv(n), conv(o))), arRender(ephar.ValidateValidatingAdmissionPolicyUpdate(n, o))
	case 1:
		n, o := &arv1.MutatingAdmissionPolicy{}, &arv1.MutatingAdmissionPolicy{}
		f.Fill(n)
		f.Fill(o)
		if c.r.Intn(2) == 0 {
			o.Spec = *n.Spec.DeepCopy()
		}
		ephar.DefaultMutatingAdmissionPolicy(n)
		ephar.DefaultMutatingAdmissionPolicy(o)
		conv := func(a *arv1.MutatingAdmissionPolicy) *admissionregistration.MutatingAdmissionPolicy {
			return convert(a, &admissionregistration.MutatingAdmissionPolicy{}, func(a *arv1.MutatingAdmissionPolicy, b *admissionregistration.MutatingAdmissionPolicy) error {
				return k8sarv1.Convert_v1_MutatingAdmissionPolicy_To_admissionregistration_MutatingAdmissionPolicy(a, b, nil)
			})
		}
		if !update {
			return arRender(arvalidation.ValidateMutatingAdmissionPolicy(conv(n))), arRender(ephar.ValidateMutatingAdmissionPolicy(n))
		}
		return arRender(arvalidation.ValidateMutatingAdmissionPolicyUpdate(conv(n), conv(o))), arRender(ephar.ValidateMutatingAdmissionPolicyUpdate(n, o))
	case 2:
		n := &arv1.ValidatingAdmissionPolicyBinding{}
		f.Fill(n)
		in := convert(n, &admissionregistration.ValidatingAdmissionPolicyBinding{}, func(a *arv1.ValidatingAdmissionPolicyBinding, b *admissionregistration.ValidatingAdmissionPolicyBinding) error {
			return k8sarv1.Convert_v1_ValidatingAdmissionPolicyBinding_To_admissionregistration_ValidatingAdmissionPolicyBinding(a, b, nil)
		})
		return arRender(arvalidation.ValidateValidatingAdmissionPolicyBinding(in)), arRender(ephar.ValidateValidatingAdmissionPolicyBinding(n))
	default:
		n := &arv1.MutatingAdmissionPolicyBinding{}
		f.Fill(n)
		in := convert(n, &admissionregistration.MutatingAdmissionPolicyBinding{}, func(a *arv1.MutatingAdmissionPolicyBinding, b *admissionregistration.MutatingAdmissionPolicyBinding) error {
			return k8sarv1.Convert_v1_MutatingAdmissionPolicyBinding_To_admissionregistration_MutatingAdmissionPolicyBinding(a, b, nil)
		})
		return arRender(arvalidation.ValidateMutatingAdmissionPolicyBinding(in)), arRender(ephar.ValidateMutatingAdmissionPolicyBinding(n))
	}
}
