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

// Package role is the REST storage of roles (k8s.io/kubernetes pkg/registry/
// rbac/role/storage) behind upstream's escalation check (role/policybased):
// a user who may not "escalate" roles can only create or update a role whose
// rules they already hold in that namespace.
package role

import (
	"context"

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

// NewStore returns the plain storage of roles.
func NewStore(optsGetter generic.RESTOptionsGetter, typer runtime.ObjectTyper) (*genericregistry.Store, error) {
	s := strategy.NewRoleStrategy(typer)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &rbacv1.Role{} },
		NewListFunc:               func() runtime.Object { return &rbacv1.RoleList{} },
		DefaultQualifiedResource:  rbacv1.Resource("roles"),
		SingularQualifiedResource: rbacv1.Resource("role"),
		CreateStrategy:            s,
		UpdateStrategy:            s,
		DeleteStrategy:            s,
		Decorator:                 rbacregistry.ListItemsWithoutKind,
		// No printer upstream: the default columns, NAME and CREATED AT.
		TableConvertor: rest.NewDefaultTableConvertor(rbacv1.Resource("roles")),
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
	role := obj.(*rbacv1.Role)
	if err := authzrbac.ConfirmNoEscalation(ctx, r.Resolver, role.Rules); err != nil {
		return nil, apierrors.NewForbidden(rbacv1.Resource("roles"), role.Name, err)
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
		role := obj.(*rbacv1.Role)
		if err := authzrbac.ConfirmNoEscalation(ctx, r.Resolver, role.Rules); err != nil {
			return nil, apierrors.NewForbidden(rbacv1.Resource("roles"), role.Name, err)
		}
		return obj, nil
	})
	return r.Store.Update(ctx, name, checked, createValidation, updateValidation, forceAllowCreate, options)
}
