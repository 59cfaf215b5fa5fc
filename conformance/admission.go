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
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	arv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

// Helpers of the admission scenarios (specs_admission.go): hooks on the
// suite's webhook server, webhook configurations and policies named after the
// scenario's namespace (so they normalize to "<ns>..." and never outlive it),
// and waiting until a configuration is in effect. kube-apiserver applies a
// new configuration once its informer has seen it (for policies, at the next
// recompilation, up to a second later), so a scenario must wait before its
// requests; the wait makes probe requests that are not recorded.

// NewHook registers a hook of this scenario on the suite's webhook server.
func (f *F) NewHook(name string, answer func(req map[string]any) Answer) *Hook {
	GinkgoHelper()
	s, err := suiteWebhookServer()
	Expect(err).NotTo(HaveOccurred(), "starting the suite's webhook server")
	prefix := "/" + f.NS + "/"
	h := s.register(prefix+name, answer)
	DeferCleanup(func() { s.unregister(prefix) })
	return h
}

// clientConfig is a webhook client config for h, trusting the suite's CA.
func clientConfig(h *Hook) arv1.WebhookClientConfig {
	return arv1.WebhookClientConfig{URL: ptr.To(h.URL), CABundle: webhooks.caPEM}
}

// inNamespace selects the scenario's namespace.
func (f *F) inNamespace() *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: f.NS}}
}

// rule is a webhook rule for core/v1 resources.
func rule(resources []string, ops ...arv1.OperationType) arv1.RuleWithOperations {
	return arv1.RuleWithOperations{Operations: ops, Rule: arv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: resources}}
}

// ValidatingHook is a validating webhook on h for resources, scoped to the
// scenario's namespace, with no side effects and AdmissionReview v1.
func (f *F) ValidatingHook(name string, h *Hook, resources ...string) arv1.ValidatingWebhook {
	return arv1.ValidatingWebhook{Name: name, ClientConfig: clientConfig(h), Rules: []arv1.RuleWithOperations{rule(resources, arv1.OperationAll)},
		NamespaceSelector: f.inNamespace(), SideEffects: ptr.To(arv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"}}
}

// MutatingHook is ValidatingHook for a mutating webhook.
func (f *F) MutatingHook(name string, h *Hook, resources ...string) arv1.MutatingWebhook {
	return arv1.MutatingWebhook{Name: name, ClientConfig: clientConfig(h), Rules: []arv1.RuleWithOperations{rule(resources, arv1.OperationAll)},
		NamespaceSelector: f.inNamespace(), SideEffects: ptr.To(arv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"}}
}

// CreateValidatingWebhooks creates a ValidatingWebhookConfiguration named
// after the namespace, records the answer and waits until it is in effect.
func (f *F) CreateValidatingWebhooks(hooks ...arv1.ValidatingWebhook) {
	GinkgoHelper()
	c := &arv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: f.NS}, Webhooks: hooks}
	out, err := f.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(f.Ctx, c, metav1.CreateOptions{})
	f.Record("create validatingwebhookconfiguration", out, err)
	Expect(err).NotTo(HaveOccurred())
	f.deferDelete(func(ctx context.Context) error {
		return f.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, c.Name, metav1.DeleteOptions{})
	})
	f.waitForWebhookProbe(false)
}

// CreateMutatingWebhooks is CreateValidatingWebhooks for mutating webhooks.
func (f *F) CreateMutatingWebhooks(hooks ...arv1.MutatingWebhook) {
	GinkgoHelper()
	c := &arv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: f.NS}, Webhooks: hooks}
	out, err := f.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(f.Ctx, c, metav1.CreateOptions{})
	f.Record("create mutatingwebhookconfiguration", out, err)
	Expect(err).NotTo(HaveOccurred())
	f.deferDelete(func(ctx context.Context) error {
		return f.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(ctx, c.Name, metav1.DeleteOptions{})
	})
	f.waitForWebhookProbe(true)
}

