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
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Rule builds a policy rule: verbs on resources of the API groups.
func Rule(verbs, groups, resources []string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources}
}

// s is a shorthand for a string list.
func s(v ...string) []string { return v }

// UserSubject, GroupSubject and SASubject name binding subjects.
func UserSubject(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}
func GroupSubject(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}
func SASubject(namespace, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: name}
}

// GrantRole creates, as the admin, the Role name in the scenario's namespace
// with rules and a RoleBinding of the same name to subjects.
func (f *F) GrantRole(name string, rules []rbacv1.PolicyRule, subjects ...rbacv1.Subject) {
	GinkgoHelper()
	f.grantIn(f.NS, name, rules, subjects...)
}

func (f *F) grantIn(ns, name string, rules []rbacv1.PolicyRule, subjects ...rbacv1.Subject) {
	GinkgoHelper()
	_, err := f.Client.RbacV1().Roles(ns).Create(f.Ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	f.BindRole(ns, name, rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name}, subjects...)
	f.waitGranted(ns, rules, subjects)
}

// waitGranted waits (5 s at most) until the authorizer allows each subject
// the first request the first resource rule describes, in namespace ns ("":
// cluster-wide). RBAC authorizers read roles and bindings from informers,
// kube-apiserver's and Ephemera's alike, so a grant takes effect a moment
// after its binding is stored; a scenario that acts at once as the subject
// would race that moment (seen on a loaded machine as a 403 right after the
// grant). The reviews are probes (probeClient): not the scenario's requests,
// left out of its observations and audit comparison. A grant that never
// shows is left for the scenario's own assertions to judge.
func (f *F) waitGranted(ns string, rules []rbacv1.PolicyRule, subjects []rbacv1.Subject) {
	GinkgoHelper()
	var attrs *authorizationv1.ResourceAttributes
	for _, r := range rules {
		if len(r.Verbs) == 0 || len(r.APIGroups) == 0 || len(r.Resources) == 0 {
			continue
		}
		resource, subresource, _ := strings.Cut(r.Resources[0], "/")
		attrs = &authorizationv1.ResourceAttributes{Namespace: ns, Verb: r.Verbs[0], Group: r.APIGroups[0],
			Resource: resource, Subresource: subresource}
		if len(r.ResourceNames) > 0 {
			attrs.Name = r.ResourceNames[0]
		}
		break
	}
	if attrs == nil {
		return
	}
	c := f.probeClient()
	for _, s := range subjects {
		spec := authorizationv1.SubjectAccessReviewSpec{ResourceAttributes: attrs}
		switch s.Kind {
		case rbacv1.UserKind:
			spec.User = s.Name
		case rbacv1.GroupKind:
			spec.Groups = []string{s.Name}
		case rbacv1.ServiceAccountKind:
			// A RoleBinding's subject without a namespace is the service
			// account of the binding's namespace (pkg/registry/rbac/
			// validation/rule.go, appliesToUser).
			saNS := s.Namespace
			if saNS == "" {
				saNS = ns
			}
			spec.User = "system:serviceaccount:" + saNS + ":" + s.Name
			spec.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + saNS}
		default:
			continue
		}
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			r, err := c.AuthorizationV1().SubjectAccessReviews().Create(f.Ctx, &authorizationv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
			if err == nil && r.Status.Allowed {
				break
			}
		}
	}
}

// BindRole creates, as the admin, a RoleBinding in ns.
func (f *F) BindRole(ns, name string, ref rbacv1.RoleRef, subjects ...rbacv1.Subject) {
	GinkgoHelper()
	_, err := f.Client.RbacV1().RoleBindings(ns).Create(f.Ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, RoleRef: ref, Subjects: subjects}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
}

// ClusterName is a cluster-scoped name unique to the scenario: the
// namespace's name (normalized to <ns> in observations) and a suffix.
func (f *F) ClusterName(suffix string) string { return f.NS + "-" + suffix }

// GrantClusterRole creates, as the admin, the ClusterRole f.ClusterName(suffix)
// with rules and a ClusterRoleBinding of the same name to subjects; both are
// deleted when the scenario ends (clusters such as kind are shared).
func (f *F) GrantClusterRole(suffix string, rules []rbacv1.PolicyRule, subjects ...rbacv1.Subject) string {
	GinkgoHelper()
	name := f.CreateClusterRole(suffix, rules)
	f.BindClusterRole(suffix, name, subjects...)
	f.waitGranted("", rules, subjects)
	return name
}

// CreateClusterRole creates, as the admin, a cluster role deleted at the end.
func (f *F) CreateClusterRole(suffix string, rules []rbacv1.PolicyRule) string {
	GinkgoHelper()
	name := f.ClusterName(suffix)
	_, err := f.Client.RbacV1().ClusterRoles().Create(f.Ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	f.DeleteClusterRoleAtEnd(name)
	return name
}

// DeleteClusterRoleAtEnd deletes the cluster role name when the scenario ends.
func (f *F) DeleteClusterRoleAtEnd(name string) {
	client := f.Client
	DeferCleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.RbacV1().ClusterRoles().Delete(ctx, name, metav1.DeleteOptions{})
	})
}

// BindClusterRole creates, as the admin, the ClusterRoleBinding
// f.ClusterName(suffix) of role, deleted at the end.
func (f *F) BindClusterRole(suffix, role string, subjects ...rbacv1.Subject) {
	GinkgoHelper()
	name := f.ClusterName(suffix)
	_, err := f.Client.RbacV1().ClusterRoleBindings().Create(f.Ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   subjects,
	}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	f.DeleteClusterRoleBindingAtEnd(name)
}

// DeleteClusterRoleBindingAtEnd deletes a cluster role binding when the
// scenario ends.
func (f *F) DeleteClusterRoleBindingAtEnd(name string) {
	client := f.Client
	DeferCleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.RbacV1().ClusterRoleBindings().Delete(ctx, name, metav1.DeleteOptions{})
	})
}

// OtherNamespace creates a second namespace for the scenario, deleted at the
// end (without waiting: envtest has no namespace controller).
func (f *F) OtherNamespace() string {
	GinkgoHelper()
	ns := f.NS + "-other"
	_, err := f.Client.CoreV1().Namespaces().Create(f.Ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	client := f.Client
	DeferCleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	})
	return ns
}

// PodsAttrs describes verb on pods (or pods/sub) in ns, named name.
func PodsAttrs(ns, verb, sub, name string) authorizationv1.ResourceAttributes {
	return authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Resource: "pods", Subresource: sub, Name: name}
}

// Forbidden403 asserts a 403 Forbidden with message.
func (r *Result) Forbidden403(message string) {
	GinkgoHelper()
	r.ExpectStatus(http.StatusForbidden, metav1.StatusReasonForbidden, message)
}

// cannot is the message of the authorization filter's 403
// (k8s.io/apiserver/pkg/endpoints/handlers/responsewriters, forbiddenMessage).
func cannot(user, verb, resource, group, ns string) string {
	scope := "at the cluster scope"
	if ns != "" {
		scope = fmt.Sprintf("in the namespace %q", ns)
	}
	return fmt.Sprintf("User %q cannot %s resource %q in API group %q %s", user, verb, resource, group, scope)
}

// ecContainer is a minimal ephemeral container for typed updates.
func ecContainer(name string) corev1.EphemeralContainer {
	return corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: name, Image: testImage()}}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// sortedJSON renders each element as JSON and sorts the renderings.
func sortedJSON[T any](items []T) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		b, _ := json.Marshal(it)
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}
