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
	"errors"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	authzrbac "github.com/ephemera-dev/ephemera/authorization/rbac"
)

// Guard is the escalation check upstream's policybased storages
// (pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/
// policybased) put in front of a store's Create and Update: unless Skip lets
// the request through, Check must accept the object (old is the stored one
// on update, nil on create). An update that changes nothing but the
// garbage-collection fields is not checked.
type Guard struct {
	Skip  func(ctx context.Context) bool
	Check func(ctx context.Context, obj, old runtime.Object) error
}

// Create checks obj, then creates it in store.
func (g Guard) Create(ctx context.Context, store *genericregistry.Store, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	if !g.Skip(ctx) {
		if err := g.Check(ctx, obj, nil); err != nil {
			return nil, err
		}
	}
	return store.Create(ctx, obj, createValidation, options)
}

// Update checks the updated object, then stores it.
func (g Guard) Update(ctx context.Context, store *genericregistry.Store, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	if !g.Skip(ctx) {
		objInfo = rest.WrapUpdatedObjectInfo(objInfo, func(ctx context.Context, obj, old runtime.Object) (runtime.Object, error) {
			if IsOnlyMutatingGCFields(obj, old) {
				return obj, nil
			}
			if err := g.Check(ctx, obj, old); err != nil {
				return nil, err
			}
			return obj, nil
		})
	}
	return store.Update(ctx, name, objInfo, createValidation, updateValidation, forceAllowCreate, options)
}

// GuardedREST is the served storage of an RBAC resource: its store, with
// Guard in front of Create and Update.
type GuardedREST struct {
	*genericregistry.Store
	Guard Guard
}

// Create implements rest.Creater through the guard.
func (r *GuardedREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	return r.Guard.Create(ctx, r.Store, obj, createValidation, options)
}

// Update implements rest.Updater through the guard.
func (r *GuardedREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.Guard.Update(ctx, r.Store, name, objInfo, createValidation, updateValidation, forceAllowCreate, options)
}

// RoleGuard guards roles and cluster roles: members of system:masters and
// users who may "escalate" them pass; anyone else may only write rules they
// already hold (where the role applies), and setting or changing a cluster
// role's aggregationRule needs every permission.
func RoleGuard(a authorizer.UnconditionalAuthorizer, resolver authzrbac.Resolver) Guard {
	return Guard{
		Skip: func(ctx context.Context) bool { return EscalationAllowed(ctx) || RoleEscalationAuthorized(ctx, a) },
		Check: func(ctx context.Context, obj, old runtime.Object) error {
			resource, name, rules, aggregates := "roles", "", []rbacv1.PolicyRule(nil), false
			switch r := obj.(type) {
			case *rbacv1.Role:
				name, rules = r.Name, r.Rules
			case *rbacv1.ClusterRole:
				resource, name, rules = "clusterroles", r.Name, r.Rules
				oldRole, _ := old.(*rbacv1.ClusterRole)
				aggregates = hasAggregationRule(r) || (oldRole != nil && hasAggregationRule(oldRole))
			}
			if err := authzrbac.ConfirmNoEscalation(ctx, resolver, rules); err != nil {
				return apierrors.NewForbidden(rbacv1.Resource(resource), name, err)
			}
			if aggregates {
				if err := authzrbac.ConfirmNoEscalation(ctx, resolver, fullAuthority); err != nil {
					return apierrors.NewForbidden(rbacv1.Resource(resource), name, errors.New("must have cluster-admin privileges to use the aggregationRule"))
				}
			}
			return nil
		},
	}
}

// fullAuthority is every permission: what an aggregationRule may gather.
var fullAuthority = []rbacv1.PolicyRule{
	{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
	{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
}

func hasAggregationRule(role *rbacv1.ClusterRole) bool {
	return role.AggregationRule != nil && len(role.AggregationRule.ClusterRoleSelectors) > 0
}

// BindingGuard guards role bindings and cluster role bindings: members of
// system:masters pass; anyone else must be allowed to "bind" the role
// referenced, or hold all its rules (in the request's namespace for a role
// binding, whose object may not name it yet; cluster-wide otherwise).
func BindingGuard(a authorizer.UnconditionalAuthorizer, resolver authzrbac.Resolver) Guard {
	return Guard{
		Skip: EscalationAllowed,
		Check: func(ctx context.Context, obj, _ runtime.Object) error {
			resource, name, ref, namespace := "clusterrolebindings", "", rbacv1.RoleRef{}, metav1.NamespaceNone
			switch b := obj.(type) {
			case *rbacv1.RoleBinding:
				ns, ok := genericapirequest.NamespaceFrom(ctx)
				if !ok {
					return apierrors.NewBadRequest("namespace is required")
				}
				resource, name, ref, namespace = "rolebindings", b.Name, b.RoleRef, ns
			case *rbacv1.ClusterRoleBinding:
				name, ref = b.Name, b.RoleRef
			}
			if BindingAuthorized(ctx, ref, namespace, a) {
				return nil
			}
			rules, err := resolver.RoleReferenceRules(ctx, ref, namespace)
			if err != nil {
				return err
			}
			if err := authzrbac.ConfirmNoEscalation(ctx, resolver, rules); err != nil {
				return apierrors.NewForbidden(rbacv1.Resource(resource), name, err)
			}
			return nil
		},
	}
}
