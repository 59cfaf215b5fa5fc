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
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	arv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// Admission webhooks and policies on pods/ephemeralcontainers, as
// kube-apiserver v1.37.2 runs them (k8s.io/apiserver's webhook and policy
// admission plugins). Each webhook scenario records the AdmissionReviews the
// suite's webhook server received, so differential mode compares them too.
var _ = Describe("admission webhooks", func() {
	allow := func(map[string]any) Answer { return Answer{} }

	API("admission/a webhook on pods is not called for kubectl debug's patch", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("pods", allow)
		f.CreateValidatingWebhooks(f.ValidatingHook("pods.conformance.ephemera.dev", h, "pods"))
		f.CreatePod(podName)
		f.AddEC(podName, EC("dbg")).OK()
		f.RecordReviews("pods webhook", h)
		Expect(h.Reviews()).To(HaveLen(1), "only the pod's creation")
	})

	API("admission/a webhook on pods/ephemeralcontainers sees kubectl debug's patch", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("ec", allow)
		f.CreateValidatingWebhooks(f.ValidatingHook("ec.conformance.ephemera.dev", h, "pods/ephemeralcontainers"))
		f.CreatePod(podName)
		f.AddEC(podName, EC("dbg")).OK()
		f.RecordReviews("ephemeralcontainers webhook", h)
		Expect(h.Reviews()).To(HaveLen(1))
	})

	API("admission/a webhook on pods/* sees the patch", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("all-subresources", allow)
		f.CreateValidatingWebhooks(f.ValidatingHook("sub.conformance.ephemera.dev", h, "pods/*"))
		f.CreatePod(podName)
		f.AddEC(podName, EC("dbg")).OK()
		f.RecordReviews("pods/* webhook", h)
		// "pods/*" matches the pod itself too (k8s.io/apiserver
		// webhook/predicates/rules: "*" matches any subresource, none included).
		Expect(h.Reviews()).To(HaveLen(2), "the pod's creation and the patch")
	})

	API("admission/a webhook on */ephemeralcontainers sees the patch", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("any-ec", allow)
		hook := f.ValidatingHook("anyec.conformance.ephemera.dev", h, "*/ephemeralcontainers")
		hook.Rules[0].APIGroups = []string{"*"}
		hook.Rules[0].APIVersions = []string{"*"}
		f.CreateValidatingWebhooks(hook)
		f.CreatePod(podName)
		f.AddEC(podName, EC("dbg")).OK()
		f.RecordReviews("*/ephemeralcontainers webhook", h)
		Expect(h.Reviews()).To(HaveLen(1))
	})

	API("admission/a webhook on * does not see subresources", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("star", allow)
		f.CreateValidatingWebhooks(f.ValidatingHook("star.conformance.ephemera.dev", h, "*"))
		f.CreatePod(podName)
		f.AddEC(podName, EC("dbg")).OK()
		f.RecordReviews("* webhook", h)
		// In a cluster, kube-controller-manager writes the new namespace's
		// default ServiceAccount and kube-root-ca.crt ConfigMap meanwhile,
		// which a webhook on * sees too: what counts here is that of the
		// pod's requests only its creation reached it.
		var podReviews []string
		for _, raw := range h.Reviews() {
			var r struct {
				Request struct {
					Resource    struct{ Resource string }
					SubResource string
					Operation   string
				}
			}
			Expect(json.Unmarshal(raw, &r)).To(Succeed())
			if r.Request.Resource.Resource == "pods" {
				podReviews = append(podReviews, r.Request.Operation+" "+r.Request.SubResource)
			}
		}
		Expect(podReviews).To(Equal([]string{"CREATE "}), "only the pod's creation")
	})

	API("admission/a webhook on pods/* sees every operation on a pod", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("every", allow)
		f.CreateValidatingWebhooks(f.ValidatingHook("every.conformance.ephemera.dev", h, "pods/*"))
		f.CreatePod(podName)
		f.Do(Req{Method: http.MethodPatch, Path: f.podPath(podName), ContentType: ctMerge, Body: `{"metadata":{"labels":{"debugged":"yes"}}}`}).OK()
		f.waitForWatchCache(podName)
		f.Do(Req{Method: http.MethodPatch, Path: f.podPath(podName) + "/status", ContentType: ctMerge,
			Body: `{"status":{"conditions":[{"type":"conformance.ephemera.dev/Debugged","status":"True"}]}}`}).OK()
		f.waitForWatchCache(podName)
		f.AddEC(podName, EC("dbg")).OK()
		// CONNECT is admitted before the server looks for the pod's node.
		f.Do(Req{Method: http.MethodPost, Path: f.podPath(podName) + "/exec?command=true&stdout=true"})
		// Not DELETE: a pod's deletion is admitted once for the graceful
		// update and once for the removal, and kube-apiserver admits it a
		// third time when its watch cache has not caught up with the update
		// yet (the etcd3 store re-validates after a stale read), which
		// depends on timing. (Between the updates above, waitForWatchCache
		// rules that out.)
		f.RecordReviews("pods/* webhook", h)
	})

	API("admission/a webhook denies with a status message", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("deny", func(map[string]any) Answer {
			return Answer{Deny: true, Status: &Status{Code: http.StatusForbidden, Message: "debug containers are not allowed here"}}
		})
		f.CreatePod(podName)
		f.CreateValidatingWebhooks(f.ValidatingHook("deny.conformance.ephemera.dev", h, "pods/ephemeralcontainers"))
		r := f.AddEC(podName, EC("dbg"))
		// The webhook's status is passed on as it is: no reason unless it gave one.
		r.ExpectStatus(http.StatusForbidden, "", `admission webhook "deny.conformance.ephemera.dev" denied the request: debug containers are not allowed here`)
		f.RecordReviews("deny webhook", h)
	})

	API("admission/a webhook denies without explanation", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("deny", func(map[string]any) Answer { return Answer{Deny: true} })
		f.CreatePod(podName)
		f.CreateValidatingWebhooks(f.ValidatingHook("deny.conformance.ephemera.dev", h, "pods/ephemeralcontainers"))
		r := f.AddEC(podName, EC("dbg"))
		// Without a status the denial is a 400 Bad Request without a reason
		// (k8s.io/apiserver webhook/errors.ToStatusErr).
		r.ExpectStatus(http.StatusBadRequest, "", `admission webhook "deny.conformance.ephemera.dev" denied the request without explanation`)
	})

	API("admission/a webhook denies with its own code and reason", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("deny", func(map[string]any) Answer {
			return Answer{Deny: true, Status: &Status{Code: http.StatusUnprocessableEntity, Reason: "Invalid", Message: "image not allowed"}}
		})
		f.CreatePod(podName)
		f.CreateValidatingWebhooks(f.ValidatingHook("deny.conformance.ephemera.dev", h, "pods/ephemeralcontainers"))
		f.AddEC(podName, EC("dbg")).ExpectStatus(http.StatusUnprocessableEntity, metav1.StatusReasonInvalid,
			`admission webhook "deny.conformance.ephemera.dev" denied the request: image not allowed`)
	})

	API("admission/a webhook's warnings reach the client", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("warn", func(map[string]any) Answer {
			return Answer{Warnings: []string{"debug containers are audited", "image is not pinned"}}
		})
		f.CreatePod(podName)
		f.CreateValidatingWebhooks(f.ValidatingHook("warn.conformance.ephemera.dev", h, "pods/ephemeralcontainers"))
		r := f.AddEC(podName, EC("dbg"))
		r.OK()
		Expect(r.Warnings).To(Equal([]string{`299 - "debug containers are audited"`, `299 - "image is not pinned"`}))
	})

	API("admission/a mutating webhook changes an ephemeral container", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("mutate", func(map[string]any) Answer {
			return Answer{Patch: []map[string]any{{"op": "add", "path": "/spec/ephemeralContainers/0/env",
				"value": []any{map[string]any{"name": "DEBUGGED_BY", "value": "conformance"}}}}}
		})
		f.CreatePod(podName)
		f.CreateMutatingWebhooks(f.MutatingHook("mutate.conformance.ephemera.dev", h, "pods/ephemeralcontainers"))
		out := f.AddEC(podName, EC("dbg")).OK()
		Expect(out.Spec.EphemeralContainers[0].Env).To(HaveLen(1))
		f.RecordReviews("mutating webhook", h)
	})

	API("admission/a mutating webhook with reinvocationPolicy IfNeeded is called again", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		label := func(key string) func(map[string]any) Answer {
			return func(req map[string]any) Answer {
				obj, _ := req["object"].(map[string]any)
				meta, _ := obj["metadata"].(map[string]any)
				if labels, _ := meta["labels"].(map[string]any); labels[key] != nil {
					return Answer{}
				}
				return Answer{Patch: []map[string]any{{"op": "add", "path": "/metadata/labels/" + key, "value": "yes"}}}
			}
		}
		first, second := f.NewHook("first", label("first")), f.NewHook("second", label("second"))
		a := f.MutatingHook("first.conformance.ephemera.dev", first, "pods")
		a.ReinvocationPolicy = ptr.To(arv1.IfNeededReinvocationPolicy)
		f.CreateMutatingWebhooks(a, f.MutatingHook("second.conformance.ephemera.dev", second, "pods"))
		p := f.CreatePod(podName)
		Expect(p.Labels).To(HaveKeyWithValue("first", "yes"))
		Expect(p.Labels).To(HaveKeyWithValue("second", "yes"))
		// The second webhook changed the object after the first ran.
		f.RecordReviews("first webhook", first)
		Expect(first.Reviews()).To(HaveLen(2))
		f.RecordReviews("second webhook", second)
	})

	API("admission/a mutating webhook's change is validated again", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("mutate", func(map[string]any) Answer {
			return Answer{Patch: []map[string]any{{"op": "add", "path": "/spec/ephemeralContainers/0/resources",
				"value": map[string]any{"limits": map[string]any{"cpu": "100m"}}}}}
		})
		f.CreatePod(podName)
		f.CreateMutatingWebhooks(f.MutatingHook("mutate.conformance.ephemera.dev", h, "pods/ephemeralcontainers"))
		// The mutated object goes through the update strategy's validation.
		f.AddEC(podName, EC("dbg")).ExpectInvalid(podName, Forbidden(fieldEC(0, "resources"), "cannot be set for an Ephemeral Container"))
		Expect(f.GetPod(podName).OK().Spec.EphemeralContainers).To(BeEmpty())
	})

	API("admission/a dry-run patch calls the webhook with dryRun", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("dry", allow)
		f.CreatePod(podName)
		f.CreateValidatingWebhooks(f.ValidatingHook("dry.conformance.ephemera.dev", h, "pods/ephemeralcontainers"))
		f.PatchEC(podName, ctSMP, map[string]any{"spec": map[string]any{"ephemeralContainers": []any{EC("dbg")}}}, "dryRun=All").OK()
		Expect(f.GetPod(podName).OK().Spec.EphemeralContainers).To(BeEmpty())
		f.RecordReviews("dry-run webhook", h)
	})

	API("admission/a webhook that is down fails the request under failurePolicy Fail", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		f.CreatePod(podName)
		url := fmt.Sprintf("https://127.0.0.1:%d/down", downPort())
		hook := f.ValidatingHook("down.conformance.ephemera.dev", &Hook{URL: url}, "pods/ephemeralcontainers")
		hook.FailurePolicy = ptr.To(arv1.Fail)
		f.CreateValidatingWebhooks(hook)
		f.AddEC(podName, EC("dbg")).ExpectStatus(http.StatusInternalServerError, metav1.StatusReasonInternalError,
			fmt.Sprintf(`Internal error occurred: failed calling webhook "down.conformance.ephemera.dev": failed to call webhook: Post "%s?timeout=10s": dial tcp 127.0.0.1:%d: connect: connection refused`, url, downPort()))
	})

	API("admission/a webhook that is down is skipped under failurePolicy Ignore", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		f.CreatePod(podName)
		hook := f.ValidatingHook("down.conformance.ephemera.dev", &Hook{URL: fmt.Sprintf("https://127.0.0.1:%d/down", downPort())}, "pods/ephemeralcontainers")
		hook.FailurePolicy = ptr.To(arv1.Ignore)
		f.CreateValidatingWebhooks(hook)
		f.AddEC(podName, EC("dbg")).OK()
	})

	API("admission/a webhook that answers too late fails the request", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("slow", func(map[string]any) Answer { return Answer{Delay: 3 * time.Second} })
		f.CreatePod(podName)
		hook := f.ValidatingHook("slow.conformance.ephemera.dev", h, "pods/ephemeralcontainers")
		hook.TimeoutSeconds = ptr.To[int32](1)
		f.CreateValidatingWebhooks(hook)
		f.AddEC(podName, EC("dbg")).ExpectStatus(http.StatusInternalServerError, metav1.StatusReasonInternalError,
			`Internal error occurred: failed calling webhook "slow.conformance.ephemera.dev": failed to call webhook: Post "`+h.URL+`?timeout=1s": context deadline exceeded`)
	})

	API("admission/a webhook with an untrusted certificate fails the request", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("tls", allow)
		f.CreatePod(podName)
		hook := f.ValidatingHook("tls.conformance.ephemera.dev", h, "pods/ephemeralcontainers")
		hook.ClientConfig.CABundle = otherCA()
		f.CreateValidatingWebhooks(hook)
		f.AddEC(podName, EC("dbg")).ExpectStatus(http.StatusInternalServerError, metav1.StatusReasonInternalError,
			`Internal error occurred: failed calling webhook "tls.conformance.ephemera.dev": failed to call webhook: Post "`+h.URL+`?timeout=10s": `+
				`tls: failed to verify certificate: x509: certificate signed by unknown authority (possibly because of "x509: ECDSA verification failure" while trying to verify candidate authority certificate "ephemera-conformance-webhook-ca")`)
		Expect(h.Reviews()).To(BeEmpty())
	})

	API("admission/a webhook with a service reference", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		f.CreatePod(podName)
		hook := f.ValidatingHook("svc.conformance.ephemera.dev", &Hook{}, "pods/ephemeralcontainers")
		hook.ClientConfig = arv1.WebhookClientConfig{Service: &arv1.ServiceReference{Namespace: f.NS, Name: "webhook", Path: ptr.To("/validate")}}
		f.CreateValidatingWebhooks(hook)
		// kube-apiserver resolves services through its service lister
		// (k8s.io/apiserver pkg/util/proxy.ResolveCluster).
		f.AddEC(podName, EC("dbg")).ExpectStatus(http.StatusInternalServerError, metav1.StatusReasonInternalError,
			`Internal error occurred: failed calling webhook "svc.conformance.ephemera.dev": failed to call webhook: Post "https://webhook.`+f.NS+`.svc:443/validate?timeout=10s": service "webhook" not found`)
	})

	API("admission/namespaceSelector picks the namespaces a webhook sees", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("ns", func(map[string]any) Answer {
			return Answer{Deny: true, Status: &Status{Code: 403, Message: "debugging is off in this namespace"}}
		})
		f.CreatePod(podName)
		hook := f.ValidatingHook("ns.conformance.ephemera.dev", h, "pods/ephemeralcontainers")
		hook.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"conformance.ephemera.dev/debugging": "off"}}
		f.CreateValidatingWebhooks(hook)
		f.AddEC(podName, EC("a")).OK()
		_, err := f.Client.CoreV1().Namespaces().Patch(f.Ctx, f.NS, types.MergePatchType,
			[]byte(`{"metadata":{"labels":{"conformance.ephemera.dev/debugging":"off"}}}`), metav1.PatchOptions{})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() int { return f.dryRunEC(podName, "probe") }).WithTimeout(30 * time.Second).Should(Equal(http.StatusForbidden))
		f.AddEC(podName, EC("b")).ExpectStatus(http.StatusForbidden, "", `admission webhook "ns.conformance.ephemera.dev" denied the request: debugging is off in this namespace`)
	})

	API("admission/objectSelector picks the pods a webhook sees", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("obj", allow)
		f.CreatePod("plain")
		f.CreatePod("protected", func(p *corev1.Pod) { p.Labels["conformance.ephemera.dev/protected"] = "true" })
		hook := f.ValidatingHook("obj.conformance.ephemera.dev", h, "pods/ephemeralcontainers")
		hook.ObjectSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"conformance.ephemera.dev/protected": "true"}}
		f.CreateValidatingWebhooks(hook)
		f.AddEC("plain", EC("dbg")).OK()
		f.AddEC("protected", EC("dbg")).OK()
		f.RecordReviews("objectSelector webhook", h)
		Expect(h.Reviews()).To(HaveLen(1))
	})

	API("admission/matchConditions filter with CEL", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("cel", allow)
		f.CreatePod(podName)
		hook := f.ValidatingHook("cel.conformance.ephemera.dev", h, "pods", "pods/ephemeralcontainers")
		// subResource is unset for requests on the pod itself: has() guards it.
		hook.MatchConditions = []arv1.MatchCondition{{Name: "only-debugging", Expression: `has(request.subResource) && request.subResource == "ephemeralcontainers"`}}
		f.CreateValidatingWebhooks(hook)
		f.CreatePod("p2")
		f.AddEC(podName, EC("dbg")).OK()
		f.RecordReviews("matchConditions webhook", h)
		Expect(h.Reviews()).To(HaveLen(1))
	})

	API("admission/a matchCondition that fails to evaluate refuses the request", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("cel", allow)
		f.CreatePod(podName)
		hook := f.ValidatingHook("cel.conformance.ephemera.dev", h, "pods", "pods/ephemeralcontainers")
		hook.MatchConditions = []arv1.MatchCondition{{Name: "only-debugging", Expression: `request.subResource == "ephemeralcontainers"`}}
		// The suite's probe pods must get through to tell when the
		// configuration is in effect.
		hook.ObjectSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: probeLabel, Operator: metav1.LabelSelectorOpDoesNotExist}}}
		f.CreateValidatingWebhooks(hook)
		r := f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/pods", ContentType: ctJSON, Body: unscheduledPod("p2")})
		r.ExpectStatus(http.StatusForbidden, metav1.StatusReasonForbidden, `pods "p2" is forbidden: expression 'request.subResource == "ephemeralcontainers"' resulted in error: no such key: subResource`)
		f.AddEC(podName, EC("dbg")).OK()
		f.RecordReviews("matchConditions webhook", h)
		Expect(h.Reviews()).To(HaveLen(1))
	})

	API("admission/a webhook asking for AdmissionReview v1beta1 gets it", func(f *F) {
		f.skipWithoutLoopbackWebhooks()
		h := f.NewHook("beta", allow)
		f.CreatePod(podName)
		hook := f.ValidatingHook("beta.conformance.ephemera.dev", h, "pods/ephemeralcontainers")
		hook.AdmissionReviewVersions = []string{"v1beta1"}
		f.CreateValidatingWebhooks(hook)
		f.AddEC(podName, EC("dbg")).OK()
		f.RecordReviews("v1beta1 webhook", h)
		Expect(h.Reviews()).To(HaveLen(1))
	})
})

// notPrivileged is the usual "no privileged debug containers" rule.
const notPrivileged = `object.spec.ephemeralContainers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged)`
