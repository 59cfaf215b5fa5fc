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
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	restful "github.com/emicklei/go-restful/v3"
	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	genericapi "k8s.io/apiserver/pkg/endpoints"
	"k8s.io/apiserver/pkg/endpoints/discovery"
	discoveryendpoint "k8s.io/apiserver/pkg/endpoints/discovery/aggregated"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	openapibuilder3 "k8s.io/kube-openapi/pkg/builder3"
	openapiutil "k8s.io/kube-openapi/pkg/util"
)

// Installing the API groups is most of a server's start. k8s.io/apiserver's
// InstallLegacyAPIGroup and InstallAPIGroups build, on every call, the
// OpenAPI models of the installed resources and from them the type converter
// of managed fields and server-side apply (GenericAPIServer.getOpenAPIModels:
// builder3.BuildOpenAPIDefinitionsForResources, managedfields.NewTypeConverter):
// several milliseconds of CPU per call, the same result for every server of
// this process, since they all serve the same resources from the same
// generated definitions. installAPIs does what those two functions do
// (installAPIResources, the discovery handlers, the storage readiness checks
// and destroy functions) with the type converter built once per process (per
// set of resources) and shared: it is immutable once built, and upstream
// shares one between all the groups of a call already. It depends on nothing
// but the resource types and the OpenAPI definitions, which are the
// process's (openAPIDefinitions). Nothing else is shared: every server gets
// its own routes, handlers, discovery and storage.

// typeConverters are the managed-fields type converters built so far, by
// the list of resource types they cover (one list in practice: every server
// serves the same resources).
var typeConverters struct {
	sync.Mutex
	byTypes map[string]managedfields.TypeConverter
}

// sharedTypeConverter returns the type converter of the resources of legacy
// and groups, built on first use (GenericAPIServer.getOpenAPIModels).
func sharedTypeConverter(config *genericapiserver.CompletedConfig, legacy *genericapiserver.APIGroupInfo, groups []*genericapiserver.APIGroupInfo) (managedfields.TypeConverter, error) {
	var names []string
	for _, info := range append([]*genericapiserver.APIGroupInfo{legacy}, groups...) {
		for _, gv := range info.PrioritizedVersions {
			for _, storage := range info.VersionedResourcesStorageMap[gv.Version] {
				kind, err := genericapi.GetResourceKind(gv, storage, info.Scheme)
				if err != nil {
					return nil, err
				}
				obj, err := info.Scheme.New(kind)
				if err != nil {
					return nil, err
				}
				names = append(names, openapiutil.GetCanonicalTypeName(obj))
			}
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	key := strings.Join(names, ",")

	typeConverters.Lock()
	defer typeConverters.Unlock()
	if tc, ok := typeConverters.byTypes[key]; ok {
		return tc, nil
	}
	spec, err := openapibuilder3.BuildOpenAPIDefinitionsForResources(config.OpenAPIV3Config, names...)
	if err != nil {
		return nil, err
	}
	tc, err := managedfields.NewTypeConverter(spec, false)
	if err != nil {
		return nil, err
	}
	if typeConverters.byTypes == nil {
		typeConverters.byTypes = map[string]managedfields.TypeConverter{}
	}
	typeConverters.byTypes[key] = tc
	return tc, nil
}

// installAPIs installs the legacy API group (/api/v1) and the named groups
// (/apis/...) on generic, as InstallLegacyAPIGroup and InstallAPIGroups do.
//
// The REST handlers of the group versions are built concurrently: building
// their routes (go-restful compiles a regular expression per route) is most
// of the work, and each group version's is independent of the others' (its
// own installer and go-restful web service). Each is built into a scratch
// container; the web services, discovery and destroy functions are then
// registered one after the other in upstream's order.
func installAPIs(generic *genericapiserver.GenericAPIServer, config *genericapiserver.CompletedConfig, legacy *genericapiserver.APIGroupInfo, groups []*genericapiserver.APIGroupInfo) error {
	tc, err := sharedTypeConverter(config, legacy, groups)
	if err != nil {
		return fmt.Errorf("unable to get openapi models: %w", err)
	}
	var installs []*groupVersionInstall
	for i, info := range append([]*genericapiserver.APIGroupInfo{legacy}, groups...) {
		prefix := genericapiserver.APIGroupPrefix
		if i == 0 {
			prefix = genericapiserver.DefaultLegacyAPIPrefix
		}
		for _, gv := range info.PrioritizedVersions {
			if len(info.VersionedResourcesStorageMap[gv.Version]) > 0 {
				installs = append(installs, &groupVersionInstall{info: info, prefix: prefix, gv: gv})
			}
		}
	}
	var wg sync.WaitGroup
	for _, in := range installs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.build(generic, config, tc)
		}()
	}
	wg.Wait()

	register := func(info *genericapiserver.APIGroupInfo) error {
		for _, in := range installs {
			if in.info != info {
				continue
			}
			if in.err != nil {
				return fmt.Errorf("unable to setup API %v: %w", in.gv, in.err)
			}
			for _, ws := range in.container.RegisteredWebServices() {
				generic.Handler.GoRestfulContainer.Add(ws)
			}
			manager := generic.AggregatedDiscoveryGroupManager
			if in.prefix == genericapiserver.DefaultLegacyAPIPrefix {
				manager = generic.AggregatedLegacyDiscoveryGroupManager
			}
			manager.AddGroupVersion(in.gv.Group, apidiscoveryv2.APIVersionDiscovery{
				Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent,
				Version:   in.gv.Version,
				Resources: in.discovery,
			})
		}
		// The storage is destroyed with the server (APIGroupInfo.destroyStorage).
		generic.RegisterDestroyFunc(func() {
			for _, rs := range info.VersionedResourcesStorageMap {
				for _, s := range rs {
					s.Destroy()
				}
			}
		})
		return nil
	}

	if err := register(legacy); err != nil {
		return err
	}
	// The /api handler, with aggregated discovery (InstallLegacyAPIGroup).
	root := discovery.NewLegacyRootAPIHandler(config.DiscoveryAddresses, generic.Serializer, genericapiserver.DefaultLegacyAPIPrefix)
	wrapped := discoveryendpoint.WrapAggregatedDiscoveryToHandler(root, generic.AggregatedLegacyDiscoveryGroupManager, generic.AggregatedLegacyDiscoveryGroupManager)
	generic.Handler.GoRestfulContainer.Add(wrapped.GenerateWebService("/api", metav1.APIVersions{}))
	registerStorageReadiness(generic, "", legacy)

	for _, g := range groups {
		if err := register(g); err != nil {
			return fmt.Errorf("unable to install api resources: %w", err)
		}
		// The /apis/<group> handler (InstallAPIGroups).
		var versions []metav1.GroupVersionForDiscovery
		for _, gv := range g.PrioritizedVersions {
			if len(g.VersionedResourcesStorageMap[gv.Version]) > 0 {
				versions = append(versions, metav1.GroupVersionForDiscovery{GroupVersion: gv.String(), Version: gv.Version})
			}
		}
		preferred := g.PrioritizedVersions[0]
		apiGroup := metav1.APIGroup{
			Name:             preferred.Group,
			Versions:         versions,
			PreferredVersion: metav1.GroupVersionForDiscovery{GroupVersion: preferred.String(), Version: preferred.Version},
		}
		generic.DiscoveryGroupManager.AddGroup(apiGroup)
		generic.Handler.GoRestfulContainer.Add(discovery.NewAPIGroupHandler(generic.Serializer, apiGroup).WebService())
		registerStorageReadiness(generic, preferred.Group, g)
	}
	return nil
}

