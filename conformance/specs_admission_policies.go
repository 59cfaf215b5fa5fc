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

package conformance

import (
	"context"
	"fmt"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	arv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Admission policies (ValidatingAdmissionPolicy, MutatingAdmissionPolicy), the
// admissionregistration objects themselves and policy status, as
// kube-apiserver v1.37.2 serves and enforces them.

// privilegedEC is an ephemeral container asking to run privileged.
func privilegedEC(name string) map[string]any {
	return EC(name, "securityContext", map[string]any{"privileged": true})
}

var _ = Describe("admission policies", func() {
	// ecPolicy matches updates of pods/ephemeralcontainers in the
	// scenario's namespace.
	ecPolicy := func(f *F, validations ...arv1.Validation) arv1.ValidatingAdmissionPolicySpec {
		return arv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &arv1.MatchResources{NamespaceSelector: f.inNamespace(), ResourceRules: ecRules(arv1.Update)},
			Validations:      validations,
		}
	}
	bind := func(actions ...arv1.ValidationAction) arv1.ValidatingAdmissionPolicyBindingSpec {
		return arv1.ValidatingAdmissionPolicyBindingSpec{ValidationActions: actions}
	}

	API("admission/a policy refuses a privileged debug container", func(f *F) {
		f.CreatePod(podName)
		f.CreateValidatingPolicy(ecPolicy(f, arv1.Validation{Expression: notPrivileged, Message: "privileged debug containers are not allowed"}), bind(arv1.Deny))
		// Without a reason a policy's denial is a 422 Invalid naming the
		// resource, not the subresource (k8s.io/apiserver policy/validating
		// dispatcher).
		f.AddEC(podName, privilegedEC("root")).ExpectStatus(http.StatusUnprocessableEntity, metav1.StatusReasonInvalid,
			fmt.Sprintf(`pods "p1" is forbidden: ValidatingAdmissionPolicy '%s' with binding '%s-0' denied request: privileged debug containers are not allowed`, f.NS, f.NS))
		f.AddEC(podName, EC("dbg")).OK()
	})

	API("admission/a policy's messageExpression and reason", func(f *F) {
		f.CreatePod(podName)
		f.CreateValidatingPolicy(ecPolicy(f, arv1.Validation{Expression: notPrivileged, Reason: ptr.To(metav1.StatusReasonForbidden),
			Message: "not shown", MessageExpression: `"pod " + object.metadata.name + " may not get a privileged debug container"`}), bind(arv1.Deny))
		// messageExpression wins over message.
		f.AddEC(podName, privilegedEC("root")).ExpectStatus(http.StatusForbidden, metav1.StatusReasonForbidden,
			fmt.Sprintf(`pods "p1" is forbidden: ValidatingAdmissionPolicy '%s' with binding '%s-0' denied request: pod p1 may not get a privileged debug container`, f.NS, f.NS))
	})

	API("admission/a policy with the Warn action warns", func(f *F) {
		f.CreatePod(podName)
		f.CreateValidatingPolicy(ecPolicy(f, arv1.Validation{Expression: notPrivileged, Message: "privileged debug containers are discouraged"}), bind(arv1.Warn))
		r := f.AddEC(podName, privilegedEC("root"))
		r.OK()
		Expect(r.Warnings).To(Equal([]string{fmt.Sprintf(`299 - "Validation failed for ValidatingAdmissionPolicy '%s' with binding '%s-0': privileged debug containers are discouraged"`, f.NS, f.NS)}))
	})

	API("admission/a policy with the Audit action lets the request through", func(f *F) {
		f.CreatePod(podName)
		f.CreateValidatingPolicy(ecPolicy(f, arv1.Validation{Expression: notPrivileged, Message: "privileged debug container"}), bind(arv1.Audit))
		r := f.AddEC(podName, privilegedEC("root"))
		r.OK()
		Expect(r.Warnings).To(BeEmpty())
	})

	API("admission/a policy with params", func(f *F) {
		f.CreatePod(podName)
		_, err := f.Client.CoreV1().ServiceAccounts(f.NS).Create(f.Ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
			Name: "debug-policy", Labels: map[string]string{"allowed-image": "busybox"}}}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		spec := ecPolicy(f, arv1.Validation{
			Expression:        `object.spec.ephemeralContainers.all(c, c.image.startsWith(params.metadata.labels["allowed-image"]))`,
			MessageExpression: `"debug images must start with " + params.metadata.labels["allowed-image"]`,
		})
		spec.ParamKind = &arv1.ParamKind{APIVersion: "v1", Kind: "ServiceAccount"}
		binding := bind(arv1.Deny)
		binding.ParamRef = &arv1.ParamRef{Name: "debug-policy", Namespace: f.NS, ParameterNotFoundAction: ptr.To(arv1.DenyAction)}
		f.CreateValidatingPolicy(spec, binding)
		f.AddEC(podName, EC("dbg", "image", "nginx")).ExpectStatus(http.StatusUnprocessableEntity, metav1.StatusReasonInvalid,
			fmt.Sprintf(`pods "p1" is forbidden: ValidatingAdmissionPolicy '%s' with binding '%s-0' denied request: debug images must start with busybox`, f.NS, f.NS))
		f.AddEC(podName, EC("dbg")).OK()
	})

	API("admission/a policy whose param is missing refuses under Deny", func(f *F) {
		f.CreatePod(podName)
		spec := ecPolicy(f, arv1.Validation{Expression: `true`})
		spec.ParamKind = &arv1.ParamKind{APIVersion: "v1", Kind: "ServiceAccount"}
		binding := bind(arv1.Deny)
		binding.ParamRef = &arv1.ParamRef{Name: "missing", Namespace: f.NS, ParameterNotFoundAction: ptr.To(arv1.DenyAction)}
		f.CreateValidatingPolicy(spec, binding)
		f.AddEC(podName, EC("dbg")).ExpectStatus(http.StatusUnprocessableEntity, metav1.StatusReasonInvalid,
			fmt.Sprintf("pods \"p1\" is forbidden: ValidatingAdmissionPolicy '%s' with binding '%s-0' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction", f.NS, f.NS))
	})

	API("admission/a mutating policy sets a field of the debug container", func(f *F) {
		f.CreatePod(podName)
		f.CreateMutatingPolicy(arv1.MutatingAdmissionPolicySpec{
			MatchConstraints:   &arv1.MatchResources{NamespaceSelector: f.inNamespace(), ResourceRules: ecRules(arv1.Update)},
			ReinvocationPolicy: arv1.NeverReinvocationPolicy,
			Mutations: []arv1.Mutation{{PatchType: arv1.PatchTypeApplyConfiguration, ApplyConfiguration: &arv1.ApplyConfiguration{Expression: `Object{
				spec: Object.spec{ephemeralContainers: object.spec.ephemeralContainers.map(c, Object.spec.ephemeralContainers{
					name: c.name, env: [Object.spec.ephemeralContainers.env{name: "DEBUGGED_BY", value: "policy"}]})}}`}}},
		}, arv1.MutatingAdmissionPolicyBindingSpec{})
		out := f.AddEC(podName, EC("dbg")).OK()
		Expect(out.Spec.EphemeralContainers[0].Env).To(Equal([]corev1.EnvVar{{Name: "DEBUGGED_BY", Value: "policy"}}))
	})
})

