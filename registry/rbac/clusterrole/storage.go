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

// Package clusterrole is the REST storage of cluster roles (k8s.io/kubernetes pkg/registry/
// rbac/clusterrole/storage) behind upstream's escalation check (clusterrole/policybased):
// a user who may not "escalate" cluster roles can only create or update one
// whose rules they already hold cluster-wide, and only a user holding every
// permission may set an aggregationRule.
package clusterrole

import (
	"context"
	"errors"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	authzrbac "github.com/ephemera-dev/ephemera/authorization/rbac"
	rbacregistry "github.com/ephemera-dev/ephemera/registry/rbac"
	strategy "github.com/ephemera-dev/ephemera/strategy/rbac"
)

// NewStore returns the plain storage of cluster roles.
func NewStore(optsGetter generic.RESTOptionsGetter, typer runtime.ObjectTyper) (*genericregistry.Store, error) {
	s := strategy.NewClusterRoleStrategy(typer)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &rbacv1.ClusterRole{} },
		NewListFunc:               func() runtime.Object { return &rbacv1.ClusterRoleList{} },
		DefaultQualifiedResource:  rbacv1.Resource("clusterroles"),
		SingularQualifiedResource: rbacv1.Resource("clusterrole"),
		CreateStrategy:            s,
		UpdateStrategy:            s,
		DeleteStrategy:            s,
		Decorator:                 rbacregistry.ListItemsWithoutKind,
		// No printer upstream: the default columns, NAME and CREATED AT.
		TableConvertor: rest.NewDefaultTableConvertor(rbacv1.Resource("clusterroles")),
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter}); err != nil {
		return nil, err
	}
	return store, nil
}

// REST is the served storage: the store with the escalation check.
type REST struct {
	*genericregistry.Store
	Authorizer authorizer.UnconditionalAuthorizer
	Resolver   authzrbac.Resolver
}

// Create refuses rules the user does not hold, unless the user is in
// system:masters or may escalate roles.
func (r *REST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	if rbacregistry.EscalationAllowed(ctx) || rbacregistry.RoleEscalationAuthorized(ctx, r.Authorizer) {
		return r.Store.Create(ctx, obj, createValidation, options)
	}
	role := obj.(*rbacv1.ClusterRole)
	if err := r.check(ctx, role, nil); err != nil {
		return nil, err
	}
	return r.Store.Create(ctx, obj, createValidation, options)
}

// Update applies the same check to the updated object (not to updates that
// only touch garbage-collection fields).
func (r *REST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	if rbacregistry.EscalationAllowed(ctx) || rbacregistry.RoleEscalationAuthorized(ctx, r.Authorizer) {
		return r.Store.Update(ctx, name, objInfo, createValidation, updateValidation, forceAllowCreate, options)
	}
	checked := rest.WrapUpdatedObjectInfo(objInfo, func(ctx context.Context, obj, old runtime.Object) (runtime.Object, error) {
		if rbacregistry.IsOnlyMutatingGCFields(obj, old) {
			return obj, nil
		}
		if err := r.check(ctx, obj.(*rbacv1.ClusterRole), old.(*rbacv1.ClusterRole)); err != nil {
			return nil, err
		}
		return obj, nil
	})
	return r.Store.Update(ctx, name, checked, createValidation, updateValidation, forceAllowCreate, options)
}

// fullAuthority is every permission: what an aggregationRule may gather.
var fullAuthority = []rbacv1.PolicyRule{
	{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
	{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
}

// check is upstream's policybased check: the rules must be held, and setting
// or changing an aggregationRule needs every permission.
func (r *REST) check(ctx context.Context, role, old *rbacv1.ClusterRole) error {
	if err := authzrbac.ConfirmNoEscalation(ctx, r.Resolver, role.Rules); err != nil {
		return apierrors.NewForbidden(rbacv1.Resource("clusterroles"), role.Name, err)
	}
	if hasAggregationRule(role) || (old != nil && hasAggregationRule(old)) {
		if err := authzrbac.ConfirmNoEscalation(ctx, r.Resolver, fullAuthority); err != nil {
			return apierrors.NewForbidden(rbacv1.Resource("clusterroles"), role.Name, errors.New("must have cluster-admin privileges to use the aggregationRule"))
		}
	}
	return nil
}

func hasAggregationRule(role *rbacv1.ClusterRole) bool {
	return role.AggregationRule != nil && len(role.AggregationRule.ClusterRoleSelectors) > 0
}