// deferDelete deletes a cluster-scoped object when the scenario ends.
func (f *F) deferDelete(del func(ctx context.Context) error) {
	DeferCleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := del(ctx); err != nil && !apierrors.IsNotFound(err) {
			GinkgoWriter.Printf("cleanup: %v\n", err)
		}
	})
}

// waitForWebhookProbe creates a second configuration of the same kind with
// one webhook for probe pods, and dry-runs probe pod creations until that
// webhook is called. The server's informer delivers configurations in the
// order they were written, so the scenario's configuration is in effect by
// then. The probe configuration is deleted again.
func (f *F) waitForWebhookProbe(mutating bool) {
	GinkgoHelper()
	probe := f.NewHook("probe", nil)
	name := f.NS + "-probe"
	sel := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: probeLabel, Operator: metav1.LabelSelectorOpExists}}}
	var err error
	if mutating {
		h := f.MutatingHook("probe.conformance.ephemera.dev", probe, "pods")
		h.ObjectSelector = sel
		_, err = f.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(f.Ctx,
			&arv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: name}, Webhooks: []arv1.MutatingWebhook{h}}, metav1.CreateOptions{})
		defer f.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(context.Background(), name, metav1.DeleteOptions{})
	} else {
		h := f.ValidatingHook("probe.conformance.ephemera.dev", probe, "pods")
		h.ObjectSelector = sel
		_, err = f.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(f.Ctx,
			&arv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: name}, Webhooks: []arv1.ValidatingWebhook{h}}, metav1.CreateOptions{})
		defer f.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(context.Background(), name, metav1.DeleteOptions{})
	}
	Expect(err).NotTo(HaveOccurred(), "creating the probe webhook configuration")
	before := webhooks.probeCount(f.NS)
	pc := f.probeClient()
	var lastErr error
	Eventually(func() int {
		_, lastErr = f.createProbePod(pc)
		return webhooks.probeCount(f.NS)
	}).WithTimeout(30*time.Second).WithPolling(20*time.Millisecond).Should(BeNumerically(">", before),
		func() string {
			return fmt.Sprintf("the webhook configuration did not take effect (last probe: %v)", lastErr)
		})
}

// probeClient is a client whose user agent is probeUserAgent, for the probe
// requests: how many probes it takes for a new configuration to take effect
// is a matter of timing, so the audit comparison leaves them out (audit.go).
func (f *F) probeClient() kubernetes.Interface {
	GinkgoHelper()
	cfg := rest.CopyConfig(f.Config)
	cfg.UserAgent = probeUserAgent
	c, err := kubernetes.NewForConfig(cfg)
	Expect(err).NotTo(HaveOccurred(), "building the probe client")
	return c
}

// createProbePod dry-runs the creation of a probe pod through c.
func (f *F) createProbePod(c kubernetes.Interface) (*corev1.Pod, error) {
	p := basePod("probe")
	keepOffNodes(p)
	p.Labels[probeLabel] = "true"
	return c.CoreV1().Pods(f.NS).Create(f.Ctx, p, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
}

// waitForValidatingPolicyProbe is the probe of CreateValidatingPolicy: a policy and binding
// refusing probe pods, created after the scenario's policy objects.
func (f *F) waitForValidatingPolicyProbe() {
	GinkgoHelper()
	name := f.NS + "-probe"
	policy := &arv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: arv1.ValidatingAdmissionPolicySpec{
		MatchConstraints: &arv1.MatchResources{
			NamespaceSelector: f.inNamespace(),
			ObjectSelector:    &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: probeLabel, Operator: metav1.LabelSelectorOpExists}}},
			ResourceRules:     []arv1.NamedRuleWithOperations{{RuleWithOperations: rule([]string{"pods"}, arv1.Create)}},
		},
		Validations: []arv1.Validation{{Expression: "false", Message: "probe"}},
	}}
	_, err := f.Client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(f.Ctx, policy, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred(), "creating the probe policy")
	defer f.Client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Delete(context.Background(), name, metav1.DeleteOptions{})
	binding := &arv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: arv1.ValidatingAdmissionPolicyBindingSpec{
		PolicyName: name, ValidationActions: []arv1.ValidationAction{arv1.Deny}}}
	_, err = f.Client.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(f.Ctx, binding, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred(), "creating the probe policy binding")
	defer f.Client.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
	pc := f.probeClient()
	Eventually(func() string {
		if _, err := f.createProbePod(pc); err != nil {
			return err.Error()
		}
		return ""
	}).WithTimeout(30*time.Second).WithPolling(20*time.Millisecond).Should(ContainSubstring(fmt.Sprintf("ValidatingAdmissionPolicy '%s'", name)),
		"the validating admission policy did not take effect")
}