// groupVersionInstall is the installation of one group version's REST
// handlers (GenericAPIServer.installAPIResources, one iteration).
type groupVersionInstall struct {
	info   *genericapiserver.APIGroupInfo
	prefix string
	gv     schema.GroupVersion

	container *restful.Container // scratch: the web service built
	discovery []apidiscoveryv2.APIResourceDiscovery
	err       error
}

// build makes the group version's handlers (GenericAPIServer.getAPIGroupVersion,
// newAPIGroupVersion, APIGroupVersion.InstallREST).
func (in *groupVersionInstall) build(generic *genericapiserver.GenericAPIServer, config *genericapiserver.CompletedConfig, tc managedfields.TypeConverter) {
	info, gv := in.info, in.gv
	served := map[string][]string{}
	for version, rs := range info.VersionedResourcesStorageMap {
		for resource := range rs {
			v := version
			if gv.Group != "" {
				v = gv.Group + "/" + version
			}
			served[resource] = append(served[resource], v)
		}
	}
	resources := info.VersionedResourcesStorageMap[gv.Version]
	storage := make(map[string]rest.Storage, len(resources))
	for name, s := range resources {
		if strings.ToLower(name) != name {
			in.err = fmt.Errorf("resource names must be lowercase only, not %q", name)
			return
		}
		storage[name] = s
	}
	version := &genericapi.APIGroupVersion{
		Root:                        in.prefix,
		GroupVersion:                gv,
		AllServedVersionsByResource: served,
		MetaGroupVersion:            info.MetaGroupVersion,
		Storage:                     storage,

		ParameterCodec:        info.ParameterCodec,
		Serializer:            info.NegotiatedSerializer,
		Creater:               info.Scheme,
		Convertor:             info.Scheme,
		ConvertabilityChecker: info.Scheme,
		UnsafeConvertor:       runtime.UnsafeObjectConvertor(info.Scheme),
		Defaulter:             info.Scheme,
		Typer:                 info.Scheme,
		Namer:                 runtime.Namer(meta.NewAccessor()),

		EquivalentResourceRegistry: generic.EquivalentResourceRegistry,
		Admit:                      config.AdmissionControl,
		MinRequestTimeout:          time.Duration(config.MinRequestTimeout) * time.Second,
		Authorizer:                 generic.Authorizer,
		OptionsExternalVersion:     info.OptionsExternalVersion,
		TypeConverter:              tc,
		MaxRequestBodyBytes:        config.MaxRequestBodyBytes,
	}
	in.container = restful.NewContainer()
	in.discovery, _, in.err = version.InstallREST(in.container)
}

// registerStorageReadiness is GenericAPIServer.registerStorageReadinessCheck.
func registerStorageReadiness(generic *genericapiserver.GenericAPIServer, group string, info *genericapiserver.APIGroupInfo) {
	for version, rs := range info.VersionedResourcesStorageMap {
		for resource, s := range rs {
			if r, ok := s.(rest.StorageWithReadiness); ok {
				generic.StorageReadinessHook.RegisterStorage(metav1.GroupVersionResource{Group: group, Version: version, Resource: resource}, r)
			}
		}
	}
}
