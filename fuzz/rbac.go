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

package fuzz

import (
	"reflect"

	rbacv1 "k8s.io/api/rbac/v1"
)

// RBACKind is one of the four RBAC resources (rbac.authorization.k8s.io/v1)
// the RBAC targets send requests about.
type RBACKind struct {
	Resource   string // e.g. "roles"
	Kind       string // e.g. "Role"
	Namespaced bool
	typ        reflect.Type
}

// RBACKinds are the RBAC resources, in the order a mode byte picks them.
var RBACKinds = []RBACKind{
	{"roles", "Role", true, reflect.TypeOf(rbacv1.Role{})},
	{"clusterroles", "ClusterRole", false, reflect.TypeOf(rbacv1.ClusterRole{})},
	{"rolebindings", "RoleBinding", true, reflect.TypeOf(rbacv1.RoleBinding{})},
	{"clusterrolebindings", "ClusterRoleBinding", false, reflect.TypeOf(rbacv1.ClusterRoleBinding{})},
}

// Collection is the path of k's collection: in the harness namespace for
// namespaced kinds.
func (h *Harness) Collection(k RBACKind) string {
	if k.Namespaced {
		return "/apis/rbac.authorization.k8s.io/v1/namespaces/" + h.NS + "/" + k.Resource
	}
	return "/apis/rbac.authorization.k8s.io/v1/" + k.Resource
}

// ObjectPath returns the path of the object of kind k named name.
func (h *Harness) ObjectPath(k RBACKind) func(name string) string {
	return func(name string) string { return h.Collection(k) + "/" + name }
}

// BodyOf is Body for a document of kind k: edits are structure-aware by
// k's v1 schema.
func BodyOf(k RBACKind, contentType string, body, edits []byte) []byte {
	return bodyShaped(contentType, body, edits, shapeOf(k.typ))
}
