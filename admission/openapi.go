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

package admission

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/openapi"
)

// The mutating policy plugin finds the schema of the objects it patches in
// the server's OpenAPI v3 document: its type-converter manager asks the
// server for /openapi/v3 at once and every five seconds, and for a group's
// schema when a policy first mutates an object of it
// (k8s.io/apiserver policy/mutating/patch/typeconverter.go). Asking for the
// /openapi/v3 index makes the server build and hash the schema of every
// group, tens of milliseconds that would come with every server start.
// Ephemera's groups are fixed for the life of a server, so the index is
// answered without asking (one entry per served group version, with a
// constant version key), and a group's schema is fetched from the server
// when the plugin first needs it. The schemas are the server's own.

// withLazyOpenAPI returns client with its discovery's OpenAPIV3 replaced as
// described above; paths are the served group versions ("api/v1",
// "apis/<group>/<version>").
func withLazyOpenAPI(client kubernetes.Interface, paths []string) kubernetes.Interface {
	return lazyOpenAPIClient{
		Interface: client,
		discovery: lazyOpenAPIDiscovery{
			DiscoveryInterfaces: client.Discovery(),
			openapi:             &lazyOpenAPI{real: client.Discovery().OpenAPIV3(), paths: paths},
		},
	}
}

type lazyOpenAPIClient struct {
	kubernetes.Interface
	discovery discovery.DiscoveryInterfaces
}

func (c lazyOpenAPIClient) Discovery() discovery.DiscoveryInterfaces { return c.discovery }

type lazyOpenAPIDiscovery struct {
	discovery.DiscoveryInterfaces
	openapi openapi.Client
}

func (d lazyOpenAPIDiscovery) OpenAPIV3() openapi.Client { return d.openapi }

func (d lazyOpenAPIDiscovery) OpenAPIV3WithContext(context.Context) openapi.ClientWithContext {
	return openapi.ToClientWithContext(d.openapi)
}

// lazyOpenAPI is an openapi.Client whose index is the list of served group
// versions and whose schemas come from real on first use.
type lazyOpenAPI struct {
	real  openapi.Client
	paths []string

	mu    sync.Mutex
	index map[string]openapi.GroupVersion // the real index, once fetched
}

func (l *lazyOpenAPI) Paths() (map[string]openapi.GroupVersion, error) {
	out := make(map[string]openapi.GroupVersion, len(l.paths))
	for _, p := range l.paths {
		out[p] = lazyGroupVersion{path: p, client: l}
	}
	return out, nil
}

// schema fetches the real index once, then the group's schema.
func (l *lazyOpenAPI) schema(path, contentType string) ([]byte, error) {
	l.mu.Lock()
	if l.index == nil {
		index, err := l.real.Paths()
		if err != nil {
			l.mu.Unlock()
			return nil, err
		}
		l.index = index
	}
	gv, ok := l.index[path]
	l.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("the server serves no OpenAPI v3 schema for %s", path)
	}
	return gv.Schema(contentType)
}

type lazyGroupVersion struct {
	path   string
	client *lazyOpenAPI
}

func (g lazyGroupVersion) Schema(contentType string) ([]byte, error) {
	return g.client.schema(g.path, contentType)
}

// ServerRelativeURL keys the plugin's cache of type converters; the schema
// of a group never changes while the server runs.
func (g lazyGroupVersion) ServerRelativeURL() string { return "/openapi/v3/" + g.path }
