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
	"net/http"
	"sync"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/mux"
	"k8s.io/apiserver/pkg/server/routes"
)

// installLazyOpenAPI serves /openapi/v2 and /openapi/v3 exactly as
// GenericAPIServer.PrepareRun would (routes.OpenAPI InstallV2 and
// InstallV3), but builds the specs on the first request for them instead of
// at start. Building them walks every route of every API group and costs
// tens of milliseconds per server, more than the rest of a start; most test
// servers are never asked for them. The caller sets
// config.SkipOpenAPIInstallation so PrepareRun does not build them too.
func installLazyOpenAPI(s *genericapiserver.GenericAPIServer, config *genericapiserver.Config) {
	var once sync.Once
	inner := mux.NewPathRecorderMux("openapi")
	build := func() {
		routes.OpenAPI{Config: config.OpenAPIConfig}.InstallV2(s.Handler.GoRestfulContainer, inner)
		routes.OpenAPI{V3Config: config.OpenAPIV3Config}.InstallV3(s.Handler.GoRestfulContainer, inner)
	}
	serve := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(build)
		inner.ServeHTTP(w, r)
	})
	s.Handler.NonGoRestfulMux.Handle("/openapi/v2", serve)
	s.Handler.NonGoRestfulMux.Handle("/openapi/v3", serve)
	s.Handler.NonGoRestfulMux.HandlePrefix("/openapi/v3/", serve)
}