var _ = Describe("admission configuration objects", func() {
	API("admission/an invalid webhook configuration is refused", func(f *F) {
		c := &arv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: f.NS}, Webhooks: []arv1.ValidatingWebhook{{
			Name:           "bad",
			ClientConfig:   arv1.WebhookClientConfig{URL: ptr.To("http://127.0.0.1/x")},
			Rules:          []arv1.RuleWithOperations{{Operations: []arv1.OperationType{"*", "CREATE"}, Rule: arv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"*", "pods"}}}},
			TimeoutSeconds: ptr.To[int32](31),
		}}}
		_, err := f.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(f.Ctx, c, metav1.CreateOptions{})
		f.Record("create invalid validatingwebhookconfiguration", nil, err)
		Expect(err).To(HaveOccurred())
	})

	// A body of another kind decodes into its own v1 type and then fails
	// conversion to the resource's internal type, which upstream names as
	// k8s.io/kubernetes/pkg/apis/admissionregistration.<Kind> (found by the
	// differential fuzzer, FuzzAdmissionCreate). The webhook configuration
	// is sent as a dry run: it is never stored, whatever happens.
	API("admission/a body of another kind is 400 naming the internal type", func(f *F) {
		const gv = "/apis/admissionregistration.k8s.io/v1/"
		meta := map[string]any{"name": f.NS}
		for _, c := range []struct{ resource, query, kind, apiVersion, want string }{
			{"validatingadmissionpolicies", "", "ValidatingAdmissionPolicyBinding", "admissionregistration.k8s.io/v1",
				`ValidatingAdmissionPolicyBinding in version "v1" cannot be handled as a ValidatingAdmissionPolicy: converting (v1.ValidatingAdmissionPolicyBinding) to (admissionregistration.ValidatingAdmissionPolicy): unknown conversion`},
			{"mutatingwebhookconfigurations", "?dryRun=All", "ValidatingWebhookConfiguration", "admissionregistration.k8s.io/v1",
				`ValidatingWebhookConfiguration in version "v1" cannot be handled as a MutatingWebhookConfiguration: converting (v1.ValidatingWebhookConfiguration) to (admissionregistration.MutatingWebhookConfiguration): unknown conversion`},
			{"mutatingadmissionpolicybindings", "", "Pod", "v1",
				`Pod in version "v1" cannot be handled as a MutatingAdmissionPolicyBinding: converting (v1.Pod) to (admissionregistration.MutatingAdmissionPolicyBinding): unknown conversion`},
		} {
			f.Do(Req{Method: http.MethodPost, Path: gv + c.resource + c.query,
				Body: map[string]any{"apiVersion": c.apiVersion, "kind": c.kind, "metadata": meta}}).ExpectStatus(http.StatusBadRequest, metav1.StatusReasonBadRequest, c.want)
			f.Do(Req{Method: http.MethodGet, Path: gv + c.resource + "/" + f.NS}).ExpectStatus(http.StatusNotFound, metav1.StatusReasonNotFound,
				fmt.Sprintf(`%s.admissionregistration.k8s.io "%s" not found`, c.resource, f.NS))
		}
	})

	API("admission/a policy with an expression that does not compile is refused", func(f *F) {
		p := &arv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: f.NS}, Spec: arv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &arv1.MatchResources{ResourceRules: ecRules(arv1.Update)},
			Validations:      []arv1.Validation{{Expression: `object.spec.ephemeralContainers.all(c, c.privileged)`}, {Expression: `1 + `}},
		}}
		_, err := f.Client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(f.Ctx, p, metav1.CreateOptions{})
		f.Record("create invalid validatingadmissionpolicy", nil, err)
		Expect(err).To(HaveOccurred())
	})

	API("admission/a binding without policy or actions is refused", func(f *F) {
		b := &arv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: f.NS},
			Spec: arv1.ValidatingAdmissionPolicyBindingSpec{ParamRef: &arv1.ParamRef{}}}
		_, err := f.Client.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(f.Ctx, b, metav1.CreateOptions{})
		f.Record("create invalid validatingadmissionpolicybinding", nil, err)
		Expect(err).To(HaveOccurred())
	})

	API("admission/an invalid mutating policy is refused", func(f *F) {
		p := &arv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: f.NS}, Spec: arv1.MutatingAdmissionPolicySpec{
			MatchConstraints: &arv1.MatchResources{ResourceRules: ecRules(arv1.Delete)},
			Mutations:        []arv1.Mutation{{PatchType: arv1.PatchTypeJSONPatch}},
		}}
		_, err := f.Client.AdmissionregistrationV1().MutatingAdmissionPolicies().Create(f.Ctx, p, metav1.CreateOptions{})
		f.Record("create invalid mutatingadmissionpolicy", nil, err)
		Expect(err).To(HaveOccurred())
	})

	// Upstream validation reports a DELETE in a mutating policy's rules on
	// the index-less path spec.matchConstraints.resourceRules.operations, once
	// per rule; the declarative validation pass every admissionregistration
	// strategy runs (rest.DeclarativeValidation, field.ErrorList.Filter)
	// drops the repeats, from the message and from the causes (found by the
	// differential fuzzer, FuzzAdmissionCreate).
	API("admission/a repeated error of a mutating policy is reported once", func(f *F) {
		rule := func(resource string) map[string]any {
			return map[string]any{"apiGroups": s(""), "apiVersions": s("v1"), "operations": s("DELETE"), "resources": s(resource)}
		}
		r := f.Do(Req{Method: http.MethodPost, Path: "/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicies", Body: map[string]any{
			"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingAdmissionPolicy", "metadata": map[string]any{"name": f.NS},
			"spec": map[string]any{
				"matchConstraints":   map[string]any{"resourceRules": []any{rule("configmaps"), rule("secrets")}},
				"reinvocationPolicy": "Never", "mutations": []any{},
			},
		}})
		notSupported := NotSupported("spec.matchConstraints.resourceRules.operations", `"DELETE"`, `"*", "CONNECT", "CREATE", "UPDATE"`)
		required := Required("spec.mutations", "mutations must contain at least one item")
		r.ExpectStatus(http.StatusUnprocessableEntity, metav1.StatusReasonInvalid, fmt.Sprintf(`MutatingAdmissionPolicy.admissionregistration.k8s.io %q is invalid: [%s: %s, %s: %s]`,
			f.NS, notSupported.Field, notSupported.Message, required.Field, required.Message))
		Expect(r.Status.Details.Causes).To(Equal([]metav1.StatusCause{
			{Type: notSupported.Type, Field: notSupported.Field, Message: notSupported.Message},
			{Type: required.Type, Field: required.Field, Message: required.Message},
		}))
	})

	API("admission/a policy's params must be readable by its author", func(f *F) {
		// The author may write policies and bindings but not read service
		// accounts, the policy's params (pkg/registry/admissionregistration/
		// validatingadmissionpolicy{,binding}/authz.go).
		f.GrantClusterRole("policy-author", []rbacv1.PolicyRule{{APIGroups: []string{arv1.GroupName}, Verbs: []string{"create"},
			Resources: []string{"validatingadmissionpolicies", "validatingadmissionpolicybindings"}}},
			rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "policy-author"})
		author := f.As("policy-author")
		p := map[string]any{"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
			"metadata": map[string]any{"name": f.ClusterName("params")},
			"spec": map[string]any{"paramKind": map[string]any{"apiVersion": "v1", "kind": "ServiceAccount"},
				"matchConstraints": map[string]any{"resourceRules": []any{map[string]any{"operations": []any{"UPDATE"}, "apiGroups": []any{""},
					"apiVersions": []any{"v1"}, "resources": []any{"pods/ephemeralcontainers"}}}},
				"validations": []any{map[string]any{"expression": "true"}}}}
		// The refusal names the user with its credential ID, a hash of the
		// certificate issued for this run: observed normalized.
		r := author.Do(Req{Method: http.MethodPost, Path: "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies", ContentType: ctJSON, Body: p, NoRecord: true})
		Expect(r.Code).To(Equal(http.StatusUnprocessableEntity), "body: %s", r.Body)
		f.Note("policy by the author", x509FingerprintRE.ReplaceAllString(r.Status.Message, "X509SHA256=<fingerprint>"))
		Expect(r.Status.Message).To(MatchRegexp(`^ValidatingAdmissionPolicy.admissionregistration.k8s.io "` + f.NS + `-params" is invalid: spec.paramKind: Forbidden: ` +
			`user &\{policy-author  \[system:authenticated\] map\[authentication.kubernetes.io/credential-id:\[X509SHA256=[0-9a-f]{64}\]\]\} ` +
			`must have "get" permission on all objects of the referenced paramKind \(kind=ServiceAccount, apiVersion=v1\)$`))
		// The admin (system:masters) is not checked.
		f.Do(Req{Method: http.MethodPost, Path: "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies", ContentType: ctJSON, Body: p})
		f.deferDelete(func(ctx context.Context) error {
			return f.Client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Delete(ctx, f.ClusterName("params"), metav1.DeleteOptions{})
		})
		b := map[string]any{"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
			"metadata": map[string]any{"name": f.ClusterName("params")},
			"spec": map[string]any{"policyName": f.ClusterName("params"), "validationActions": []any{"Deny"},
				"paramRef": map[string]any{"name": "debug-policy", "namespace": f.NS, "parameterNotFoundAction": "Deny"}}}
		r = author.Do(Req{Method: http.MethodPost, Path: "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings", ContentType: ctJSON, Body: b, NoRecord: true})
		Expect(r.Code).To(Equal(http.StatusUnprocessableEntity), "body: %s", r.Body)
		f.Note("binding by the author", x509FingerprintRE.ReplaceAllString(r.Status.Message, "X509SHA256=<fingerprint>"))
		Expect(r.Status.Message).To(HaveSuffix(`does not have "get" permission on the object referenced by paramRef`))
	})

	API("admission/the defaults of webhook configurations and policies", func(f *F) {
		url := "https://127.0.0.1:1/x"
		c := f.Client.AdmissionregistrationV1()
		vwc, err := c.ValidatingWebhookConfigurations().Create(f.Ctx, &arv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: f.NS},
			Webhooks: []arv1.ValidatingWebhook{{Name: "v.conformance.ephemera.dev", ClientConfig: arv1.WebhookClientConfig{URL: &url},
				SideEffects: ptr.To(arv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"}, NamespaceSelector: f.inNamespace(),
				Rules: []arv1.RuleWithOperations{rule([]string{"pods/ephemeralcontainers"}, arv1.Update)}}}}, metav1.CreateOptions{})
		f.Record("create validatingwebhookconfiguration", vwc, err)
		Expect(err).NotTo(HaveOccurred())
		f.deferDelete(func(ctx context.Context) error {
			return c.ValidatingWebhookConfigurations().Delete(ctx, f.NS, metav1.DeleteOptions{})
		})
		mwc, err := c.MutatingWebhookConfigurations().Create(f.Ctx, &arv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: f.NS},
			Webhooks: []arv1.MutatingWebhook{{Name: "m.conformance.ephemera.dev", SideEffects: ptr.To(arv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"},
				ClientConfig: arv1.WebhookClientConfig{Service: &arv1.ServiceReference{Namespace: f.NS, Name: "hooks"}}, NamespaceSelector: f.inNamespace(),
				Rules: []arv1.RuleWithOperations{rule([]string{"pods/ephemeralcontainers"}, arv1.Update)}}}}, metav1.CreateOptions{})
		f.Record("create mutatingwebhookconfiguration", mwc, err)
		Expect(err).NotTo(HaveOccurred())
		f.deferDelete(func(ctx context.Context) error {
			return c.MutatingWebhookConfigurations().Delete(ctx, f.NS, metav1.DeleteOptions{})
		})
		Expect(*mwc.Webhooks[0].ClientConfig.Service.Port).To(BeEquivalentTo(443))
		Expect(*mwc.Webhooks[0].ReinvocationPolicy).To(Equal(arv1.NeverReinvocationPolicy))
		Expect(*vwc.Webhooks[0].TimeoutSeconds).To(BeEquivalentTo(10))
		Expect(*vwc.Webhooks[0].FailurePolicy).To(Equal(arv1.Fail))
		Expect(*vwc.Webhooks[0].MatchPolicy).To(Equal(arv1.Equivalent))
		Expect(*vwc.Webhooks[0].Rules[0].Scope).To(Equal(arv1.AllScopes))
		vap, err := c.ValidatingAdmissionPolicies().Create(f.Ctx, &arv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: f.NS},
			Spec: arv1.ValidatingAdmissionPolicySpec{MatchConstraints: &arv1.MatchResources{ResourceRules: ecRules(arv1.Update)},
				Validations: []arv1.Validation{{Expression: "true"}}}}, metav1.CreateOptions{})
		f.Record("create validatingadmissionpolicy", vap, err)
		Expect(err).NotTo(HaveOccurred())
		f.deferDelete(func(ctx context.Context) error {
			return c.ValidatingAdmissionPolicies().Delete(ctx, f.NS, metav1.DeleteOptions{})
		})
		Expect(*vap.Spec.FailurePolicy).To(Equal(arv1.Fail))
		Expect(vap.Spec.MatchConstraints.NamespaceSelector).To(Equal(&metav1.LabelSelector{}))
		got, err := c.ValidatingAdmissionPolicies().Get(f.Ctx, f.NS, metav1.GetOptions{})
		f.Record("get validatingadmissionpolicy", withoutControllerStatus(got), err)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Generation).To(BeEquivalentTo(1))
	})
})

