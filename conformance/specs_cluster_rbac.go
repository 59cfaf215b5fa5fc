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
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var _ = Describe("cluster: cluster-role aggregation", func() {
	// kube-controller-manager fills the bootstrap admin, edit and view
	// roles (kube-apiserver alone leaves them `rules: null`).
	Cluster("cluster/the bootstrap admin, edit and view roles are aggregated", func(f *F) {
		for _, name := range []string{"admin", "edit", "view"} {
			var cr *rbacv1.ClusterRole
			f.eventually(func(g Gomega) {
				var err error
				cr, err = f.Client.RbacV1().ClusterRoles().Get(f.Ctx, name, metav1.GetOptions{})
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(cr.Rules).NotTo(BeEmpty())
			})
			pods := false
			for _, r := range cr.Rules {
				for _, res := range r.Resources {
					if res == "pods" && len(r.APIGroups) == 1 && r.APIGroups[0] == "" {
						pods = true
					}
				}
			}
			var managers []string
			for _, m := range cr.ManagedFields {
				managers = append(managers, m.Manager)
			}
			f.ClusterNote("clusterrole "+name, map[string]any{"grantsPods": pods, "managers": managers})
		}
	})

	Cluster("cluster/an aggregated cluster role follows the roles its selector matches", func(f *F) {
		label := "ephemera.dev/aggregate-" + f.NS
		name := f.ClusterName("aggregated")
		_, err := f.Client.RbacV1().ClusterRoles().Create(f.Ctx, &rbacv1.ClusterRole{
			ObjectMeta:      metav1.ObjectMeta{Name: name},
			AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{label: "true"}}}},
		}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		f.DeleteClusterRoleAtEnd(name)
		part := func(suffix string, rules ...rbacv1.PolicyRule) {
			GinkgoHelper()
			n := f.ClusterName(suffix)
			_, err := f.Client.RbacV1().ClusterRoles().Create(f.Ctx, &rbacv1.ClusterRole{
				ObjectMeta: metav1.ObjectMeta{Name: n, Labels: map[string]string{label: "true"}}, Rules: rules,
			}, metav1.CreateOptions{})
			Expect(err).NotTo(HaveOccurred())
			f.DeleteClusterRoleAtEnd(n)
		}
		pods := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}
		logs := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}}
		ecs := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/ephemeralcontainers"}, Verbs: []string{"patch"}}
		// b before a: the aggregation orders the parts by name and drops
		// the rule they share.
		part("part-b", ecs, pods)
		part("part-a", pods, logs)
		rules := func() []rbacv1.PolicyRule {
			var cr *rbacv1.ClusterRole
			f.eventually(func(g Gomega) {
				var err error
				cr, err = f.Client.RbacV1().ClusterRoles().Get(f.Ctx, name, metav1.GetOptions{})
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(cr.Rules).To(HaveLen(3))
			})
			var managers []string
			for _, m := range cr.ManagedFields {
				managers = append(managers, m.Manager+"/"+string(m.Operation))
			}
			f.ClusterNote("aggregated", map[string]any{"rules": cr.Rules, "managers": managers})
			return cr.Rules
		}
		Expect(rules()).To(Equal([]rbacv1.PolicyRule{pods, logs, ecs}))
		Expect(f.Client.RbacV1().ClusterRoles().Delete(f.Ctx, f.ClusterName("part-a"), metav1.DeleteOptions{})).To(Succeed())
		f.eventually(func(g Gomega) {
			cr, err := f.Client.RbacV1().ClusterRoles().Get(f.Ctx, name, metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(cr.Rules).To(Equal([]rbacv1.PolicyRule{ecs, pods}))
		})
		f.ClusterNote("after a part is deleted", "rules [ecs, pods]")
	})
})
