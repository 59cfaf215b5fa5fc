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
	"net/http"
	"reflect"
	"strconv"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Kind is one resource of an API group the create targets send requests
// about: where it is served and the Go type of its objects, whose v1 schema
// makes the edits structure-aware.
type Kind struct {
	GroupVersion string // e.g. "rbac.authorization.k8s.io/v1"
	Resource     string // e.g. "roles"
	Kind         string // e.g. "Role"
	Namespaced   bool
	typ          reflect.Type
}

// RBACKinds are the RBAC resources (rbac.authorization.k8s.io/v1), in the
// order a mode byte picks them.
var RBACKinds = []Kind{
	{rbacv1.SchemeGroupVersion.String(), "roles", "Role", true, reflect.TypeOf(rbacv1.Role{})},
	{rbacv1.SchemeGroupVersion.String(), "clusterroles", "ClusterRole", false, reflect.TypeOf(rbacv1.ClusterRole{})},
	{rbacv1.SchemeGroupVersion.String(), "rolebindings", "RoleBinding", true, reflect.TypeOf(rbacv1.RoleBinding{})},
	{rbacv1.SchemeGroupVersion.String(), "clusterrolebindings", "ClusterRoleBinding", false, reflect.TypeOf(rbacv1.ClusterRoleBinding{})},
}

// AdmissionKinds are the admission configuration resources
// (admissionregistration.k8s.io/v1, all cluster-scoped), in the order a
// mode byte picks them. Webhook configurations are only ever sent as dry
// runs (Webhook; see FuzzAdmissionCreate).
var AdmissionKinds = []Kind{
	{admissionregistrationv1.SchemeGroupVersion.String(), "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false, reflect.TypeOf(admissionregistrationv1.ValidatingWebhookConfiguration{})},
	{admissionregistrationv1.SchemeGroupVersion.String(), "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false, reflect.TypeOf(admissionregistrationv1.MutatingWebhookConfiguration{})},
	{admissionregistrationv1.SchemeGroupVersion.String(), "validatingadmissionpolicies", "ValidatingAdmissionPolicy", false, reflect.TypeOf(admissionregistrationv1.ValidatingAdmissionPolicy{})},
	{admissionregistrationv1.SchemeGroupVersion.String(), "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", false, reflect.TypeOf(admissionregistrationv1.ValidatingAdmissionPolicyBinding{})},
	{admissionregistrationv1.SchemeGroupVersion.String(), "mutatingadmissionpolicies", "MutatingAdmissionPolicy", false, reflect.TypeOf(admissionregistrationv1.MutatingAdmissionPolicy{})},
	{admissionregistrationv1.SchemeGroupVersion.String(), "mutatingadmissionpolicybindings", "MutatingAdmissionPolicyBinding", false, reflect.TypeOf(admissionregistrationv1.MutatingAdmissionPolicyBinding{})},
}

// Webhook reports whether objects of k are webhook configurations: stored,
// one makes kube-apiserver call the URL or Service it names on later
// requests.
func (k Kind) Webhook() bool {
	return k.typ == reflect.TypeOf(admissionregistrationv1.ValidatingWebhookConfiguration{}) ||
		k.typ == reflect.TypeOf(admissionregistrationv1.MutatingWebhookConfiguration{})
}

// Collection is the path of k's collection: in the harness namespace for
// namespaced kinds.
func (h *Harness) Collection(k Kind) string {
	if k.Namespaced {
		return "/apis/" + k.GroupVersion + "/namespaces/" + h.NS + "/" + k.Resource
	}
	return "/apis/" + k.GroupVersion + "/" + k.Resource
}

// ObjectPath returns the path of the object of kind k named name.
func (h *Harness) ObjectPath(k Kind) func(name string) string {
	return func(name string) string { return h.Collection(k) + "/" + name }
}

// BodyOf is Body for a document of kind k: edits are structure-aware by
// k's v1 schema.
func BodyOf(k Kind, contentType string, body, edits []byte) []byte {
	return bodyShaped(contentType, body, edits, shapeOf(k.typ))
}

// CheckCreate is one execution of a create target: it POSTs the fuzzed
// document payload of kind k to its collection on both servers, as the
// n-th object of target, compares, and deletes what was stored.
// Cluster-scoped names are shared by every fuzz worker on the one reference
// server: the harness namespace, one per worker, makes the execution's own
// name unique, and a name the input spells out is held by one worker at a
// time (clusterLock).
func (h *Harness) CheckCreate(t *testing.T, target string, n int, mode uint8, k Kind, opts Options, payload []byte) {
	t.Helper()
	if !k.Namespaced {
		if err := h.cluster.lock(); err != nil {
			t.Fatalf("locking the reference server's cluster-scoped names: %v", err)
		}
		defer h.cluster.unlock()
	}
	name := h.NS + "-" + strconv.Itoa(n)
	var vars [2]map[string]string
	for i := range vars {
		vars[i] = map[string]string{VarName: name, VarNS: h.NS}
	}
	objectPath := h.ObjectPath(k)
	ans := h.Check(t, Case{
		Req:            Request{Method: http.MethodPost, Path: h.Collection(k) + opts.Query(), ContentType: JSON, Body: payload, Vars: vars},
		Pod:            name,
		Path:           objectPath,
		NameFromAnswer: true,
		DryRun:         opts.DryRun,
		Input:          Describe(target, mode, JSON, opts.Query(), payload),
	})
	h.Forget(objectPath, name, ans, opts.DryRun)
}
