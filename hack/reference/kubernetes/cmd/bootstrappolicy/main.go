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

// Command bootstrappolicy writes the RBAC bootstrap policy of kube-apiserver
// v1.37.2 as JSON: every object its post-start hook "rbac/bootstrap-roles"
// creates on a fresh cluster (k8s.io/kubernetes pkg/registry/rbac/rest/
// storage_rbac.go, PostStartHook and ensureRBACPolicy), in the order it
// creates them, each exactly as the server stores it (minus the values the
// storage assigns: uid, resourceVersion, creationTimestamp and the managed
// fields' time, which Ephemera fills in when it writes them).
//
// The objects come from k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac/
// bootstrappolicy with kube-apiserver's default feature gates. The hook
// creates them through a loopback clientset (user agent "kube-apiserver/...",
// so field manager "kube-apiserver") with a plain create, so each carries one
// managedFields entry (operation Update) that this program computes with
// k8s.io/apimachinery's field manager, as the create handler does.
//
// Usage: hack/update-bootstrappolicy.sh (go run ./cmd/bootstrappolicy in the
// reference module, with hack/reference/goenv.sh's flags).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/managedfields"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/kube-openapi/pkg/builder3"
	openapiutil "k8s.io/kube-openapi/pkg/util"
	generatedopenapi "k8s.io/kubernetes/pkg/generated/openapi"
	"k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac/bootstrappolicy"
)

// Policy is the file's shape; controlplane reads the same shape.
type Policy struct {
	KubernetesVersion   string                      `json:"kubernetesVersion"`
	ClusterRoles        []rbacv1.ClusterRole        `json:"clusterRoles"`
	ClusterRoleBindings []rbacv1.ClusterRoleBinding `json:"clusterRoleBindings"`
	Roles               []rbacv1.Role               `json:"roles"`
	RoleBindings        []rbacv1.RoleBinding        `json:"roleBindings"`
}

// manager is the field manager of the hook's loopback client: the first
// segment of rest.DefaultKubernetesUserAgent() of the kube-apiserver binary.
const manager = "kube-apiserver"

func main() {
	out := flag.String("o", "", "output file (default stdout)")
	flag.Parse()

	p := Policy{KubernetesVersion: "v1.37.2"}
	p.ClusterRoles = append(bootstrappolicy.ClusterRoles(), bootstrappolicy.ControllerRoles()...)
	p.ClusterRoleBindings = append(bootstrappolicy.ClusterRoleBindings(), bootstrappolicy.ControllerRoleBindings()...)
	// The hook ranges over maps; namespaces are sorted here so the output is
	// stable. Within a namespace the order is upstream's.
	roles := bootstrappolicy.NamespaceRoles()
	for _, ns := range sortedKeys(roles) {
		p.Roles = append(p.Roles, roles[ns]...)
	}
	bindings := bootstrappolicy.NamespaceRoleBindings()
	for _, ns := range sortedKeys(bindings) {
		p.RoleBindings = append(p.RoleBindings, bindings[ns]...)
	}

	scheme := runtime.NewScheme()
	must(rbacv1.AddToScheme(scheme))
	tc := typeConverter(scheme)
	for i := range p.ClusterRoles {
		p.ClusterRoles[i].TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"}
		managed(scheme, tc, &p.ClusterRoles[i])
	}
	for i := range p.ClusterRoleBindings {
		p.ClusterRoleBindings[i].TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"}
		managed(scheme, tc, &p.ClusterRoleBindings[i])
	}
	for i := range p.Roles {
		p.Roles[i].TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"}
		managed(scheme, tc, &p.Roles[i])
	}
	for i := range p.RoleBindings {
		p.RoleBindings[i].TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"}
		managed(scheme, tc, &p.RoleBindings[i])
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	must(enc.Encode(p))
	if *out == "" {
		os.Stdout.Write(buf.Bytes())
		return
	}
	must(os.WriteFile(*out, buf.Bytes(), 0o644))
	fmt.Fprintf(os.Stderr, "bootstrappolicy: %d cluster roles, %d cluster role bindings, %d roles, %d role bindings\n",
		len(p.ClusterRoles), len(p.ClusterRoleBindings), len(p.Roles), len(p.RoleBindings))
}

// typeConverter is kube-apiserver's: built from the OpenAPI definitions of
// the RBAC types as GenericAPIServer.getOpenAPIModels builds it, so atomic
// structs (a binding's roleRef) are recorded as one field.
func typeConverter(scheme *runtime.Scheme) managedfields.TypeConverter {
	cfg := genericapiserver.DefaultOpenAPIV3Config(generatedopenapi.GetOpenAPIDefinitions, openapinamer.NewDefinitionNamer(scheme))
	var names []string
	for _, kind := range []string{"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"} {
		t, err := scheme.New(rbacv1.SchemeGroupVersion.WithKind(kind))
		must(err)
		names = append(names, openapiutil.GetCanonicalTypeName(t))
	}
	defs, err := builder3.BuildOpenAPIDefinitionsForResources(cfg, names...)
	must(err)
	tc, err := managedfields.NewTypeConverter(defs, false)
	must(err)
	return tc
}

// managed sets the managedFields entry a create by manager records, computed
// by k8s.io/apimachinery's field manager (the one the create handler in
// k8s.io/apiserver/pkg/endpoints/handlers/create.go runs).
func managed(scheme *runtime.Scheme, tc managedfields.TypeConverter, obj runtime.Object) {
	gvk := obj.GetObjectKind().GroupVersionKind()
	fm, err := managedfields.NewDefaultFieldManager(tc, scheme, scheme, scheme, gvk, gvk.GroupVersion(), "", nil)
	must(err)
	empty, err := scheme.New(gvk)
	must(err)
	empty.GetObjectKind().SetGroupVersionKind(gvk)
	updated := fm.UpdateNoErrors(empty, obj, manager)
	acc := updated.(metav1.Object)
	entries := acc.GetManagedFields()
	for i := range entries {
		entries[i].Time = nil // set when the object is written
	}
	obj.(metav1.Object).SetManagedFields(entries)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bootstrappolicy:", err)
		os.Exit(1)
	}
}
