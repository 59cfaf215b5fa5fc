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

	rbacv1 "k8s.io/api/rbac/v1"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	authzrbac "github.com/ephemera-dev/ephemera/authorization/rbac"
)

// StoragePolicy reads roles and bindings from their storage, as the
// registries upstream's escalation checks resolve rules through (pkg/
// registry/rbac/*/registry.go, AuthorizerAdapter): always current, and a
// missing role is the registry's NotFound
// ("roles.rbac.authorization.k8s.io \"x\" not found").
type StoragePolicy struct {
	Roles, RoleBindings, ClusterRoles, ClusterRoleBindings rest.StandardStorage
}

var _ authzrbac.Policy = &StoragePolicy{}

// GetRole implements authzrbac.Policy.
func (p *StoragePolicy) GetRole(ctx context.Context, namespace, name string) (*rbacv1.Role, error) {
	obj, err := p.Roles.Get(genericapirequest.WithNamespace(ctx, namespace), name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*rbacv1.Role), nil
}

// GetClusterRole implements authzrbac.Policy.
func (p *StoragePolicy) GetClusterRole(ctx context.Context, name string) (*rbacv1.ClusterRole, error) {
	obj, err := p.ClusterRoles.Get(genericapirequest.WithNamespace(ctx, ""), name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*rbacv1.ClusterRole), nil
}

// ListRoleBindings implements authzrbac.Policy.
func (p *StoragePolicy) ListRoleBindings(ctx context.Context, namespace string) ([]*rbacv1.RoleBinding, error) {
	obj, err := p.RoleBindings.List(genericapirequest.WithNamespace(ctx, namespace), &metainternalversion.ListOptions{})
	if err != nil {
		return nil, err
	}
	items := obj.(*rbacv1.RoleBindingList).Items
	out := make([]*rbacv1.RoleBinding, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out, nil
}

// ListClusterRoleBindings implements authzrbac.Policy.
func (p *StoragePolicy) ListClusterRoleBindings(ctx context.Context) ([]*rbacv1.ClusterRoleBinding, error) {
	obj, err := p.ClusterRoleBindings.List(genericapirequest.WithNamespace(ctx, ""), &metainternalversion.ListOptions{})
	if err != nil {
		return nil, err
	}
	items := obj.(*rbacv1.ClusterRoleBindingList).Items
	out := make([]*rbacv1.ClusterRoleBinding, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out, nil
}
