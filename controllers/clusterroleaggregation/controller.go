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

// Package clusterroleaggregation is kube-controller-manager's cluster-role
// aggregation controller (pkg/controller/clusterroleaggregation): a
// ClusterRole with an aggregationRule gets, as its rules, the rules of every
// other ClusterRole its selectors match (in name order, duplicates dropped),
// written by server-side apply with the field manager
// "clusterrole-aggregation-controller". This is what fills the bootstrap
// admin, edit and view roles, which kube-apiserver alone leaves with
// `rules: null`.
package clusterroleaggregation

import (
	"context"
	"sort"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	rbaclisters "k8s.io/client-go/listers/rbac/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/ephemera-dev/ephemera/internal/reconcile"
)

// Upstream's names.
const (
	Name         = "clusterrole-aggregation-controller"
	FieldManager = "clusterrole-aggregation-controller"
)

// Controller aggregates cluster roles.
type Controller struct {
	client kubernetes.Interface
	roles  rbaclisters.ClusterRoleLister
	synced cache.InformerSynced
	loop   *reconcile.Loop
}

// New wires the controller to the factory's cluster-role informer.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) *Controller {
	informer := factory.Rbac().V1().ClusterRoles()
	c := &Controller{client: client, roles: informer.Lister(), synced: informer.Informer().HasSynced}
	c.loop = reconcile.New(Name, c.sync)
	// As upstream: any change may change any aggregation (the dependency
	// graph is not known), so every aggregated role is queued each time.
	enqueue := func(interface{}) { c.enqueueAll() }
	_, _ = informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj interface{}) { enqueue(obj) },
		DeleteFunc: enqueue,
	})
	return c
}

// Run works until ctx ends.
func (c *Controller) Run(ctx context.Context) { c.loop.Run(ctx, 1, c.synced) }

func (c *Controller) enqueueAll() {
	all, err := c.roles.List(labels.Everything())
	if err != nil {
		return
	}
	for _, cr := range all {
		if cr.AggregationRule != nil {
			c.loop.Add(cr.Name)
		}
	}
}

// sync mirrors syncClusterRole.
func (c *Controller) sync(ctx context.Context, name string) (time.Duration, error) {
	shared, err := c.roles.Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if shared.AggregationRule == nil {
		return 0, nil
	}
	rules := []rbacv1.PolicyRule{}
	for i := range shared.AggregationRule.ClusterRoleSelectors {
		selector, err := metav1.LabelSelectorAsSelector(&shared.AggregationRule.ClusterRoleSelectors[i])
		if err != nil {
			return 0, err
		}
		matched, err := c.roles.List(selector)
		if err != nil {
			return 0, err
		}
		sort.Slice(matched, func(a, b int) bool { return matched[a].Name < matched[b].Name })
		for _, cr := range matched {
			if cr.Name == shared.Name {
				continue
			}
			for _, rule := range cr.Rules {
				if !ruleExists(rules, rule) {
					rules = append(rules, rule)
				}
			}
		}
	}
	if equality.Semantic.DeepEqual(rules, shared.Rules) {
		return 0, nil
	}
	apply := rbacv1ac.ClusterRole(name)
	for _, rule := range rules {
		r := rbacv1ac.PolicyRule()
		r.Resources, r.ResourceNames, r.APIGroups, r.NonResourceURLs, r.Verbs = rule.Resources, rule.ResourceNames, rule.APIGroups, rule.NonResourceURLs, rule.Verbs
		apply.WithRules(r)
	}
	_, err = c.client.RbacV1().ClusterRoles().Apply(ctx, apply, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	return 0, err
}

func ruleExists(haystack []rbacv1.PolicyRule, needle rbacv1.PolicyRule) bool {
	for _, r := range haystack {
		if equality.Semantic.DeepEqual(r, needle) {
			return true
		}
	}
	return false
}