// withoutControllerStatus is the policy as the API server stored it: a
// cluster's validatingadmissionpolicy-status controller writes the status
// (and its managedFields entry) a moment after the create, before or after
// a read that follows at once, and envtest never writes it. The status is
// tested below, where a cluster runs.
func withoutControllerStatus(p *arv1.ValidatingAdmissionPolicy) *arv1.ValidatingAdmissionPolicy {
	if p == nil {
		return nil
	}
	p = p.DeepCopy()
	p.Status = arv1.ValidatingAdmissionPolicyStatus{}
	var kept []metav1.ManagedFieldsEntry
	for _, m := range p.ManagedFields {
		if m.Subresource != "status" {
			kept = append(kept, m)
		}
	}
	p.ManagedFields = kept
	return p
}

// kube-controller-manager's validatingadmissionpolicy-status controller
// type-checks policies; only clusters run it (envtest does not), so this is
// in the kubelet tier, which runs where the rest of a cluster does.
var _ = Describe("admission policy status", func() {
	Kubelet("admission/a policy's type checking is written to its status", func(f *F) {
		c := f.Client.AdmissionregistrationV1().ValidatingAdmissionPolicies()
		typeChecked := func(name string, rules []arv1.NamedRuleWithOperations) *arv1.TypeChecking {
			GinkgoHelper()
			p := &arv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: arv1.ValidatingAdmissionPolicySpec{
				MatchConstraints: &arv1.MatchResources{ResourceRules: rules},
				Validations:      []arv1.Validation{{Expression: "true"}, {Expression: `object.spec.ephemeralContainers.all(c, c.privileged)`}},
			}}
			_, err := c.Create(f.Ctx, p, metav1.CreateOptions{})
			Expect(err).NotTo(HaveOccurred())
			f.deferDelete(func(ctx context.Context) error { return c.Delete(ctx, name, metav1.DeleteOptions{}) })
			var got *arv1.ValidatingAdmissionPolicy
			Eventually(func() int64 {
				got, err = c.Get(f.Ctx, name, metav1.GetOptions{})
				Expect(err).NotTo(HaveOccurred())
				return got.Status.ObservedGeneration
			}).WithTimeout(60 * time.Second).Should(BeEquivalentTo(1))
			Expect(got.Status.TypeChecking).NotTo(BeNil())
			return got.Status.TypeChecking
		}
		// The types to check come from the rules' resources through the
		// REST mapper, which knows no subresources: a policy only on
		// pods/ephemeralcontainers is not type-checked at all.
		Expect(typeChecked(f.NS+"-ec", ecRules(arv1.Update)).ExpressionWarnings).To(BeEmpty())
		tc := typeChecked(f.NS+"-pods", []arv1.NamedRuleWithOperations{{RuleWithOperations: rule([]string{"pods", "pods/ephemeralcontainers"}, arv1.Update)}})
		Expect(tc.ExpressionWarnings).To(HaveLen(1))
		Expect(tc.ExpressionWarnings[0].FieldRef).To(Equal("spec.validations[1].expression"))
		Expect(tc.ExpressionWarnings[0].Warning).To(ContainSubstring("undefined field 'privileged'"))
	})
})
