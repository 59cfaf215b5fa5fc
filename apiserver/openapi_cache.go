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
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"sync"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/routes"
	openapicommon "k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/handler"
	"k8s.io/kube-openapi/pkg/handler3"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// Building the OpenAPI documents from a server's routes is the largest part
// of starting one (the v2 spec alone costs tens of milliseconds on 2 cores,
// more with every served group), and every server of a process with the same
// routes builds the same documents. So the generic server's own installation
// is skipped (Config.SkipOpenAPIInstallation) and the first server with a
// given set of routes builds the /openapi/v2 and /openapi/v3 services with
// k8s.io/apiserver's routes.OpenAPI, exactly as PrepareRun would; later
// servers with the same routes register the same services on their muxes.
// The documents, and their serialized forms once asked for, are shared.

type openAPIServices struct {
	v2     *handler.OpenAPIService
	v2Spec *spec.Swagger
	v3     *handler3.OpenAPIService
}

var (
	openAPIMu    sync.Mutex
	openAPICache = map[string]*openAPIServices{}
)

// installOpenAPI does what GenericAPIServer.PrepareRun does for OpenAPI,
// with the services shared between servers with the same routes.
func installOpenAPI(s *genericapiserver.GenericAPIServer, v2 *openapicommon.Config, v3 *openapicommon.OpenAPIV3Config) {
	key := routesKey(s)
	openAPIMu.Lock()
	defer openAPIMu.Unlock()
	mux := s.Handler.NonGoRestfulMux
	svc, ok := openAPICache[key]
	if ok {
		svc.v2.RegisterOpenAPIVersionedService("/openapi/v2", mux)
		// Registering on a mux cannot fail (the error is for interface compatibility).
		_ = svc.v3.RegisterOpenAPIV3VersionedService("/openapi/v3", mux)
	} else {
		svc = &openAPIServices{}
		svc.v2, svc.v2Spec = routes.OpenAPI{Config: v2}.InstallV2(s.Handler.GoRestfulContainer, mux)
		svc.v3 = routes.OpenAPI{V3Config: v3}.InstallV3(s.Handler.GoRestfulContainer, mux)
		openAPICache[key] = svc
	}
	s.OpenAPIVersionedService, s.StaticOpenAPISpec, s.OpenAPIV3VersionedService = svc.v2, svc.v2Spec, svc.v3
}

// routesKey identifies the routes a server serves.
func routesKey(s *genericapiserver.GenericAPIServer) string {
	var routes []string
	for _, ws := range s.Handler.GoRestfulContainer.RegisteredWebServices() {
		for _, r := range ws.Routes() {
			routes = append(routes, r.Method+" "+r.Path+" "+r.Operation)
		}
	}
	sort.Strings(routes)
	h := sha256.New()
	for _, r := range routes {
		h.Write([]byte(r))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
