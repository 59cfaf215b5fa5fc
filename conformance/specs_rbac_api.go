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

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The rbac.authorization.k8s.io/v1 API itself: the bootstrap policy a new
// kube-apiserver writes (post-start hook rbac/bootstrap-roles, from
// plugin/pkg/auth/authorizer/rbac/bootstrappolicy), validation
// (pkg/apis/rbac/validation and the v1.37 declarative rules) and table output.
var _ = Describe("RBAC API", func() {
	rbacPath := "/apis/rbac.authorization.k8s.io/v1"

	// Bootstrap objects that no controller changes: recorded whole (uid,
	// resourceVersion and times are normalized).
	for _, name := range []string{"cluster-admin", "system:basic-user", "system:public-info-viewer", "system:aggregate-to-edit", "system:discovery"} {
		API("rbac/bootstrap cluster role "+name, func(f *F) {
			r := f.Do(Req{Method: http.MethodGet, Path: rbacPath + "/clusterroles/" + name})
			Expect(r.Code).To(Equal(http.StatusOK), "body: %s", r.Body)
			Expect(string(r.Body)).To(ContainSubstring(`"rbac.authorization.kubernetes.io/autoupdate":"true"`))
			Expect(string(r.Body)).To(ContainSubstring(`"kubernetes.io/bootstrapping":"rbac-defaults"`))
		})
	}

	// admin, edit and view aggregate the aggregate-to-* roles; their rules
	// are filled by kube-controller-manager's aggregation controller, so
	// they differ between envtest (null) and a cluster: the scenario records
	// what does not depend on that controller.
	API("rbac/bootstrap aggregated roles admin, edit and view", func(f *F) {
		for _, name := range []string{"admin", "edit", "view"} {
			r := f.Do(Req{Method: http.MethodGet, Path: rbacPath + "/clusterroles/" + name, NoRecord: true})
			Expect(r.Code).To(Equal(http.StatusOK), "body: %s", r.Body)
			var cr struct {
				Metadata        metav1.ObjectMeta `json:"metadata"`
				AggregationRule any               `json:"aggregationRule"`
			}
			Expect(jsonUnmarshal(r.Body, &cr)).To(Succeed())
			f.Note("clusterrole "+name, map[string]any{"labels": cr.Metadata.Labels, "annotations": cr.Metadata.Annotations, "aggregationRule": cr.AggregationRule})
		}
	})

	API("rbac/bootstrap cluster role bindings", func(f *F) {
		for _, name := range []string{"cluster-admin", "system:basic-user", "system:public-info-viewer", "system:discovery"} {
			r := f.Do(Req{Method: http.MethodGet, Path: rbacPath + "/clusterrolebindings/" + name})
			Expect(r.Code).To(Equal(http.StatusOK), "body: %s", r.Body)
		}
	})

	API("rbac/bootstrap roles in kube-system and kube-public", func(f *F) {
		for _, p := range []string{
			"/namespaces/kube-system/roles/extension-apiserver-authentication-reader",
			"/namespaces/kube-system/roles/system::leader-locking-kube-scheduler",
			"/namespaces/kube-public/roles/system:controller:bootstrap-signer",
			"/namespaces/kube-public/rolebindings/system:controller:bootstrap-signer",
		} {
			r := f.Do(Req{Method: http.MethodGet, Path: rbacPath + p})
			Expect(r.Code).To(Equal(http.StatusOK), "%s: %s", p, r.Body)
		}
	})

	API("rbac/role validation", func(f *F) {
		r := f.Do(Req{Method: http.MethodPost, Path: rbacPath + "/namespaces/" + f.NS + "/roles", ContentType: ctJSON, Body: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": map[string]any{"name": "bad"},
			"rules": []any{map[string]any{"resources": []string{"pods"}}, map[string]any{"verbs": []string{"get"}, "nonResourceURLs": []string{"/x"}}}}})
		Expect(r.Code).To(Equal(http.StatusUnprocessableEntity), "body: %s", r.Body)
		Expect(r.Status.Message).To(Equal(`Role.rbac.authorization.k8s.io "bad" is invalid: [rules[0].apiGroups: Required value: resource rules must supply at least one api group, rules[1].nonResourceURLs: Invalid value: ["/x"]: namespaced rules cannot apply to non-resource URLs, rules[0].verbs: Required value]`))
		r = f.Do(Req{Method: http.MethodPost, Path: rbacPath + "/clusterroles", ContentType: ctJSON, Body: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": map[string]any{"name": "a/b"},
			"rules":           []any{map[string]any{"verbs": []string{"get"}, "resources": []string{"pods"}, "apiGroups": []string{""}, "nonResourceURLs": []string{"/x"}}},
			"aggregationRule": map[string]any{"clusterRoleSelectors": []any{}}}})
		Expect(r.Code).To(Equal(http.StatusUnprocessableEntity), "body: %s", r.Body)
	})

	API("rbac/role binding validation", func(f *F) {
		r := f.Do(Req{Method: http.MethodPost, Path: rbacPath + "/namespaces/" + f.NS + "/rolebindings", ContentType: ctJSON, Body: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": map[string]any{"name": "bad"},
			// roleRef.kind stays a known kind: the escalation check runs
			// before validation and cannot resolve another kind (next
			// scenario), and kind's admin is not in system:masters.
			"roleRef": map[string]any{"kind": "Role", "apiGroup": "example.com", "name": ""},
			"subjects": []any{
				map[string]any{"kind": "ServiceAccount", "name": "Bad_SA", "apiGroup": "x"},
				map[string]any{"kind": "User", "name": ""},
				map[string]any{"kind": "Robot", "name": "r"},
			}}})
		Expect(r.Code).To(Equal(http.StatusUnprocessableEntity), "body: %s", r.Body)
		Expect(r.Status.Details.Causes).To(HaveLen(6), "body: %s", r.Body)
		r = f.Do(Req{Method: http.MethodPost, Path: rbacPath + "/clusterrolebindings", ContentType: ctJSON, Body: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": map[string]any{"name": f.ClusterName("bad")},
			"roleRef":  map[string]any{"kind": "Role", "name": "a/b", "apiGroup": "rbac.authorization.k8s.io"},
			"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": "sa"}}}})
		Expect(r.Code).To(Equal(http.StatusUnprocessableEntity), "body: %s", r.Body)
	})

	// The escalation check (pkg/registry/rbac/rolebinding/policybased) runs
	// before validation for anyone outside system:masters: a roleRef of
	// unknown kind cannot be resolved and the create fails with a 500, not
	// the 422 the admin of envtest gets.
	API("rbac/a user's binding to an unknown roleRef kind fails before validation", func(f *F) {
		f.GrantRole("binder", []rbacv1.PolicyRule{Rule(s("create"), s("rbac.authorization.k8s.io"), s("rolebindings"))}, UserSubject("binder"))
		u := f.As("binder")
		u.WaitCan(true, authorizationv1.ResourceAttributes{Namespace: f.NS, Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "rolebindings"})
		r := u.Do(Req{Method: http.MethodPost, Path: rbacPath + "/namespaces/" + f.NS + "/rolebindings", ContentType: ctJSON, Body: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": map[string]any{"name": "odd"},
			"roleRef":  map[string]any{"kind": "Foo", "name": "x"},
			"subjects": []any{map[string]any{"kind": "User", "name": "u"}}}})
		Expect(r.Code).To(Equal(http.StatusInternalServerError), "body: %s", r.Body)
		Expect(r.Status.Message).To(Equal(`unsupported role reference kind: "Foo"`))
	})

	API("rbac/a binding's roleRef cannot change, and defaults are applied", func(f *F) {
		r := f.Do(Req{Method: http.MethodPost, Path: rbacPath + "/namespaces/" + f.NS + "/rolebindings", ContentType: ctJSON, Body: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": map[string]any{"name": "rb"},
			"roleRef":  map[string]any{"kind": "ClusterRole", "name": "view"},
			"subjects": []any{map[string]any{"kind": "User", "name": "u"}, map[string]any{"kind": "ServiceAccount", "name": "sa"}}}})
		Expect(r.Code).To(Equal(http.StatusCreated), "body: %s", r.Body)
		Expect(string(r.Body)).To(ContainSubstring(`"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"}`))
		r = f.Do(Req{Method: http.MethodPatch, Path: rbacPath + "/namespaces/" + f.NS + "/rolebindings/rb", ContentType: ctMerge, Body: `{"roleRef":{"name":"edit"}}`})
		Expect(r.Code).To(Equal(http.StatusUnprocessableEntity), "body: %s", r.Body)
	})

	API("rbac/role bindings as a table", func(f *F) {
		f.GrantRole("tabled", nil, UserSubject("u1"), GroupSubject("g1"), SASubject(f.NS, "sa1"))
		r := f.Do(Req{Method: http.MethodGet, Path: rbacPath + "/namespaces/" + f.NS + "/rolebindings", Accept: "application/json;as=Table;v=v1;g=meta.k8s.io", NoRecord: true})
		Expect(r.Code).To(Equal(http.StatusOK), "body: %s", r.Body)
		var t metav1.Table
		Expect(jsonUnmarshal(r.Body, &t)).To(Succeed())
		Expect(t.Rows).To(HaveLen(1))
		cells := t.Rows[0].Cells
		Expect(cells).To(HaveLen(6))
		cells[2] = "<age>"
		f.Note("columns", t.ColumnDefinitions)
		f.Note("row", cells)
	})
})
