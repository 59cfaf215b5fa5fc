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

package apiserver

import (
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"

	strategyrbac "github.com/ephemera-dev/ephemera/strategy/rbac"
)

// addAccessTypes registers the access-control API groups (rbac.authorization
// .k8s.io/v1, authorization.k8s.io/v1, authentication.k8s.io/v1) the same way
// as core/v1: each v1 type also as its group's internal version, so
// conversion only sets the kind (see servedTypes).
func addAccessTypes(scheme *runtime.Scheme) {
	must(rbacv1.AddToScheme(scheme))
	must(authorizationv1.AddToScheme(scheme))
	must(authenticationv1.AddToScheme(scheme))
	groups := map[schema.GroupVersion][]runtime.Object{
		rbacv1.SchemeGroupVersion: {
			&rbacv1.Role{}, &rbacv1.RoleList{}, &rbacv1.RoleBinding{}, &rbacv1.RoleBindingList{},
			&rbacv1.ClusterRole{}, &rbacv1.ClusterRoleList{}, &rbacv1.ClusterRoleBinding{}, &rbacv1.ClusterRoleBindingList{},
		},
		authorizationv1.SchemeGroupVersion: {
			&authorizationv1.SubjectAccessReview{}, &authorizationv1.SelfSubjectAccessReview{},
			&authorizationv1.LocalSubjectAccessReview{}, &authorizationv1.SelfSubjectRulesReview{},
		},
		authenticationv1.SchemeGroupVersion: {
			&authenticationv1.TokenReview{}, &authenticationv1.SelfSubjectReview{},
		},
	}
	for gv, types := range groups {
		internal := schema.GroupVersion{Group: gv.Group, Version: runtime.APIVersionInternal}
		scheme.AddKnownTypes(internal, types...)
		must(scheme.SetVersionPriority(gv))
	}
	strategyrbac.RegisterDefaults(scheme)
}

// namerScheme holds only the served external versions. The OpenAPI
// definition namer lists every kind a type is registered as in
// x-kubernetes-group-version-kind; from Scheme that would include the
// "__internal" registrations above, which kube-apiserver's specs do not have
// and which make kubectl's client-side validation miss the schema
// ("failed to check CRD").
var namerScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	must(corev1.AddToScheme(s))
	must(rbacv1.AddToScheme(s))
	must(discoveryv1.AddToScheme(s))
	must(coordinationv1.AddToScheme(s))
	must(authorizationv1.AddToScheme(s))
	must(authenticationv1.AddToScheme(s))
	must(admissionregistrationv1.AddToScheme(s))
	return s
}()

// definitionNamer names the OpenAPI definitions of every server in the
// process: NewDefinitionNamer walks every kind of namerScheme, and the namer
// only reads the map it builds (k8s.io/apiserver/pkg/endpoints/openapi).
var definitionNamer = sync.OnceValue(func() *openapinamer.DefinitionNamer {
	return openapinamer.NewDefinitionNamer(namerScheme)
})
