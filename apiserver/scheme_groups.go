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

//lint:file-ignore SA1019 kube-apiserver v1.37.2 still serves core/v1 Endpoints (deprecated in favour of EndpointSlices), so Ephemera registers it
package apiserver

import (
	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ephemera-dev/ephemera/strategy/node"
	"github.com/ephemera-dev/ephemera/strategy/secret"
	"github.com/ephemera-dev/ephemera/strategy/service"
)

// serviceTypes are the core/v1 kinds of services, configuration and the
// token subresource, served in every mode as envtest's kube-apiserver
// serves them; registered as the internal version too (see servedTypes).
var serviceTypes = []runtime.Object{
	&corev1.Service{}, &corev1.ServiceList{},
	&corev1.Endpoints{}, &corev1.EndpointsList{},
	&corev1.ConfigMap{}, &corev1.ConfigMapList{},
	&corev1.Secret{}, &corev1.SecretList{},
}

// addServiceGroups registers discovery.k8s.io/v1 (endpoint slices),
// coordination.k8s.io/v1 (leases) and authentication.k8s.io/v1's
// TokenRequest (the object of serviceaccounts/token) the way core/v1 is:
// each v1 type also as its group's internal version, so conversion only
// sets the kind. It also adds the field-label conversions of
// pkg/apis/core/v1/conversion.go for Node, Secret and Service.
func addServiceGroups(scheme *runtime.Scheme) {
	must(discoveryv1.AddToScheme(scheme))
	must(coordinationv1.AddToScheme(scheme))
	must(authenticationv1.AddToScheme(scheme))
	groups := map[schema.GroupVersion][]runtime.Object{
		corev1.SchemeGroupVersion:           serviceTypes,
		discoveryv1.SchemeGroupVersion:      {&discoveryv1.EndpointSlice{}, &discoveryv1.EndpointSliceList{}},
		coordinationv1.SchemeGroupVersion:   {&coordinationv1.Lease{}, &coordinationv1.LeaseList{}},
		authenticationv1.SchemeGroupVersion: {&authenticationv1.TokenRequest{}},
	}
	for gv, types := range groups {
		internal := schema.GroupVersion{Group: gv.Group, Version: runtime.APIVersionInternal}
		scheme.AddKnownTypes(internal, types...)
		if gv.Group != "" {
			must(scheme.SetVersionPriority(gv))
		}
	}
	for kind, conv := range map[string]runtime.FieldLabelConversionFunc{
		"Node":    node.FieldLabelConversion,
		"Secret":  secret.FieldLabelConversion,
		"Service": service.FieldLabelConversion,
	} {
		must(scheme.AddFieldLabelConversionFunc(corev1.SchemeGroupVersion.WithKind(kind), conv))
	}
}
