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

	"github.com/ephemera-dev/ephemera/strategy/validation"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/storage/names"
)

// strategy is what the four RBAC strategies share (pkg/registry/rbac/*/
// strategy.go): nothing is dropped or changed on create or update, create on
// update is allowed, updates need no resourceVersion, and there are no
// warnings.
type strategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	// DeclarativePass: upstream embeds rest.DeclarativeValidation.
	validation.DeclarativePass
}

func (strategy) PrepareForCreate(context.Context, runtime.Object)                 {}
func (strategy) PrepareForUpdate(context.Context, runtime.Object, runtime.Object) {}
func (strategy) Canonicalize(runtime.Object)                                      {}
func (strategy) AllowCreateOnUpdate(context.Context) bool                         { return true }
func (strategy) AllowUnconditionalUpdate(context.Context) bool                    { return true }
func (strategy) WarningsOnCreate(context.Context, runtime.Object) []string        { return nil }
func (strategy) WarningsOnUpdate(context.Context, runtime.Object, runtime.Object) []string {
	return nil
}

// RoleStrategy is the strategy of roles.
type RoleStrategy struct{ strategy }

// ClusterRoleStrategy is the strategy of cluster roles.
type ClusterRoleStrategy struct{ strategy }

// RoleBindingStrategy is the strategy of role bindings.
type RoleBindingStrategy struct{ strategy }

// ClusterRoleBindingStrategy is the strategy of cluster role bindings.
type ClusterRoleBindingStrategy struct{ strategy }

// NewRoleStrategy and the others return the strategies for typer.
func NewRoleStrategy(typer runtime.ObjectTyper) RoleStrategy {
	return RoleStrategy{strategy{typer, names.SimpleNameGenerator, validation.DeclarativePass{}}}
}
func NewClusterRoleStrategy(typer runtime.ObjectTyper) ClusterRoleStrategy {
	return ClusterRoleStrategy{strategy{typer, names.SimpleNameGenerator, validation.DeclarativePass{}}}
}
func NewRoleBindingStrategy(typer runtime.ObjectTyper) RoleBindingStrategy {
	return RoleBindingStrategy{strategy{typer, names.SimpleNameGenerator, validation.DeclarativePass{}}}
}
func NewClusterRoleBindingStrategy(typer runtime.ObjectTyper) ClusterRoleBindingStrategy {
	return ClusterRoleBindingStrategy{strategy{typer, names.SimpleNameGenerator, validation.DeclarativePass{}}}
}

func (RoleStrategy) NamespaceScoped() bool               { return true }
func (ClusterRoleStrategy) NamespaceScoped() bool        { return false }
func (RoleBindingStrategy) NamespaceScoped() bool        { return true }
func (ClusterRoleBindingStrategy) NamespaceScoped() bool { return false }

func (RoleStrategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return ValidateRole(obj.(*rbacv1.Role))
}
func (RoleStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return ValidateRoleUpdate(obj.(*rbacv1.Role), old.(*rbacv1.Role))
}
func (ClusterRoleStrategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return ValidateClusterRole(obj.(*rbacv1.ClusterRole), false)
}
func (ClusterRoleStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return ValidateClusterRoleUpdate(obj.(*rbacv1.ClusterRole), old.(*rbacv1.ClusterRole))
}
func (RoleBindingStrategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return ValidateRoleBinding(obj.(*rbacv1.RoleBinding))
}
func (RoleBindingStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return ValidateRoleBindingUpdate(obj.(*rbacv1.RoleBinding), old.(*rbacv1.RoleBinding))
}
func (ClusterRoleBindingStrategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return ValidateClusterRoleBinding(obj.(*rbacv1.ClusterRoleBinding))
}
func (ClusterRoleBindingStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return ValidateClusterRoleBindingUpdate(obj.(*rbacv1.ClusterRoleBinding), old.(*rbacv1.ClusterRoleBinding))
}

// RegisterDefaults registers the defaulting of pkg/apis/rbac/v1/defaults.go:
// a binding's roleRef.apiGroup and each subject's apiGroup ("" for a service
// account, rbac.authorization.k8s.io for a user or group).
func RegisterDefaults(scheme *runtime.Scheme) {
	scheme.AddTypeDefaultingFunc(&rbacv1.RoleBinding{}, func(obj interface{}) { defaultRoleBinding(obj.(*rbacv1.RoleBinding)) })
	scheme.AddTypeDefaultingFunc(&rbacv1.RoleBindingList{}, func(obj interface{}) {
		l := obj.(*rbacv1.RoleBindingList)
		for i := range l.Items {
			defaultRoleBinding(&l.Items[i])
		}
	})
	scheme.AddTypeDefaultingFunc(&rbacv1.ClusterRoleBinding{}, func(obj interface{}) { defaultClusterRoleBinding(obj.(*rbacv1.ClusterRoleBinding)) })
	scheme.AddTypeDefaultingFunc(&rbacv1.ClusterRoleBindingList{}, func(obj interface{}) {
		l := obj.(*rbacv1.ClusterRoleBindingList)
		for i := range l.Items {
			defaultClusterRoleBinding(&l.Items[i])
		}
	})
}

func defaultRoleBinding(b *rbacv1.RoleBinding) {
	if b.RoleRef.APIGroup == "" {
		b.RoleRef.APIGroup = rbacv1.GroupName
	}
	defaultSubjects(b.Subjects)
}

func defaultClusterRoleBinding(b *rbacv1.ClusterRoleBinding) {
	if b.RoleRef.APIGroup == "" {
		b.RoleRef.APIGroup = rbacv1.GroupName
	}
	defaultSubjects(b.Subjects)
}

func defaultSubjects(subjects []rbacv1.Subject) {
	for i := range subjects {
		s := &subjects[i]
		if s.APIGroup == "" && (s.Kind == rbacv1.UserKind || s.Kind == rbacv1.GroupKind) {
			s.APIGroup = rbacv1.GroupName
		}
	}
}
