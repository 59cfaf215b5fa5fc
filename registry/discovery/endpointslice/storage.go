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

// Package endpointslice is the REST storage of discovery.k8s.io/v1 endpoint
// slices (k8s.io/kubernetes/pkg/registry/discovery/endpointslice/storage).
package endpointslice

import (
	"fmt"
	"strconv"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/ephemera-dev/ephemera/registry/table"
	epsstrategy "github.com/ephemera-dev/ephemera/strategy/discovery/endpointslice"
)

// REST is the storage of endpoint slices.
type REST struct {
	*genericregistry.Store
}

// NewREST returns the endpoint-slice storage on the given options.
func NewREST(optsGetter generic.RESTOptionsGetter, typer runtime.ObjectTyper) (*REST, error) {
	s := epsstrategy.NewStrategy(typer)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &discoveryv1.EndpointSlice{} },
		NewListFunc:               func() runtime.Object { return &discoveryv1.EndpointSliceList{} },
		PredicateFunc:             epsstrategy.Match,
		DefaultQualifiedResource:  discoveryv1.Resource("endpointslices"),
		SingularQualifiedResource: discoveryv1.Resource("endpointslice"),

		CreateStrategy: s,
		UpdateStrategy: s,
		DeleteStrategy: s,

		TableConvertor: table.Convertor{Columns: columns, Row: row},
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: epsstrategy.GetAttrs}); err != nil {
		return nil, err
	}
	return &REST{store}, nil
}

// columns are printEndpointSlice's (pkg/printers/internalversion/printers.go).
var columns = []metav1.TableColumnDefinition{
	table.NameColumn,
	{Name: "AddressType", Type: "string", Description: discoveryv1.EndpointSlice{}.SwaggerDoc()["addressType"]},
	{Name: "Ports", Type: "string", Description: discoveryv1.EndpointSlice{}.SwaggerDoc()["ports"]},
	{Name: "Endpoints", Type: "string", Description: discoveryv1.EndpointSlice{}.SwaggerDoc()["endpoints"]},
	table.AgeColumn,
}

var row = table.Rows(func(eps *discoveryv1.EndpointSlice) []interface{} {
	var ports, addrs []string
	for _, p := range eps.Ports {
		switch {
		case p.Port != nil:
			ports = append(ports, strconv.Itoa(int(*p.Port)))
		case p.Name != nil:
			ports = append(ports, *p.Name)
		default:
			ports = append(ports, "*")
		}
	}
	for _, ep := range eps.Endpoints {
		addrs = append(addrs, ep.Addresses...)
	}
	return []interface{}{eps.Name, string(eps.AddressType), firstThree(ports), firstThree(addrs), table.Age(eps.CreationTimestamp)}
})

// firstThree mirrors listWithMoreString: up to three items, then
// "+ N more...", or "<unset>" for none.
func firstThree(list []string) string {
	const max = 3
	if len(list) > max {
		return fmt.Sprintf("%s + %d more...", strings.Join(list[:max], ","), len(list)-max)
	}
	if len(list) == 0 {
		return "<unset>"
	}
	return strings.Join(list, ",")
}