// waitForMutatingPolicyProbe is waitForValidatingPolicyProbe for mutating
// policies: the probe policy labels probe pods.
func (f *F) waitForMutatingPolicyProbe() {
	GinkgoHelper()
	name := f.NS + "-probe"
	policy := &arv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: arv1.MutatingAdmissionPolicySpec{
		MatchConstraints: &arv1.MatchResources{
			NamespaceSelector: f.inNamespace(),
			ObjectSelector:    &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: probeLabel, Operator: metav1.LabelSelectorOpExists}}},
			ResourceRules:     []arv1.NamedRuleWithOperations{{RuleWithOperations: rule([]string{"pods"}, arv1.Create)}},
		},
		ReinvocationPolicy: arv1.NeverReinvocationPolicy,
		Mutations: []arv1.Mutation{{PatchType: arv1.PatchTypeApplyConfiguration, ApplyConfiguration: &arv1.ApplyConfiguration{
			Expression: `Object{metadata: Object.metadata{labels: {"probe-mutated": "true"}}}`}}},
	}}
	_, err := f.Client.AdmissionregistrationV1().MutatingAdmissionPolicies().Create(f.Ctx, policy, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred(), "creating the probe policy")
	defer f.Client.AdmissionregistrationV1().MutatingAdmissionPolicies().Delete(context.Background(), name, metav1.DeleteOptions{})
	binding := &arv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: arv1.MutatingAdmissionPolicyBindingSpec{PolicyName: name}}
	_, err = f.Client.AdmissionregistrationV1().MutatingAdmissionPolicyBindings().Create(f.Ctx, binding, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred(), "creating the probe policy binding")
	defer f.Client.AdmissionregistrationV1().MutatingAdmissionPolicyBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
	pc := f.probeClient()
	Eventually(func() string {
		out, err := f.createProbePod(pc)
		if err != nil {
			return err.Error()
		}
		return out.Labels["probe-mutated"]
	}).WithTimeout(30*time.Second).WithPolling(20*time.Millisecond).Should(Equal("true"), "the mutating admission policy did not take effect")
}

// CreateValidatingPolicy creates a ValidatingAdmissionPolicy and its
// bindings (named after the namespace, the policy name filled in), records
// the answers and waits until they are in effect.
func (f *F) CreateValidatingPolicy(spec arv1.ValidatingAdmissionPolicySpec, bindings ...arv1.ValidatingAdmissionPolicyBindingSpec) {
	GinkgoHelper()
	c := f.Client.AdmissionregistrationV1()
	p := &arv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: f.NS}, Spec: spec}
	out, err := c.ValidatingAdmissionPolicies().Create(f.Ctx, p, metav1.CreateOptions{})
	f.Record("create validatingadmissionpolicy", out, err)
	Expect(err).NotTo(HaveOccurred())
	f.deferDelete(func(ctx context.Context) error {
		return c.ValidatingAdmissionPolicies().Delete(ctx, p.Name, metav1.DeleteOptions{})
	})
	for i, b := range bindings {
		b.PolicyName = p.Name
		binding := &arv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", f.NS, i)}, Spec: b}
		out, err := c.ValidatingAdmissionPolicyBindings().Create(f.Ctx, binding, metav1.CreateOptions{})
		f.Record("create validatingadmissionpolicybinding", out, err)
		Expect(err).NotTo(HaveOccurred())
		f.deferDelete(func(ctx context.Context) error {
			return c.ValidatingAdmissionPolicyBindings().Delete(ctx, binding.Name, metav1.DeleteOptions{})
		})
	}
	f.waitForValidatingPolicyProbe()
}

