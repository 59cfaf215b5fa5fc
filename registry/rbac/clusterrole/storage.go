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

	rbacv1 "k8s.io/api/rbac/v1"
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

// Create refuses rules the user does not hold, and an aggregationRule
// unless the user holds every permission, unless the user is in
// system:masters or may escalate cluster roles (rbacregistry.RoleGuard).
func (r *REST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	return rbacregistry.RoleGuard(r.Authorizer, r.Resolver).Create(ctx, r.Store, obj, createValidation, options)
}

// Update applies the same check to the updated object, the old one's
// aggregationRule included (not to updates that only touch
// garbage-collection fields).
func (r *REST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return rbacregistry.RoleGuard(r.Authorizer, r.Resolver).Update(ctx, r.Store, name, objInfo, createValidation, updateValidation, forceAllowCreate, options)
}
