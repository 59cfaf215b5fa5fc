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

// Package clusterrolebinding is the REST storage of cluster role bindings
// (k8s.io/kubernetes pkg/registry/rbac/clusterrolebinding/storage) behind
// upstream's escalation check (clusterrolebinding/policybased): a user may
// bind a cluster role only when allowed to "bind" it or when already holding
// all its permissions cluster-wide.
package clusterrolebinding

import (
	"context"
	"fmt"

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
	"github.com/ephemera-dev/ephemera/registry/rbac/rolebinding"
	"github.com/ephemera-dev/ephemera/registry/table"
	strategy "github.com/ephemera-dev/ephemera/strategy/rbac"
)

// NewStore returns the plain storage of cluster role bindings.
func NewStore(optsGetter generic.RESTOptionsGetter, typer runtime.ObjectTyper) (*genericregistry.Store, error) {
	s := strategy.NewClusterRoleBindingStrategy(typer)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &rbacv1.ClusterRoleBinding{} },
		NewListFunc:               func() runtime.Object { return &rbacv1.ClusterRoleBindingList{} },
		DefaultQualifiedResource:  rbacv1.Resource("clusterrolebindings"),
		SingularQualifiedResource: rbacv1.Resource("clusterrolebinding"),
		CreateStrategy:            s,
		UpdateStrategy:            s,
		DeleteStrategy:            s,
		Decorator:                 rbacregistry.ListItemsWithoutKind,
		TableConvertor:            table.Convertor{Columns: rolebinding.Columns("clusterRoleBinding"), Row: row},
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter}); err != nil {
		return nil, err
	}
	return store, nil
}

func row(obj runtime.Object) ([]interface{}, []metav1.TableRowCondition, error) {
	b, ok := obj.(*rbacv1.ClusterRoleBinding)
	if !ok {
		return nil, nil, fmt.Errorf("expected *v1.ClusterRoleBinding, got %T", obj)
	}
	return rolebinding.Cells(b.Name, b.RoleRef, b.CreationTimestamp, b.Subjects), nil, nil
}

// REST is the served storage: the store with the escalation check.
type REST struct {
	*genericregistry.Store
	Authorizer authorizer.UnconditionalAuthorizer
	Resolver   authzrbac.Resolver
}

// Create refuses a binding to a cluster role whose permissions the user
// neither may bind nor holds, unless the user is in system:masters.
func (r *REST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	if rbacregistry.EscalationAllowed(ctx) {
		return r.Store.Create(ctx, obj, createValidation, options)
	}
	if err := r.check(ctx, obj.(*rbacv1.ClusterRoleBinding)); err != nil {
		return nil, err
	}
	return r.Store.Create(ctx, obj, createValidation, options)
}

// Update applies the same check to the updated object.
func (r *REST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	if rbacregistry.EscalationAllowed(ctx) {
		return r.Store.Update(ctx, name, objInfo, createValidation, updateValidation, forceAllowCreate, options)
	}
	checked := rest.WrapUpdatedObjectInfo(objInfo, func(ctx context.Context, obj, old runtime.Object) (runtime.Object, error) {
		if rbacregistry.IsOnlyMutatingGCFields(obj, old) {
			return obj, nil
		}
		if err := r.check(ctx, obj.(*rbacv1.ClusterRoleBinding)); err != nil {
			return nil, err
		}
		return obj, nil
	})
	return r.Store.Update(ctx, name, checked, createValidation, updateValidation, forceAllowCreate, options)
}

func (r *REST) check(ctx context.Context, b *rbacv1.ClusterRoleBinding) error {
	if rbacregistry.BindingAuthorized(ctx, b.RoleRef, metav1.NamespaceNone, r.Authorizer) {
		return nil
	}
	rules, err := r.Resolver.RoleReferenceRules(ctx, b.RoleRef, metav1.NamespaceNone)
	if err != nil {
		return err
	}
	if err := authzrbac.ConfirmNoEscalation(ctx, r.Resolver, rules); err != nil {
		return apierrors.NewForbidden(rbacv1.Resource("clusterrolebindings"), b.Name, err)
	}
	return nil
}
