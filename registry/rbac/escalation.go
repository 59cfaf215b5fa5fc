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

// Package rbac holds what the storage of the four RBAC resources shares:
// the privilege-escalation checks of k8s.io/kubernetes pkg/registry/rbac
// (escalation_check.go, helpers.go) and the Policy the checks resolve rules
// from, read straight from storage (pkg/registry/rbac/rest/storage_rbac.go
// builds its rule resolver on the registries, not on the authorizer's
// informers), and GuardedREST, the served storage of each: its store with
// the policybased check (RoleGuard, BindingGuard) in front. The stores
// themselves are in the subpackages role, clusterrole, rolebinding and
// clusterrolebinding.
package rbac

import (
	"context"
	"reflect"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

// EscalationAllowed is true for members of system:masters, who may do
// anything (upstream's EscalationAllowed).
func EscalationAllowed(ctx context.Context) bool {
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return false
	}
	for _, g := range u.GetGroups() {
		if g == user.SystemPrivilegedGroup {
			return true
		}
	}
	return false
}

var roleResources = map[schema.GroupResource]bool{
	rbacv1.Resource("clusterroles"): true,
	rbacv1.Resource("roles"):        true,
}

// RoleEscalationAuthorized is true when the user may "escalate" the role or
// cluster role the request is about (upstream's RoleEscalationAuthorized).
func RoleEscalationAuthorized(ctx context.Context, a authorizer.UnconditionalAuthorizer) bool {
	if a == nil {
		return false
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return false
	}
	info, ok := genericapirequest.RequestInfoFrom(ctx)
	if !ok || !info.IsResourceRequest {
		return false
	}
	if !roleResources[schema.GroupResource{Group: info.APIGroup, Resource: info.Resource}] {
		return false
	}
	decision, _, _ := a.Authorize(ctx, authorizer.AttributesRecord{
		User: u, Verb: "escalate", APIGroup: info.APIGroup, APIVersion: "*",
		Resource: info.Resource, Name: info.Name, Namespace: info.Namespace, ResourceRequest: true,
	})
	return decision == authorizer.DecisionAllow
}

// BindingAuthorized is true when the user may "bind" the role a binding in
// bindingNamespace refers to (upstream's BindingAuthorized).
func BindingAuthorized(ctx context.Context, ref rbacv1.RoleRef, bindingNamespace string, a authorizer.UnconditionalAuthorizer) bool {
	if a == nil {
		return false
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return false
	}
	attrs := authorizer.AttributesRecord{User: u, Verb: "bind", Namespace: bindingNamespace, ResourceRequest: true,
		APIGroup: ref.APIGroup, APIVersion: "*", Name: ref.Name}
	switch ref.Kind {
	case "ClusterRole":
		attrs.Resource = "clusterroles"
	case "Role":
		attrs.Resource = "roles"
	default:
		return false
	}
	decision, _, _ := a.Authorize(ctx, attrs)
	return decision == authorizer.DecisionAllow
}

// IsOnlyMutatingGCFields is true when an update changes nothing but owner
// references, finalizers, selfLink or managed fields (upstream's helper):
// such updates skip the escalation check.
func IsOnlyMutatingGCFields(obj, old runtime.Object) bool {
	if old == nil || reflect.ValueOf(old).IsNil() {
		return false
	}
	copied := obj.DeepCopyObject()
	cm, err := meta.Accessor(copied)
	if err != nil {
		return false
	}
	om, err := meta.Accessor(old)
	if err != nil {
		return false
	}
	cm.SetOwnerReferences(om.GetOwnerReferences())
	cm.SetFinalizers(om.GetFinalizers())
	cm.SetSelfLink(om.GetSelfLink())
	cm.SetManagedFields(om.GetManagedFields())
	return equality.Semantic.DeepEqual(copied, old)
}
