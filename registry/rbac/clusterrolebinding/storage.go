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

// Package clusterrolebinding is the storage of cluster role bindings
// (k8s.io/kubernetes pkg/registry/rbac/clusterrolebinding/storage). It is
// served behind upstream's escalation check (clusterrolebinding/policybased,
// registry/rbac.BindingGuard): a user may bind a cluster role only when
// allowed to "bind" it or when already holding all its permissions
// cluster-wide.
package clusterrolebinding

import (
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

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
