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
	"net/http"
	"sort"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// The RBAC API's own rules (escalation and bind checks of pkg/registry/rbac,
// validation of pkg/apis/rbac/validation), impersonation (k8s.io/apiserver
// endpoints/filters/impersonation.go), the review APIs and the bootstrap
// policy.
var _ = Describe("RBAC policy", func() {
	rbacPath := "/apis/rbac.authorization.k8s.io/v1"
	rolesPath := func(f *F) string { return rbacPath + "/namespaces/" + f.NS + "/roles" }
	bindingsPath := func(f *F) string { return rbacPath + "/namespaces/" + f.NS + "/rolebindings" }
	role := func(name string, rules ...rbacv1.PolicyRule) map[string]any {
		return map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": map[string]any{"name": name}, "rules": rules}
	}
	binding := func(name, kind, roleName, user string) map[string]any {
		return map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": map[string]any{"name": name},
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": roleName},
			"subjects": []any{map[string]any{"kind": "User", "name": user}}}
	}
	roleManager := []rbacv1.PolicyRule{Rule(s("create", "update", "get"), s("rbac.authorization.k8s.io"), s("roles", "rolebindings"))}

	API("rbac/creating a role with rights one does not hold is an escalation", func(f *F) {
		f.GrantRole("manager", roleManager, UserSubject("manager"))
		u := f.As("manager")
		u.WaitCan(true, authorizationv1.ResourceAttributes{Namespace: f.NS, Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "roles"})
		r := u.Do(Req{Method: http.MethodPost, Path: rolesPath(f), ContentType: ctJSON, Body: role("debug", Rule(s("patch", "update"), s(""), s("pods/ephemeralcontainers")), Rule(s("get"), s(""), s("pods")))})
		Expect(r.Code).To(Equal(http.StatusForbidden), "body: %s", r.Body)
		Expect(r.Status.Message).To(HavePrefix(`roles.rbac.authorization.k8s.io "debug" is forbidden: user "manager" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:`))
		// Rules it holds are fine.
		r = u.Do(Req{Method: http.MethodPost, Path: rolesPath(f), ContentType: ctJSON, Body: role("mine", Rule(s("get"), s("rbac.authorization.k8s.io"), s("roles")))})
		Expect(r.Code).To(Equal(http.StatusCreated), "body: %s", r.Body)
	})

	API("rbac/the escalate verb allows creating a role with more rights", func(f *F) {
		f.GrantRole("escalator", append(roleManager, Rule(s("escalate"), s("rbac.authorization.k8s.io"), s("roles"))), UserSubject("escalator"))
		u := f.As("escalator")
		u.WaitCan(true, authorizationv1.ResourceAttributes{Namespace: f.NS, Verb: "escalate", Group: "rbac.authorization.k8s.io", Resource: "roles"})
		r := u.Do(Req{Method: http.MethodPost, Path: rolesPath(f), ContentType: ctJSON, Body: role("debug", Rule(s("patch"), s(""), s("pods/ephemeralcontainers")))})
		Expect(r.Code).To(Equal(http.StatusCreated), "body: %s", r.Body)
	})

	API("rbac/binding a role with rights one does not hold needs bind", func(f *F) {
		_, err := f.Client.RbacV1().Roles(f.NS).Create(f.Ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "debug"},
			Rules: []rbacv1.PolicyRule{Rule(s("patch"), s(""), s("pods/ephemeralcontainers"))}}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		f.GrantRole("manager", roleManager, UserSubject("manager"))
		f.GrantRole("binder", append(roleManager, rbacv1.PolicyRule{Verbs: s("bind"), APIGroups: s("rbac.authorization.k8s.io"), Resources: s("roles"), ResourceNames: s("debug")}), UserSubject("binder"))
		m := f.As("manager")
		m.WaitCan(true, authorizationv1.ResourceAttributes{Namespace: f.NS, Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "rolebindings"})
		r := m.Do(Req{Method: http.MethodPost, Path: bindingsPath(f), ContentType: ctJSON, Body: binding("debuggers", "Role", "debug", "someone")})
		r.Forbidden403(`rolebindings.rbac.authorization.k8s.io "debuggers" is forbidden: user "manager" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:` + "\n" +
			`{APIGroups:[""], Resources:["pods/ephemeralcontainers"], Verbs:["patch"]}`)
		r = m.Do(Req{Method: http.MethodPost, Path: bindingsPath(f), ContentType: ctJSON, Body: binding("ghost", "Role", "missing", "someone")})
		// The store reads the role with the request's resource in context, so
		// the NotFound names rolebindings (genericregistry qualifiedResourceFromContext).
		r.ExpectStatus(http.StatusNotFound, metav1.StatusReasonNotFound, `rolebindings.rbac.authorization.k8s.io "missing" not found`)
		b := f.As("binder")
		b.WaitCan(true, authorizationv1.ResourceAttributes{Namespace: f.NS, Verb: "bind", Group: "rbac.authorization.k8s.io", Resource: "roles", Name: "debug"})
		r = b.Do(Req{Method: http.MethodPost, Path: bindingsPath(f), ContentType: ctJSON, Body: binding("debuggers", "Role", "debug", "someone")})
		Expect(r.Code).To(Equal(http.StatusCreated), "body: %s", r.Body)
	})

	API("rbac/a cluster role binding needs the cluster role's rights cluster-wide", func(f *F) {
		target := f.CreateClusterRole("debug", []rbacv1.PolicyRule{Rule(s("patch"), s(""), s("pods/ephemeralcontainers"))})
		f.GrantClusterRole("crb-manager", []rbacv1.PolicyRule{Rule(s("create"), s("rbac.authorization.k8s.io"), s("clusterrolebindings"))}, UserSubject("crb-manager"))
		u := f.As("crb-manager")
		u.WaitCan(true, authorizationv1.ResourceAttributes{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"})
		name := f.ClusterName("attempt")
		f.DeleteClusterRoleBindingAtEnd(name)
		r := u.Do(Req{Method: http.MethodPost, Path: rbacPath + "/clusterrolebindings", ContentType: ctJSON, Body: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": map[string]any{"name": name},
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": target},
			"subjects": []any{map[string]any{"kind": "User", "name": "someone"}}}})
		r.Forbidden403(`clusterrolebindings.rbac.authorization.k8s.io "` + name + `" is forbidden: user "crb-manager" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:` + "\n" +
			`{APIGroups:[""], Resources:["pods/ephemeralcontainers"], Verbs:["patch"]}`)
	})

	API("rbac/an aggregationRule needs every permission", func(f *F) {
		f.GrantClusterRole("cr-manager", []rbacv1.PolicyRule{Rule(s("create"), s("rbac.authorization.k8s.io"), s("clusterroles"))}, UserSubject("cr-manager"))
		u := f.As("cr-manager")
		u.WaitCan(true, authorizationv1.ResourceAttributes{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "clusterroles"})
		name := f.ClusterName("aggregated")
		f.DeleteClusterRoleAtEnd(name)
		r := u.Do(Req{Method: http.MethodPost, Path: rbacPath + "/clusterroles", ContentType: ctJSON, Body: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": map[string]any{"name": name},
			"aggregationRule": map[string]any{"clusterRoleSelectors": []any{map[string]any{"matchLabels": map[string]any{"x": "y"}}}}}})
		r.Forbidden403(`clusterroles.rbac.authorization.k8s.io "` + name + `" is forbidden: must have cluster-admin privileges to use the aggregationRule`)
	})

	// kube-apiserver v1.37 has constrained impersonation (KEP-5284): a user
	// holding no impersonate permission at all is refused by the constrained
	// check, which names the verb "impersonate-on:<mode>:<verb>" on the
	// requested resource; one holding the legacy "impersonate" verb on some
	// users gets the legacy check and messages (next scenario).
	API("rbac/impersonation without the impersonate verb is refused", func(f *F) {
		u := f.As("actor")
		pods := Req{Method: http.MethodGet, Path: "/api/v1/namespaces/" + f.NS + "/pods"}
		u.Impersonating(rest.ImpersonationConfig{UserName: "bob"}).Do(pods).
			Forbidden403(`pods is forbidden: User "actor" cannot impersonate-on:user-info:list resource "pods" in API group "" in the namespace "` + f.NS + `"`)
		u.Impersonating(rest.ImpersonationConfig{Groups: []string{"g1"}}).Do(pods).
			ExpectStatus(http.StatusBadRequest, metav1.StatusReasonBadRequest, `requested &user.DefaultInfo{Name:"", UID:"", Groups:[]string{"g1"}, Extra:map[string][]string(nil)} without impersonating a user name`)
		u.Impersonating(rest.ImpersonationConfig{UserName: "system:serviceaccount:" + f.NS + ":robot"}).Do(pods).
			Forbidden403(`pods is forbidden: User "actor" cannot impersonate-on:serviceaccount:list resource "pods" in API group "" in the namespace "` + f.NS + `"`)
		u.Impersonating(rest.ImpersonationConfig{UserName: "bob"}).Do(Req{Method: http.MethodPatch, Path: f.ecPath(podName), ContentType: ctSMP, Body: "{}"}).
			Forbidden403(`pods "p1" is forbidden: User "actor" cannot impersonate-on:user-info:patch resource "pods/ephemeralcontainers" in API group "" in the namespace "` + f.NS + `"`)
	})

	API("rbac/impersonation with the impersonate verb acts as the other user", func(f *F) {
		f.GrantClusterRole("impersonator", []rbacv1.PolicyRule{{Verbs: s("impersonate"), APIGroups: s(""), Resources: s("users"), ResourceNames: s("bob")}}, UserSubject("impersonator"))
		f.GrantRole("bob", []rbacv1.PolicyRule{Rule(s("list"), s(""), s("pods"))}, UserSubject("bob"))
		u := f.As("impersonator")
		u.WaitCan(true, authorizationv1.ResourceAttributes{Verb: "impersonate", Resource: "users", Name: "bob"})
		f.As("bob").WaitCan(true, PodsAttrs(f.NS, "list", "", ""))
		r := u.Impersonating(rest.ImpersonationConfig{UserName: "bob"}).Do(Req{Method: http.MethodGet, Path: "/api/v1/namespaces/" + f.NS + "/pods"})
		Expect(r.Code).To(Equal(http.StatusOK), "body: %s", r.Body)
		r = u.Impersonating(rest.ImpersonationConfig{UserName: "bob"}).Do(Req{Method: http.MethodPost, Path: "/apis/authentication.k8s.io/v1/selfsubjectreviews", ContentType: ctJSON,
			Body: map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}})
		Expect(r.Code).To(Equal(http.StatusCreated), "body: %s", r.Body)
		u.Impersonating(rest.ImpersonationConfig{UserName: "carol"}).Do(Req{Method: http.MethodGet, Path: "/api/v1/namespaces/" + f.NS + "/pods"}).
			Forbidden403(`users "carol" is forbidden: User "impersonator" cannot impersonate resource "users" in API group "" at the cluster scope`)
		u.Impersonating(rest.ImpersonationConfig{UserName: "bob", UID: "u-1"}).Do(Req{Method: http.MethodGet, Path: "/api/v1/namespaces/" + f.NS + "/pods"}).
			Forbidden403(`uids.authentication.k8s.io "u-1" is forbidden: User "impersonator" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope`)
	})

	API("rbac/selfsubjectaccessreviews answer for the requesting user", func(f *F) {
		f.GrantRole("reader", []rbacv1.PolicyRule{Rule(s("get"), s(""), s("pods"))}, UserSubject("reader"))
		u := f.As("reader")
		u.WaitCan(true, PodsAttrs(f.NS, "get", "", ""))
		for _, sub := range []string{"", "ephemeralcontainers"} {
			r := u.Do(Req{Method: http.MethodPost, Path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ContentType: ctJSON,
				Body: map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
					"spec": map[string]any{"resourceAttributes": map[string]any{"namespace": f.NS, "verb": "get", "resource": "pods", "subresource": sub}}}})
			Expect(r.Code).To(Equal(http.StatusCreated), "body: %s", r.Body)
		}
		r := u.Do(Req{Method: http.MethodPost, Path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ContentType: ctJSON,
			Body: map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": map[string]any{}}})
		Expect(r.Code).To(Equal(http.StatusUnprocessableEntity), "body: %s", r.Body)
	})

	API("rbac/subjectaccessreviews name the binding that allows", func(f *F) {
		f.GrantRole("reader", []rbacv1.PolicyRule{Rule(s("get"), s(""), s("pods"))}, UserSubject("reader"))
		f.As("reader").WaitCan(true, PodsAttrs(f.NS, "get", "", ""))
		sar := func(spec map[string]any) *Result {
			return f.Do(Req{Method: http.MethodPost, Path: "/apis/authorization.k8s.io/v1/subjectaccessreviews", ContentType: ctJSON,
				Body: map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec}})
		}
		r := sar(map[string]any{"user": "reader", "resourceAttributes": map[string]any{"namespace": f.NS, "verb": "get", "resource": "pods"}})
		Expect(string(r.Body)).To(ContainSubstring(`"reason":"RBAC: allowed by RoleBinding \"reader/` + f.NS + `\" of Role \"reader\" to User \"reader\""`))
		sar(map[string]any{"user": "reader", "resourceAttributes": map[string]any{"namespace": f.NS, "verb": "patch", "resource": "pods", "subresource": "ephemeralcontainers"}})
		sar(map[string]any{"groups": []string{"system:masters"}, "nonResourceAttributes": map[string]any{"path": "/metrics", "verb": "get"}})
		sar(map[string]any{"user": "anyone", "groups": []string{"system:unauthenticated"}, "nonResourceAttributes": map[string]any{"path": "/version", "verb": "get"}})
		r = sar(map[string]any{"resourceAttributes": map[string]any{"verb": "get", "resource": "pods"}})
		Expect(r.Code).To(Equal(http.StatusUnprocessableEntity), "body: %s", r.Body)
		f.As("reader").Do(Req{Method: http.MethodPost, Path: "/apis/authorization.k8s.io/v1/subjectaccessreviews", ContentType: ctJSON,
			Body: map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
				"spec": map[string]any{"user": "x", "resourceAttributes": map[string]any{"verb": "get", "resource": "pods"}}}}).
			Forbidden403(`subjectaccessreviews.authorization.k8s.io is forbidden: User "reader" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope`)
	})

	API("rbac/localsubjectaccessreviews stay in their namespace", func(f *F) {
		lsar := func(ns, attrNS string) *Result {
			return f.Do(Req{Method: http.MethodPost, Path: "/apis/authorization.k8s.io/v1/namespaces/" + ns + "/localsubjectaccessreviews", ContentType: ctJSON,
				Body: map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "LocalSubjectAccessReview", "metadata": map[string]any{"namespace": attrNS},
					"spec": map[string]any{"user": "nobody", "resourceAttributes": map[string]any{"namespace": attrNS, "verb": "get", "resource": "pods"}}}})
		}
		Expect(lsar(f.NS, f.NS).Code).To(Equal(http.StatusCreated))
		other := lsar(f.NS, "default")
		Expect(other.Code).To(BeNumerically(">=", 400), "body: %s", other.Body)
	})

	API("rbac/selfsubjectrulesreviews list the user's rules", func(f *F) {
		f.GrantRole("ruled", []rbacv1.PolicyRule{{Verbs: s("patch"), APIGroups: s(""), Resources: s("pods/ephemeralcontainers"), ResourceNames: s("p1")}}, UserSubject("ruled"))
		u := f.As("ruled")
		u.WaitCan(true, PodsAttrs(f.NS, "patch", "ephemeralcontainers", "p1"))
		// kube-apiserver visits cluster role bindings in its informer's map
		// order, which changes from call to call: the rules are observed
		// sorted.
		r := u.Do(Req{Method: http.MethodPost, Path: "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", ContentType: ctJSON, NoRecord: true,
			Body: map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": map[string]any{"namespace": f.NS}}})
		Expect(r.Code).To(Equal(http.StatusCreated), "body: %s", r.Body)
		Expect(string(r.Body)).To(ContainSubstring(`"resources":["pods/ephemeralcontainers"],"resourceNames":["p1"]`))
		var srr authorizationv1.SelfSubjectRulesReview
		Expect(json.Unmarshal(r.Body, &srr)).To(Succeed())
		f.Note("rules", map[string]any{"resource": sortedJSON(srr.Status.ResourceRules), "nonResource": sortedJSON(srr.Status.NonResourceRules),
			"incomplete": srr.Status.Incomplete, "evaluationError": srr.Status.EvaluationError, "spec": srr.Spec})
		r = u.Do(Req{Method: http.MethodPost, Path: "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", ContentType: ctJSON,
			Body: map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": map[string]any{}}})
		r.ExpectStatus(http.StatusBadRequest, metav1.StatusReasonBadRequest, "no namespace on request")
	})

	API("rbac/selfsubjectreviews tell users who they are", func(f *F) {
		r := f.As("whoami", "team-a", "team-b").Do(Req{Method: http.MethodPost, Path: "/apis/authentication.k8s.io/v1/selfsubjectreviews", ContentType: ctJSON, NoRecord: true,
			Body: map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}})
		Expect(r.Code).To(Equal(http.StatusCreated), "body: %s", r.Body)
		var ssr authenticationv1.SelfSubjectReview
		Expect(json.Unmarshal(r.Body, &ssr)).To(Succeed())
		Expect(ssr.Status.UserInfo.Username).To(Equal("whoami"))
		Expect(ssr.Status.UserInfo.Groups).To(Equal([]string{"team-a", "team-b", "system:authenticated"}))
		// The credential id is the certificate's fingerprint: note which
		// extras there are, not their values.
		var extras []string
		for k := range ssr.Status.UserInfo.Extra {
			extras = append(extras, k)
		}
		sort.Strings(extras)
		f.Note("selfsubjectreview", map[string]any{"username": ssr.Status.UserInfo.Username, "uid": ssr.Status.UserInfo.UID, "groups": ssr.Status.UserInfo.Groups, "extra": extras})
		// system:basic-user, which grants selfsubjectreviews, is bound to
		// system:authenticated only.
		f.Anonymous().Do(Req{Method: http.MethodPost, Path: "/apis/authentication.k8s.io/v1/selfsubjectreviews", ContentType: ctJSON,
			Body: map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}}).
			Forbidden403(`selfsubjectreviews.authentication.k8s.io is forbidden: User "system:anonymous" cannot create resource "selfsubjectreviews" in API group "authentication.k8s.io" at the cluster scope`)
	})

	API("rbac/tokenreviews reject unknown tokens", func(f *F) {
		r := f.Do(Req{Method: http.MethodPost, Path: "/apis/authentication.k8s.io/v1/tokenreviews", ContentType: ctJSON,
			Body: map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": map[string]any{"token": "not-a-token"}}})
		Expect(r.Code).To(Equal(http.StatusCreated), "body: %s", r.Body)
		Expect(string(r.Body)).To(ContainSubstring(`"error":"invalid bearer token"`))
		r = f.Do(Req{Method: http.MethodPost, Path: "/apis/authentication.k8s.io/v1/tokenreviews", ContentType: ctJSON,
			Body: map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": map[string]any{}}})
		r.ExpectStatus(http.StatusBadRequest, metav1.StatusReasonBadRequest, "token is required for TokenReview in authentication")
	})
})
