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
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Who may debug: authentication, RBAC authorization, escalation checks,
// impersonation and the review APIs, as kube-apiserver v1.37.2 with envtest's
// flags (--authorization-mode=RBAC, client certificates, anonymous auth on)
// answers them. Users get client certificates (see users.go). The rules are
// upstream's plugin/pkg/auth/authorizer/rbac and pkg/registry/rbac; the
// Forbidden messages are k8s.io/apiserver's
// endpoints/handlers/responsewriters.forbiddenMessage.
var _ = Describe("RBAC", func() {
	podsPath := func(f *F, ns string) string { return "/api/v1/namespaces/" + ns + "/pods" }

	API("rbac/a user with no rights cannot list pods", func(f *F) {
		u := f.As("nobody")
		u.Do(Req{Method: http.MethodGet, Path: podsPath(f, f.NS)}).Forbidden403("pods is forbidden: " + cannot("nobody", "list", "pods", "", f.NS))
	})

	API("rbac/a user with no rights cannot get, create, patch or delete a pod", func(f *F) {
		f.CreatePod(podName)
		u := f.As("nobody")
		u.Do(Req{Method: http.MethodGet, Path: f.podPath(podName)}).Forbidden403(`pods "p1" is forbidden: ` + cannot("nobody", "get", "pods", "", f.NS))
		u.Do(Req{Method: http.MethodPost, Path: podsPath(f, f.NS), ContentType: ctJSON, Body: basePod("p2")}).Forbidden403("pods is forbidden: " + cannot("nobody", "create", "pods", "", f.NS))
		u.Do(Req{Method: http.MethodPatch, Path: f.podPath(podName), ContentType: ctMerge, Body: "{}"}).Forbidden403(`pods "p1" is forbidden: ` + cannot("nobody", "patch", "pods", "", f.NS))
		u.Do(Req{Method: http.MethodDelete, Path: f.podPath(podName)}).Forbidden403(`pods "p1" is forbidden: ` + cannot("nobody", "delete", "pods", "", f.NS))
	})

	API("rbac/a user with no rights cannot watch or deletecollection", func(f *F) {
		u := f.As("nobody")
		u.Do(Req{Method: http.MethodGet, Path: podsPath(f, f.NS) + "?watch=true"}).Forbidden403("pods is forbidden: " + cannot("nobody", "watch", "pods", "", f.NS))
		u.Do(Req{Method: http.MethodDelete, Path: podsPath(f, f.NS)}).Forbidden403("pods is forbidden: " + cannot("nobody", "deletecollection", "pods", "", f.NS))
		u.Do(Req{Method: http.MethodGet, Path: "/api/v1/pods"}).Forbidden403("pods is forbidden: " + cannot("nobody", "list", "pods", "", ""))
	})

	API("rbac/a user with no rights may still review itself", func(f *F) {
		u := f.As("nobody")
		r := u.Do(Req{Method: http.MethodPost, Path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ContentType: ctJSON,
			Body: map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
				"spec": map[string]any{"resourceAttributes": map[string]any{"namespace": f.NS, "verb": "get", "resource": "pods"}}}})
		Expect(r.Code).To(Equal(http.StatusCreated), "body: %s", r.Body)
		Expect(string(r.Body)).To(ContainSubstring(`"allowed":false`))
	})

	API("rbac/get on pods does not grant the ephemeralcontainers subresource", func(f *F) {
		f.CreatePod(podName)
		f.GrantRole("reader", []rbacv1.PolicyRule{Rule(s("get"), s(""), s("pods"))}, UserSubject("reader"))
		u := f.As("reader")
		u.WaitCan(true, PodsAttrs(f.NS, "get", "", podName))
		Expect(u.GetPod(podName).Code).To(Equal(http.StatusOK))
		u.GetEC(podName).Forbidden403(`pods "p1" is forbidden: ` + cannot("reader", "get", "pods/ephemeralcontainers", "", f.NS))
		u.AddEC(podName, EC("dbg")).Forbidden403(`pods "p1" is forbidden: ` + cannot("reader", "patch", "pods/ephemeralcontainers", "", f.NS))
	})

	API("rbac/patch on pods/ephemeralcontainers lets kubectl debug patch but not client-go update", func(f *F) {
		pod := f.CreatePod(podName)
		f.GrantRole("debugger", []rbacv1.PolicyRule{Rule(s("patch"), s(""), s("pods/ephemeralcontainers"))}, UserSubject("debugger"))
		u := f.As("debugger")
		u.WaitCan(true, PodsAttrs(f.NS, "patch", "ephemeralcontainers", podName))
		u.AddEC(podName, EC("dbg")).OK()
		pod.Spec.EphemeralContainers = nil
		u.PutEC(podName, pod).Forbidden403(`pods "p1" is forbidden: ` + cannot("debugger", "update", "pods/ephemeralcontainers", "", f.NS))
		u.GetPod(podName).Forbidden403(`pods "p1" is forbidden: ` + cannot("debugger", "get", "pods", "", f.NS))
	})

	API("rbac/update on pods/ephemeralcontainers lets client-go update but not kubectl debug patch", func(f *F) {
		f.CreatePod(podName)
		f.GrantRole("updater", []rbacv1.PolicyRule{Rule(s("update"), s(""), s("pods/ephemeralcontainers"))}, UserSubject("updater"))
		u := f.As("updater")
		u.WaitCan(true, PodsAttrs(f.NS, "update", "ephemeralcontainers", podName))
		cur := f.GetEC(podName).OK()
		cur.Spec.EphemeralContainers = append(cur.Spec.EphemeralContainers, ecContainer("dbg"))
		u.PutEC(podName, cur).OK()
		u.AddEC(podName, EC("dbg2")).Forbidden403(`pods "p1" is forbidden: ` + cannot("updater", "patch", "pods/ephemeralcontainers", "", f.NS))
	})

	// RBAC has no "resource/*" wildcard (upstream ResourceMatches knows "*",
	// exact names and "*/subresource" only): "pods/*" matches nothing real.
	API("rbac/pods/* is not a wildcard and grants no subresource", func(f *F) {
		f.CreatePod(podName)
		f.GrantRole("subs", []rbacv1.PolicyRule{Rule(s("get", "patch"), s(""), s("pods/*"))}, UserSubject("subs"))
		u := f.As("subs")
		// The role is in effect once the literal "pods/*" is allowed.
		u.WaitCan(true, PodsAttrs(f.NS, "get", "*", podName))
		u.AddEC(podName, EC("dbg")).Forbidden403(`pods "p1" is forbidden: ` + cannot("subs", "patch", "pods/ephemeralcontainers", "", f.NS))
		u.GetEC(podName).Forbidden403(`pods "p1" is forbidden: ` + cannot("subs", "get", "pods/ephemeralcontainers", "", f.NS))
		u.GetPod(podName).Forbidden403(`pods "p1" is forbidden: ` + cannot("subs", "get", "pods", "", f.NS))
	})

	API("rbac/*/ephemeralcontainers grants the subresource of any resource", func(f *F) {
		f.CreatePod(podName)
		f.GrantRole("anyec", []rbacv1.PolicyRule{Rule(s("patch"), s(""), s("*/ephemeralcontainers"))}, UserSubject("anyec"))
		u := f.As("anyec")
		u.WaitCan(true, PodsAttrs(f.NS, "patch", "ephemeralcontainers", podName))
		u.AddEC(podName, EC("dbg")).OK()
		u.Do(Req{Method: http.MethodPatch, Path: f.podPath(podName) + "/status", ContentType: ctMerge, Body: "{}"}).
			Forbidden403(`pods "p1" is forbidden: ` + cannot("anyec", "patch", "pods/status", "", f.NS))
	})

	API("rbac/a * resource rule grants pods and their subresources", func(f *F) {
		f.CreatePod(podName)
		f.GrantRole("all", []rbacv1.PolicyRule{Rule(s("get", "list"), s(""), s("*"))}, UserSubject("all"))
		u := f.As("all")
		u.WaitCan(true, PodsAttrs(f.NS, "get", "ephemeralcontainers", podName))
		Expect(u.GetEC(podName).Code).To(Equal(http.StatusOK))
		Expect(u.Do(Req{Method: http.MethodGet, Path: podsPath(f, f.NS)}).Code).To(Equal(http.StatusOK))
		u.AddEC(podName, EC("dbg")).Forbidden403(`pods "p1" is forbidden: ` + cannot("all", "patch", "pods/ephemeralcontainers", "", f.NS))
	})

	API("rbac/resourceNames limit a rule to the named pods", func(f *F) {
		f.CreatePod(podName)
		f.CreatePod("p2")
		f.GrantRole("named", []rbacv1.PolicyRule{{Verbs: s("get", "patch", "list"), APIGroups: s(""), Resources: s("pods", "pods/ephemeralcontainers"), ResourceNames: s(podName)}}, UserSubject("named"))
		u := f.As("named")
		u.WaitCan(true, PodsAttrs(f.NS, "get", "", podName))
		Expect(u.GetPod(podName).Code).To(Equal(http.StatusOK))
		u.AddEC(podName, EC("dbg")).OK()
		u.GetPod("p2").Forbidden403(`pods "p2" is forbidden: ` + cannot("named", "get", "pods", "", f.NS))
		u.Do(Req{Method: http.MethodGet, Path: podsPath(f, f.NS)}).Forbidden403("pods is forbidden: " + cannot("named", "list", "pods", "", f.NS))
	})

	API("rbac/a group binding grants its members only", func(f *F) {
		f.CreatePod(podName)
		f.GrantRole("debuggers", []rbacv1.PolicyRule{Rule(s("get"), s(""), s("pods"))}, GroupSubject("debuggers"))
		member := f.As("member", "debuggers")
		member.WaitCan(true, PodsAttrs(f.NS, "get", "", podName))
		Expect(member.GetPod(podName).Code).To(Equal(http.StatusOK))
		f.As("outsider", "others").GetPod(podName).Forbidden403(`pods "p1" is forbidden: ` + cannot("outsider", "get", "pods", "", f.NS))
	})

	API("rbac/a ServiceAccount subject grants the service account's user", func(f *F) {
		f.CreatePod(podName)
		f.GrantRole("sa", []rbacv1.PolicyRule{Rule(s("get"), s(""), s("pods"))}, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: "robot"})
		sa := f.As("system:serviceaccount:"+f.NS+":robot", "system:serviceaccounts", "system:serviceaccounts:"+f.NS)
		sa.WaitCan(true, PodsAttrs(f.NS, "get", "", podName))
		Expect(sa.GetPod(podName).Code).To(Equal(http.StatusOK))
		other := f.As("system:serviceaccount:"+f.NS+":other", "system:serviceaccounts")
		other.GetPod(podName).Forbidden403(`pods "p1" is forbidden: ` + cannot("system:serviceaccount:"+f.NS+":other", "get", "pods", "", f.NS))
	})

	API("rbac/a cluster role binding grants in every namespace", func(f *F) {
		other := f.OtherNamespace()
		f.GrantClusterRole("lister", []rbacv1.PolicyRule{Rule(s("list"), s(""), s("pods"))}, UserSubject("wide"))
		u := f.As("wide")
		u.WaitCan(true, PodsAttrs(other, "list", "", ""))
		Expect(u.Do(Req{Method: http.MethodGet, Path: podsPath(f, f.NS)}).Code).To(Equal(http.StatusOK))
		Expect(u.Do(Req{Method: http.MethodGet, Path: podsPath(f, other)}).Code).To(Equal(http.StatusOK))
		Expect(u.Do(Req{Method: http.MethodGet, Path: "/api/v1/pods?labelSelector=app%3Dnone"}).Code).To(Equal(http.StatusOK))
	})

	API("rbac/a role binding is not seen from another namespace", func(f *F) {
		other := f.OtherNamespace()
		f.GrantRole("local", []rbacv1.PolicyRule{Rule(s("list"), s(""), s("pods"))}, UserSubject("local"))
		u := f.As("local")
		u.WaitCan(true, PodsAttrs(f.NS, "list", "", ""))
		Expect(u.Do(Req{Method: http.MethodGet, Path: podsPath(f, f.NS)}).Code).To(Equal(http.StatusOK))
		u.Do(Req{Method: http.MethodGet, Path: podsPath(f, other)}).Forbidden403("pods is forbidden: " + cannot("local", "list", "pods", "", other))
		u.Do(Req{Method: http.MethodGet, Path: "/api/v1/pods"}).Forbidden403("pods is forbidden: " + cannot("local", "list", "pods", "", ""))
	})

	API("rbac/a role binding to a cluster role grants it in the namespace only", func(f *F) {
		other := f.OtherNamespace()
		// Not the bootstrap "view": it is aggregated, and without
		// kube-controller-manager (envtest) its rules stay null.
		role := f.CreateClusterRole("pod-lister", []rbacv1.PolicyRule{Rule(s("list"), s(""), s("pods"))})
		f.BindRole(f.NS, "viewers", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}, UserSubject("viewer"))
		u := f.As("viewer")
		u.WaitCan(true, PodsAttrs(f.NS, "list", "", ""))
		Expect(u.Do(Req{Method: http.MethodGet, Path: podsPath(f, f.NS)}).Code).To(Equal(http.StatusOK))
		u.Do(Req{Method: http.MethodGet, Path: podsPath(f, other)}).Forbidden403("pods is forbidden: " + cannot("viewer", "list", "pods", "", other))
	})

	API("rbac/watch and list are separate verbs", func(f *F) {
		f.GrantRole("watcher", []rbacv1.PolicyRule{Rule(s("watch"), s(""), s("pods"))}, UserSubject("watcher"))
		f.GrantRole("lister", []rbacv1.PolicyRule{Rule(s("list"), s(""), s("pods"))}, UserSubject("lister"))
		w := f.As("watcher")
		w.WaitCan(true, PodsAttrs(f.NS, "watch", "", ""))
		w.Do(Req{Method: http.MethodGet, Path: podsPath(f, f.NS)}).Forbidden403("pods is forbidden: " + cannot("watcher", "list", "pods", "", f.NS))
		wi, err := w.Client.CoreV1().Pods(f.NS).Watch(f.Ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		wi.Stop()
		f.Note("watcher may watch", true)
		l := f.As("lister")
		l.WaitCan(true, PodsAttrs(f.NS, "list", "", ""))
		Expect(l.Do(Req{Method: http.MethodGet, Path: podsPath(f, f.NS)}).Code).To(Equal(http.StatusOK))
		l.Do(Req{Method: http.MethodGet, Path: podsPath(f, f.NS) + "?watch=true"}).Forbidden403("pods is forbidden: " + cannot("lister", "watch", "pods", "", f.NS))
	})

	API("rbac/a binding to a missing role explains the denial", func(f *F) {
		f.BindRole(f.NS, "dangling", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "missing"}, UserSubject("dangling"))
		u := f.As("dangling")
		// The binding is in the authorizer once its reason names the role.
		Eventually(func() string {
			return u.Do(Req{Method: http.MethodGet, Path: podsPath(f, f.NS), NoRecord: true}).Status.Message
		}).WithTimeout(30e9).WithPolling(20e6).Should(ContainSubstring("RBAC"))
		u.Do(Req{Method: http.MethodGet, Path: podsPath(f, f.NS)}).Forbidden403("pods is forbidden: " + cannot("dangling", "list", "pods", "", f.NS) +
			`: rbac: RBAC: role.rbac.authorization.k8s.io "missing" not found`)
	})

	API("rbac/anonymous requests", func(f *F) {
		a := f.Anonymous()
		for _, p := range []string{"/healthz", "/livez", "/readyz"} {
			r := a.Do(Req{Method: http.MethodGet, Path: p, Accept: "*/*"})
			Expect(r.Code).To(Equal(http.StatusOK), "%s: %s", p, r.Body)
		}
		Expect(a.Do(Req{Method: http.MethodGet, Path: "/version", NoRecord: true}).Code).To(Equal(http.StatusOK))
		a.Do(Req{Method: http.MethodGet, Path: podsPath(f, f.NS)}).Forbidden403("pods is forbidden: " + cannot("system:anonymous", "list", "pods", "", f.NS))
		a.Do(Req{Method: http.MethodGet, Path: "/api"}).Forbidden403(`forbidden: User "system:anonymous" cannot get path "/api"`)
		a.Do(Req{Method: http.MethodGet, Path: "/metrics"}).Forbidden403(`forbidden: User "system:anonymous" cannot get path "/metrics"`)
	})

	API("rbac/an invalid bearer token is unauthorized", func(f *F) {
		cfg := *f.Anonymous().Config
		cfg.BearerToken = "not-a-token"
		r := f.withConfig(&cfg).Do(Req{Method: http.MethodGet, Path: podsPath(f, f.NS)})
		r.ExpectStatus(http.StatusUnauthorized, metav1.StatusReasonUnauthorized, "Unauthorized")
	})

	API("rbac/authenticated users may discover the API", func(f *F) {
		u := f.As("nobody")
		Expect(u.Do(Req{Method: http.MethodGet, Path: "/api", NoRecord: true}).Code).To(Equal(http.StatusOK))
		Expect(u.Do(Req{Method: http.MethodGet, Path: "/apis/rbac.authorization.k8s.io/v1", NoRecord: true}).Code).To(Equal(http.StatusOK))
		u.Do(Req{Method: http.MethodGet, Path: "/metrics"}).Forbidden403(`forbidden: User "nobody" cannot get path "/metrics"`)
	})
})
