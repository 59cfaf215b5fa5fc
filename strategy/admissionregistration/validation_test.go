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
	"context"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// The expected messages below are kube-apiserver v1.37.2's, as the
// conformance group admission/ records them on envtest. hack/internaltypes'
// difftest compares the rules with upstream's on random objects.

func messages(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func equalLists(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestInvalidWebhookConfiguration(t *testing.T) {
	c := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Webhooks: []admissionregistrationv1.ValidatingWebhook{{
		Name:         "bad",
		ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: ptr.To("http://127.0.0.1/x")},
		Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{"*", "CREATE"},
			Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"*", "pods"}}}},
		TimeoutSeconds: ptr.To[int32](31),
	}}}
	DefaultValidatingWebhookConfiguration(c)
	equalLists(t, messages(ValidateValidatingWebhookConfiguration(c)), []string{
		`webhooks[0].name: Invalid value: "bad": should be a domain with at least three segments separated by dots`,
		`webhooks[0].rules[0].operations: Invalid value: ["*","CREATE"]: if '*' is present, must not specify other operations`,
		`webhooks[0].rules[0].resources: Invalid value: ["*","pods"]: if '*' is present, must not specify other resources without subresources`,
		`webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun`,
		`webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds`,
		`webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]`,
		`webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1`,
	})
}

func TestInvalidMutatingPolicy(t *testing.T) {
	p := &admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
		MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
			RuleWithOperations: admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Delete},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods/ephemeralcontainers"}}}}}},
		Mutations: []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeJSONPatch}},
	}}
	DefaultMutatingAdmissionPolicy(p)
	equalLists(t, messages(ValidateMutatingAdmissionPolicy(p)), []string{
		`spec.matchConstraints.resourceRules.operations: Unsupported value: "DELETE": supported values: "*", "CONNECT", "CREATE", "UPDATE"`,
		`spec.mutations[0].jsonPatch: Required value: must be specified when patchType is JSONPatch`,
		`spec.reinvocationPolicy: Required value`,
	})
}

func TestPolicyExpressionThatDoesNotCompile(t *testing.T) {
	p := &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
		MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
			RuleWithOperations: admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods/ephemeralcontainers"}}}}}},
		Validations: []admissionregistrationv1.Validation{{Expression: `object.spec.ephemeralContainers.all(c, c.privileged)`}, {Expression: `1 + `}},
	}}
	DefaultValidatingAdmissionPolicy(p)
	equalLists(t, messages(ValidateValidatingAdmissionPolicy(p)), []string{
		"spec.validations[1].expression: Invalid value: \"1 + \": compilation failed: ERROR: <input>:1:5: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}\n | 1 + \n | ....^",
	})
}

// A binding without policyName and validationActions: the two handwritten
// errors are covered by v1.37's beta declarative rules, which replace them at
// the end of the list ("[spec.paramRef: ..., spec.paramRef.parameterNotFoundAction:
// Required value, spec.policyName: Required value, spec.validationActions:
// Required value]" on the real server).
func TestBindingDeclarativeValidation(t *testing.T) {
	b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "x"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{ParamRef: &admissionregistrationv1.ParamRef{}}}
	errs := ValidateValidatingAdmissionPolicyBinding(b)
	var covered []string
	for _, e := range errs {
		if e.CoveredByDeclarative {
			covered = append(covered, e.Field)
		}
	}
	equalLists(t, covered, []string{"spec.policyName", "spec.validationActions"})

	scheme := runtime.NewScheme()
	if err := admissionregistrationv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	RegisterValidations(scheme)
	declarative := scheme.Validate(context.Background(), nil, b)
	equalLists(t, messages(declarative), []string{"spec.policyName: Required value", "spec.validationActions: Required value"})
	for _, e := range declarative {
		if !e.IsBeta() {
			t.Errorf("%v is not a beta declarative error", e)
		}
	}
	// An update that leaves the fields as they were does not check them again.
	if errs := scheme.ValidateUpdate(context.Background(), nil, b, b.DeepCopy()); len(errs) != 0 {
		t.Errorf("unchanged fields validated again: %v", errs)
	}
}

func TestStaticSuffixAndExcludedResources(t *testing.T) {
	equalLists(t, messages(ValidateStaticSuffix("p.static.k8s.io")), []string{
		`metadata.name: Invalid value: "p.static.k8s.io": names ending with ".static.k8s.io" are reserved for static manifest-based configurations and cannot be managed via the API`,
	})
	rules := [][]admissionregistrationv1.RuleWithOperations{{
		{Rule: admissionregistrationv1.Rule{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews", "subjectaccessreviews"}}},
		{Rule: admissionregistrationv1.Rule{APIGroups: []string{"*"}, Resources: []string{"subjectaccessreviews"}}},
	}}
	equalLists(t, WarningsForWebhookRules(rules), []string{
		"webhooks[0].rules[0]: subjectaccessreviews.authorization.k8s.io is excluded from admission webhooks; this rule will have no effect",
	})
}

func TestDefaults(t *testing.T) {
	c := &admissionregistrationv1.MutatingWebhookConfiguration{Webhooks: []admissionregistrationv1.MutatingWebhook{{
		ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Name: "s"}},
		Rules:        []admissionregistrationv1.RuleWithOperations{{}},
	}}}
	DefaultMutatingWebhookConfiguration(c)
	h := c.Webhooks[0]
	if *h.FailurePolicy != admissionregistrationv1.Fail || *h.MatchPolicy != admissionregistrationv1.Equivalent || *h.TimeoutSeconds != 10 ||
		*h.ReinvocationPolicy != admissionregistrationv1.NeverReinvocationPolicy || *h.ClientConfig.Service.Port != 443 ||
		*h.Rules[0].Scope != admissionregistrationv1.AllScopes || h.NamespaceSelector == nil || h.ObjectSelector == nil {
		t.Errorf("mutating webhook not defaulted as upstream: %+v", h)
	}
	b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
	defaultMatchResources(b.Spec.MatchResources)
	if b.Spec.MatchResources != nil {
		t.Error("a binding without matchResources got some")
	}
}
