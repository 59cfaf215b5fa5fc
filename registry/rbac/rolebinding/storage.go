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

// Package rolebinding is the storage of role bindings (k8s.io/kubernetes
// pkg/registry/rbac/rolebinding/storage) and the table columns bindings
// share. It is served behind upstream's escalation check
// (rolebinding/policybased, registry/rbac.BindingGuard): a user may bind a
// role only when allowed to "bind" it or when already holding all its
// permissions in the namespace.
package rolebinding

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	rbacv1beta1 "k8s.io/api/rbac/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/ephemera-dev/ephemera/registry/table"
	strategy "github.com/ephemera-dev/ephemera/strategy/rbac"
)

// NewStore returns the plain storage of role bindings.
func NewStore(optsGetter generic.RESTOptionsGetter, typer runtime.ObjectTyper) (*genericregistry.Store, error) {
	s := strategy.NewRoleBindingStrategy(typer)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &rbacv1.RoleBinding{} },
		NewListFunc:               func() runtime.Object { return &rbacv1.RoleBindingList{} },
		DefaultQualifiedResource:  rbacv1.Resource("rolebindings"),
		SingularQualifiedResource: rbacv1.Resource("rolebinding"),
		CreateStrategy:            s,
		UpdateStrategy:            s,
		DeleteStrategy:            s,
		TableConvertor:            table.Convertor{Columns: Columns("roleBinding"), Row: row},
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter}); err != nil {
		return nil, err
	}
	return store, nil
}

// Columns are the printer columns of role bindings and cluster role bindings
// (pkg/printers/internalversion/printers.go); the server always adds the
// wide ones. kind names the resource in the descriptions.
func Columns(kind string) []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		table.NameColumn,
		{Name: "Role", Type: "string", Description: rbacv1beta1.RoleBinding{}.SwaggerDoc()["roleRef"]},
		table.AgeColumn,
		{Name: "Users", Type: "string", Priority: 1, Description: "Users in the " + kind},
		{Name: "Groups", Type: "string", Priority: 1, Description: "Groups in the " + kind},
		{Name: "ServiceAccounts", Type: "string", Priority: 1, Description: "ServiceAccounts in the " + kind},
	}
}

// Cells renders a binding's row as printRoleBinding does.
func Cells(name string, ref rbacv1.RoleRef, created metav1.Time, subjects []rbacv1.Subject) []interface{} {
	users, groups, sas := []string{}, []string{}, []string{}
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			sas = append(sas, s.Namespace+"/"+s.Name)
		case rbacv1.UserKind:
			users = append(users, s.Name)
		case rbacv1.GroupKind:
			groups = append(groups, s.Name)
		}
	}
	return []interface{}{name, ref.Kind + "/" + ref.Name, table.Age(created), strings.Join(users, ", "), strings.Join(groups, ", "), strings.Join(sas, ", ")}
}

func row(obj runtime.Object) ([]interface{}, []metav1.TableRowCondition, error) {
	b, ok := obj.(*rbacv1.RoleBinding)
	if !ok {
		return nil, nil, fmt.Errorf("expected *v1.RoleBinding, got %T", obj)
	}
	return Cells(b.Name, b.RoleRef, b.CreationTimestamp, b.Subjects), nil, nil
}
