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

//lint:file-ignore SA1019 serves core/v1 Endpoints, deprecated but still served by kube-apiserver v1.37.2

// Package endpoints is the REST storage of core/v1 endpoints
// (k8s.io/kubernetes/pkg/registry/core/endpoint/storage). The API marks the
// kind deprecated (k8s.io/api's lifecycle), so k8s.io/apiserver warns on
// every request, as kube-apiserver does.
package endpoints

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/ephemera-dev/ephemera/registry/table"
	epstrategy "github.com/ephemera-dev/ephemera/strategy/endpoints"
)

// REST is the storage of endpoints.
type REST struct {
	*genericregistry.Store
}

var _ rest.ShortNamesProvider = &REST{}

// ShortNames implements rest.ShortNamesProvider: `kubectl get ep`.
func (r *REST) ShortNames() []string { return []string{"ep"} }

// NewREST returns the endpoints storage on the given options.
func NewREST(optsGetter generic.RESTOptionsGetter, typer runtime.ObjectTyper) (*REST, error) {
	s := epstrategy.NewStrategy(typer)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &corev1.Endpoints{} },
		NewListFunc:               func() runtime.Object { return &corev1.EndpointsList{} },
		PredicateFunc:             epstrategy.Match,
		DefaultQualifiedResource:  corev1.Resource("endpoints"),
		SingularQualifiedResource: corev1.Resource("endpoints"),

		CreateStrategy: s,
		UpdateStrategy: s,
		DeleteStrategy: s,

		TableConvertor: table.Convertor{Columns: columns, Row: row},
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: epstrategy.GetAttrs}); err != nil {
		return nil, err
	}
	return &REST{store}, nil
}

// columns are printEndpoints' (pkg/printers/internalversion/printers.go).
var columns = []metav1.TableColumnDefinition{
	table.NameColumn,
	{Name: "Endpoints", Type: "string", Description: corev1.Endpoints{}.SwaggerDoc()["subsets"]},
	table.AgeColumn,
}

var row = table.Rows(func(ep *corev1.Endpoints) []interface{} {
	return []interface{}{ep.Name, formatEndpoints(ep), table.Age(ep.CreationTimestamp)}
})

// formatEndpoints mirrors the printers' formatEndpoints: the first three
// ip:port pairs (ips alone for a subset without ports), then "+ N more...".
func formatEndpoints(ep *corev1.Endpoints) string {
	if len(ep.Subsets) == 0 {
		return "<none>"
	}
	const max = 3
	var list []string
	more, count := false, 0
	for _, ss := range ep.Subsets {
		if len(ss.Ports) == 0 {
			count += len(ss.Addresses)
			for _, a := range ss.Addresses {
				if len(list) == max {
					more = true
					break
				}
				list = append(list, a.IP)
			}
			continue
		}
		for _, p := range ss.Ports {
			count += len(ss.Addresses)
			for _, a := range ss.Addresses {
				if len(list) == max {
					more = true
					break
				}
				list = append(list, net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
			}
		}
	}
	ret := strings.Join(list, ",")
	if more {
		return fmt.Sprintf("%s + %d more...", ret, count-max)
	}
	return ret
}
