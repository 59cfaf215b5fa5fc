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

package rbac

import (
	"context"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

// The rule-matching cases kube-apiserver answers this way (checked on a real
// server by the conformance group rbac/; hack/bootstrappolicy/difftest
// compares the evaluation with upstream's on random policies).
func TestRuleAllows(t *testing.T) {
	pods := func(verb, sub, name string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{Verb: verb, Resource: "pods", Subresource: sub, Name: name, ResourceRequest: true}
	}
	cases := []struct {
		name  string
		rule  rbacv1.PolicyRule
		attrs authorizer.AttributesRecord
		want  bool
	}{
		{"exact subresource", rbacv1.PolicyRule{Verbs: []string{"patch"}, APIGroups: []string{""}, Resources: []string{"pods/ephemeralcontainers"}}, pods("patch", "ephemeralcontainers", "p"), true},
		{"resource does not grant subresource", rbacv1.PolicyRule{Verbs: []string{"patch"}, APIGroups: []string{""}, Resources: []string{"pods"}}, pods("patch", "ephemeralcontainers", "p"), false},
		{"pods/* is no wildcard", rbacv1.PolicyRule{Verbs: []string{"patch"}, APIGroups: []string{""}, Resources: []string{"pods/*"}}, pods("patch", "ephemeralcontainers", "p"), false},
		{"*/subresource", rbacv1.PolicyRule{Verbs: []string{"patch"}, APIGroups: []string{""}, Resources: []string{"*/ephemeralcontainers"}}, pods("patch", "ephemeralcontainers", "p"), true},
		{"* resource", rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}, pods("update", "ephemeralcontainers", "p"), true},
		{"patch is not update", rbacv1.PolicyRule{Verbs: []string{"patch"}, APIGroups: []string{""}, Resources: []string{"pods/ephemeralcontainers"}}, pods("update", "ephemeralcontainers", "p"), false},
		{"resourceNames match", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}, ResourceNames: []string{"p"}}, pods("get", "", "p"), true},
		{"resourceNames refuse list", rbacv1.PolicyRule{Verbs: []string{"list"}, APIGroups: []string{""}, Resources: []string{"pods"}, ResourceNames: []string{"p"}}, pods("list", "", ""), false},
		{"wrong group", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{"apps"}, Resources: []string{"pods"}}, pods("get", "", "p"), false},
		{"non-resource prefix", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz*"}}, authorizer.AttributesRecord{Verb: "get", Path: "/healthz/etcd"}, true},
		{"non-resource exact", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/version"}}, authorizer.AttributesRecord{Verb: "get", Path: "/version/"}, false},
	}
	for _, c := range cases {
		if got := RuleAllows(c.attrs, &c.rule); got != c.want {
			t.Errorf("%s: RuleAllows = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestAuthorizerReasonsAndIndex(t *testing.T) {
	x := NewIndex()
	x.Apply(watch.Added, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "debug", Namespace: "ns"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"patch"}, APIGroups: []string{""}, Resources: []string{"pods/ephemeralcontainers"}}}})
	x.Apply(watch.Added, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "ns"},
		RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "debug"}, Subjects: []rbacv1.Subject{{Kind: "Group", Name: "debuggers"}}})
	x.Apply(watch.Added, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns"},
		RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "missing"}, Subjects: []rbacv1.Subject{{Kind: "User", Name: "alice"}}})
	a := Authorizer{Resolver: Resolver{Policy: x}}
	attrs := authorizer.AttributesRecord{User: &user.DefaultInfo{Name: "alice", Groups: []string{"debuggers"}}, Verb: "patch", Namespace: "ns",
		Resource: "pods", Subresource: "ephemeralcontainers", Name: "p", ResourceRequest: true}
	d, reason, err := a.Authorize(context.Background(), attrs)
	if d != authorizer.DecisionAllow || err != nil || reason != `RBAC: allowed by RoleBinding "b/ns" of Role "debug" to Group "debuggers"` {
		t.Errorf("Authorize = %v %q %v", d, reason, err)
	}
	attrs.Verb = "update"
	d, reason, _ = a.Authorize(context.Background(), attrs)
	if d != authorizer.DecisionNoOpinion || reason != `RBAC: clusterrole.rbac.authorization.k8s.io "missing" not found` {
		t.Errorf("Authorize = %v %q", d, reason)
	}
	x.Apply(watch.Deleted, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "ns"}})
	attrs.Verb = "patch"
	if d, _, _ := a.Authorize(context.Background(), attrs); d != authorizer.DecisionNoOpinion {
		t.Errorf("after deleting the binding: %v", d)
	}
}

func TestConfirmNoEscalationMessage(t *testing.T) {
	x := NewIndex()
	ctx := genericapirequest.WithNamespace(genericapirequest.WithUser(context.Background(), &user.DefaultInfo{Name: "bob", Groups: []string{"system:authenticated"}}), "ns")
	err := ConfirmNoEscalation(ctx, Resolver{Policy: x}, []rbacv1.PolicyRule{
		{Verbs: []string{"patch", "update"}, APIGroups: []string{""}, Resources: []string{"pods/ephemeralcontainers"}},
		{Verbs: []string{"get"}, NonResourceURLs: []string{"/metrics"}},
	})
	want := "user \"bob\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n" +
		"{APIGroups:[\"\"], Resources:[\"pods/ephemeralcontainers\"], Verbs:[\"patch\" \"update\"]}\n" +
		"{NonResourceURLs:[\"/metrics\"], Verbs:[\"get\"]}"
	if err == nil || err.Error() != want {
		t.Errorf("ConfirmNoEscalation = %v, want %s", err, want)
	}
}