// CreateMutatingPolicy is CreateValidatingPolicy for a
// MutatingAdmissionPolicy.
func (f *F) CreateMutatingPolicy(spec arv1.MutatingAdmissionPolicySpec, bindings ...arv1.MutatingAdmissionPolicyBindingSpec) {
	GinkgoHelper()
	c := f.Client.AdmissionregistrationV1()
	p := &arv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: f.NS}, Spec: spec}
	out, err := c.MutatingAdmissionPolicies().Create(f.Ctx, p, metav1.CreateOptions{})
	f.Record("create mutatingadmissionpolicy", out, err)
	Expect(err).NotTo(HaveOccurred())
	f.deferDelete(func(ctx context.Context) error {
		return c.MutatingAdmissionPolicies().Delete(ctx, p.Name, metav1.DeleteOptions{})
	})
	for i, b := range bindings {
		b.PolicyName = p.Name
		binding := &arv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", f.NS, i)}, Spec: b}
		out, err := c.MutatingAdmissionPolicyBindings().Create(f.Ctx, binding, metav1.CreateOptions{})
		f.Record("create mutatingadmissionpolicybinding", out, err)
		Expect(err).NotTo(HaveOccurred())
		f.deferDelete(func(ctx context.Context) error {
			return c.MutatingAdmissionPolicyBindings().Delete(ctx, binding.Name, metav1.DeleteOptions{})
		})
	}
	f.waitForMutatingPolicyProbe()
}

// ecRules match pods/ephemeralcontainers, the subresource kubectl debug
// writes, for policies.
func ecRules(ops ...arv1.OperationType) []arv1.NamedRuleWithOperations {
	return []arv1.NamedRuleWithOperations{{RuleWithOperations: rule([]string{"pods/ephemeralcontainers"}, ops...)}}
}

// skipWithoutLoopbackWebhooks skips on targets that cannot call a webhook
// served on this host's loopback.
func (f *F) skipWithoutLoopbackWebhooks() {
	if !f.Target.Capabilities().LoopbackWebhooks {
		Skip("target cannot reach webhooks on this host's loopback")
	}
}

// dryRunEC dry-runs adding an ephemeral container and returns the status
// code (not recorded: it waits for a change to take effect).
func (f *F) dryRunEC(pod, name string) int {
	r := f.Do(Req{Method: "PATCH", Path: f.ecPath(pod) + "?dryRun=All", ContentType: ctSMP, NoRecord: true, UserAgent: probeUserAgent,
		Body: map[string]any{"spec": map[string]any{"ephemeralContainers": []any{EC(name)}}}})
	return r.Code
}

// waitForWatchCache reads the pod at the resourceVersion of its last write,
// which kube-apiserver answers once its watch cache has caught up with that
// write. Between two writes to a pod it keeps the second from starting from
// a stale cached copy: kube-apiserver's etcd3 store then retries the update
// and admits it a second time, so a webhook would see it twice or not
// depending on timing. Not recorded.
func (f *F) waitForWatchCache(pod string) {
	GinkgoHelper()
	p, err := f.Client.CoreV1().Pods(f.NS).Get(f.Ctx, pod, metav1.GetOptions{})
	Expect(err).NotTo(HaveOccurred())
	_, err = f.Client.CoreV1().Pods(f.NS).Get(f.Ctx, pod, metav1.GetOptions{ResourceVersion: p.ResourceVersion})
	Expect(err).NotTo(HaveOccurred())
}

// unscheduledPod is basePod(name) kept off nodes, for raw requests.
func unscheduledPod(name string) *corev1.Pod {
	p := basePod(name)
	keepOffNodes(p)
	return p
}
