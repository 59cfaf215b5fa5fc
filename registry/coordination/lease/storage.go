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

// Package lease is the REST storage of coordination.k8s.io/v1 leases
// (k8s.io/kubernetes/pkg/registry/coordination/lease/storage).
package lease

import (
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/ephemera-dev/ephemera/registry/table"
	leasestrategy "github.com/ephemera-dev/ephemera/strategy/coordination/lease"
)

// REST is the storage of leases.
type REST struct {
	*genericregistry.Store
}

// NewREST returns the lease storage on the given options.
func NewREST(optsGetter generic.RESTOptionsGetter, typer runtime.ObjectTyper) (*REST, error) {
	s := leasestrategy.NewStrategy(typer)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &coordinationv1.Lease{} },
		NewListFunc:               func() runtime.Object { return &coordinationv1.LeaseList{} },
		PredicateFunc:             leasestrategy.Match,
		DefaultQualifiedResource:  coordinationv1.Resource("leases"),
		SingularQualifiedResource: coordinationv1.Resource("lease"),

		CreateStrategy: s,
		UpdateStrategy: s,
		DeleteStrategy: s,

		TableConvertor: table.Convertor{Columns: columns, Row: row},
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: leasestrategy.GetAttrs}); err != nil {
		return nil, err
	}
	return &REST{store}, nil
}

// columns are printLease's (pkg/printers/internalversion/printers.go).
var columns = []metav1.TableColumnDefinition{
	table.NameColumn,
	{Name: "Holder", Type: "string", Description: coordinationv1.LeaseSpec{}.SwaggerDoc()["holderIdentity"]},
	table.AgeColumn,
}

var row = table.Rows(func(l *coordinationv1.Lease) []interface{} {
	holder := ""
	if l.Spec.HolderIdentity != nil {
		holder = *l.Spec.HolderIdentity
	}
	return []interface{}{l.Name, holder, table.Age(l.CreationTimestamp)}
})
