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

// Package mutatingadmissionpolicy is the REST storage of MutatingAdmissionPolicys
// (k8s.io/kubernetes/pkg/registry/admissionregistration/mutatingadmissionpolicy/storage).
package mutatingadmissionpolicy

import (
	"context"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/ephemera-dev/ephemera/registry/table"
	"github.com/ephemera-dev/ephemera/strategy/admissionregistration"
	strategy "github.com/ephemera-dev/ephemera/strategy/admissionregistration/mutatingadmissionpolicy"
)

// REST is the storage of MutatingAdmissionPolicys.
type REST struct {
	*genericregistry.Store
}

var _ rest.CategoriesProvider = &REST{}

// Categories implements rest.CategoriesProvider.
func (*REST) Categories() []string { return []string{"api-extensions"} }

// ParamKind returns the paramKind of the named policy, for the bindings'
// authorization.
func (r *REST) ParamKind(ctx context.Context, name string) (*admissionregistrationv1.ParamKind, error) {
	obj, err := r.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*admissionregistrationv1.MutatingAdmissionPolicy).Spec.ParamKind, nil
}

// NewREST returns the storage on the given options; params authorizes
// paramKind.
func NewREST(optsGetter generic.RESTOptionsGetter, scheme *runtime.Scheme, params admissionregistration.ParamAuthorizer) (*REST, error) {
	s := strategy.NewStrategy(scheme, params)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicy{} },
		NewListFunc:               func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicyList{} },
		DefaultQualifiedResource:  admissionregistrationv1.Resource("mutatingadmissionpolicies"),
		SingularQualifiedResource: admissionregistrationv1.Resource("mutatingadmissionpolicy"),

		CreateStrategy: s,
		UpdateStrategy: s,
		DeleteStrategy: s,

		TableConvertor: table.Convertor{Columns: columns, Row: row},
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter}); err != nil {
		return nil, err
	}
	return &REST{store}, nil
}

// columns are kube-apiserver's (pkg/printers/internalversion/printers.go).
var columns = []metav1.TableColumnDefinition{
	table.NameColumn,
	{Name: "Mutations", Type: "integer", Description: "Mutation indicates the number of mutations rules defined in this configuration"},
	{Name: "ParamKind", Type: "string", Description: "ParamKind specifies the kind of resources used to parameterize this policy"},
	table.AgeColumn,
}

var row = table.Rows(func(p *admissionregistrationv1.MutatingAdmissionPolicy) []interface{} {
	paramKind := "<unset>"
	if pk := p.Spec.ParamKind; pk != nil {
		paramKind = pk.APIVersion + "/" + pk.Kind
	}
	return []interface{}{p.Name, int64(len(p.Spec.Mutations)), paramKind, table.Age(p.CreationTimestamp)}
})
