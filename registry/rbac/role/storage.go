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

// Package role is the storage of roles (k8s.io/kubernetes pkg/registry/
// rbac/role/storage). It is served behind upstream's escalation check
// (role/policybased, registry/rbac.RoleGuard): a user who may not
// "escalate" roles can only create or update a role whose rules they already
// hold in that namespace.
package role

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

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
		// No printer upstream: the default columns, NAME and CREATED AT.
		TableConvertor: rest.NewDefaultTableConvertor(rbacv1.Resource("roles")),
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter}); err != nil {
		return nil, err
	}
	return store, nil
}
