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
	"net/url"
	"testing"

	"k8s.io/client-go/openapi"
)

// A webhook's service reference resolves the way kube-apiserver resolves
// it without aggregator routing: kubernetes.default.svc:443 is the server
// itself, any other service is looked up, and Ephemera has none.
func TestLoopbackServiceResolver(t *testing.T) {
	host, _ := url.Parse("https://127.0.0.1:6443")
	r := loopbackServiceResolver{host: host, services: noServices}
	if u, err := r.ResolveEndpoint("default", "kubernetes", 443); err != nil || u != host {
		t.Errorf("kubernetes.default.svc:443 resolved to %v, %v; want the server", u, err)
	}
	if _, err := r.ResolveEndpoint("default", "kubernetes", 8443); err == nil || err.Error() != `service "kubernetes" not found` {
		t.Errorf("kubernetes.default.svc:8443: %v, want the lister's not found", err)
	}
	if _, err := r.ResolveEndpoint("system", "webhook-service", 443); err == nil || err.Error() != `service "webhook-service" not found` {
		t.Errorf("webhook-service.system.svc: %v, want the lister's not found", err)
	}
}

type countingOpenAPI struct {
	calls int
	paths map[string]openapi.GroupVersion
}

func (c *countingOpenAPI) Paths() (map[string]openapi.GroupVersion, error) {
	c.calls++
	return c.paths, nil
}

type fixedGV string

func (g fixedGV) Schema(string) ([]byte, error) { return []byte(g), nil }
func (g fixedGV) ServerRelativeURL() string     { return "/openapi/v3/x?hash=" + string(g) }

// The mutating-policy plugin's OpenAPI index comes from the served group
// versions without asking the server; a schema is fetched on first use,
// with one request for the server's index.
func TestLazyOpenAPI(t *testing.T) {
	real := &countingOpenAPI{paths: map[string]openapi.GroupVersion{"api/v1": fixedGV("core"), "apis/admissionregistration.k8s.io/v1": fixedGV("ar")}}
	l := &lazyOpenAPI{real: real, paths: []string{"api/v1", "apis/admissionregistration.k8s.io/v1"}}
	index, err := l.Paths()
	if err != nil || len(index) != 2 || real.calls != 0 {
		t.Fatalf("Paths() = %d entries, %v after %d requests; want 2 entries and no request", len(index), err, real.calls)
	}
	if got := index["api/v1"].ServerRelativeURL(); got != "/openapi/v3/api/v1" {
		t.Errorf("ServerRelativeURL() = %q, want a constant key", got)
	}
	for i := 0; i < 2; i++ {
		s, err := index["apis/admissionregistration.k8s.io/v1"].Schema("application/json")
		if err != nil || string(s) != "ar" {
			t.Fatalf("Schema() = %q, %v; want the server's", s, err)
		}
	}
	if real.calls != 1 {
		t.Errorf("the server's index was fetched %d times, want once", real.calls)
	}
	if _, err := (lazyGroupVersion{path: "apis/apps/v1", client: l}).Schema("application/json"); err == nil {
		t.Error("a group version the server does not serve has a schema")
	}
}
