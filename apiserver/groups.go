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
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/ephemera-dev/ephemera/registry"
	"github.com/ephemera-dev/ephemera/registry/configmap"
	"github.com/ephemera-dev/ephemera/registry/coordination/lease"
	"github.com/ephemera-dev/ephemera/registry/discovery/endpointslice"
	"github.com/ephemera-dev/ephemera/registry/endpoints"
	"github.com/ephemera-dev/ephemera/registry/secret"
	"github.com/ephemera-dev/ephemera/registry/service"
)

// storageVersions are the versions objects are stored in.
var storageVersions = []schema.GroupVersion{corev1.SchemeGroupVersion, rbacv1.SchemeGroupVersion, admissionregistrationv1.SchemeGroupVersion, discoveryv1.SchemeGroupVersion, coordinationv1.SchemeGroupVersion}

// serviceStorage is the storage of services, endpoints, config maps and
// secrets (core/v1), endpoint slices (discovery.k8s.io/v1) and leases
// (coordination.k8s.io/v1): what envtest's kube-apiserver serves for
// service discovery, configuration and leader election.
type serviceStorage struct {
	core          map[string]rest.Storage
	endpointSlice *endpointslice.REST
	lease         *lease.REST
}

func newServiceStorage(optsGetter *registry.RESTOptionsGetter, serviceCIDR string) (*serviceStorage, error) {
	s := &serviceStorage{core: map[string]rest.Storage{}}
	services, err := service.NewStorage(optsGetter, Scheme, serviceCIDR)
	if err != nil {
		return nil, err
	}
	for k, v := range services.Map() {
		s.core[k] = v
	}
	if s.core["endpoints"], err = endpoints.NewREST(optsGetter, Scheme); err != nil {
		return nil, err
	}
	if s.core["configmaps"], err = configmap.NewREST(optsGetter, Scheme); err != nil {
		return nil, err
	}
	if s.core["secrets"], err = secret.NewREST(optsGetter, Scheme); err != nil {
		return nil, err
	}
	if s.endpointSlice, err = endpointslice.NewREST(optsGetter, Scheme); err != nil {
		return nil, err
	}
	if s.lease, err = lease.NewREST(optsGetter, Scheme); err != nil {
		return nil, err
	}
	return s, nil
}

// groups are discovery.k8s.io/v1 and coordination.k8s.io/v1, for the
// server's one InstallAPIGroups call.
func (s *serviceStorage) groups() []*genericapiserver.APIGroupInfo {
	var infos []*genericapiserver.APIGroupInfo
	for _, g := range []struct {
		name    string
		storage map[string]rest.Storage
	}{
		{discoveryv1.GroupName, map[string]rest.Storage{"endpointslices": s.endpointSlice}},
		{coordinationv1.GroupName, map[string]rest.Storage{"leases": s.lease}},
	} {
		info := genericapiserver.NewDefaultAPIGroupInfo(g.name, Scheme, runtime.NewParameterCodec(Scheme), Codecs)
		info.VersionedResourcesStorageMap["v1"] = g.storage
		infos = append(infos, &info)
	}
	return infos
}
