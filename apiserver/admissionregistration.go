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
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/discovery"
	restclient "k8s.io/client-go/rest"

	arregistry "github.com/ephemera-dev/ephemera/registry/admissionregistration"
	arstrategy "github.com/ephemera-dev/ephemera/strategy/admissionregistration"
)

// newAdmissionRegistrationStorage builds the storage of the
// admissionregistration.k8s.io/v1 resources. Policies with a paramKind and
// bindings with a paramRef are authorized with authz; their kinds are
// resolved through the server's own discovery, as kube-apiserver does, over
// a loopback client made on first use.
func newAdmissionRegistrationStorage(optsGetter generic.RESTOptionsGetter, authz authorizer.Authorizer, loopback *restclient.Config) (map[string]rest.Storage, error) {
	return arregistry.NewStorage(optsGetter, Scheme, arstrategy.ParamAuthorizer{
		Authorizer: authz,
		Resolver:   &lazyResourceResolver{config: loopback},
	})
}

// admissionRegistrationGroup is the group served at
// /apis/admissionregistration.k8s.io/v1.
func admissionRegistrationGroup(storage map[string]rest.Storage) *genericapiserver.APIGroupInfo {
	info := genericapiserver.NewDefaultAPIGroupInfo(admissionregistrationv1.GroupName, Scheme, runtime.NewParameterCodec(Scheme), Codecs)
	info.VersionedResourcesStorageMap[admissionregistrationv1.SchemeGroupVersion.Version] = storage
	return &info
}

// lazyResourceResolver creates its discovery client when first asked: only
// requests of users outside system:masters ever need it.
type lazyResourceResolver struct {
	config *restclient.Config
	once   sync.Once
	client discovery.DiscoveryInterface
	err    error
}

func (l *lazyResourceResolver) Resolve(gvk schema.GroupVersionKind) (schema.GroupVersionResource, error) {
	l.once.Do(func() { l.client, l.err = discovery.NewDiscoveryClientForConfig(l.config) })
	if l.err != nil {
		return schema.GroupVersionResource{}, l.err
	}
	return arstrategy.DiscoveryResourceResolver{Client: l.client}.Resolve(gvk)
}
