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

// Package validatingadmissionpolicybinding is the REST storage of ValidatingAdmissionPolicyBindings
// (k8s.io/kubernetes/pkg/registry/admissionregistration/validatingadmissionpolicybinding/storage).
package validatingadmissionpolicybinding

import (
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/ephemera-dev/ephemera/registry/table"
	"github.com/ephemera-dev/ephemera/strategy/admissionregistration"
	strategy "github.com/ephemera-dev/ephemera/strategy/admissionregistration/validatingadmissionpolicybinding"
)

// REST is the storage of ValidatingAdmissionPolicyBindings.
type REST struct {
	*genericregistry.Store
}

var _ rest.CategoriesProvider = &REST{}

// Categories implements rest.CategoriesProvider.
func (*REST) Categories() []string { return []string{"api-extensions"} }

// NewREST returns the storage on the given options; params authorizes the
// paramRef against the paramKind of the bound policy, which paramKind looks up.
func NewREST(optsGetter generic.RESTOptionsGetter, scheme *runtime.Scheme, params admissionregistration.ParamAuthorizer, paramKind strategy.ParamKindGetter) (*REST, error) {
	s := strategy.NewStrategy(scheme, params, paramKind)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{} },
		NewListFunc:               func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyBindingList{} },
		DefaultQualifiedResource:  admissionregistrationv1.Resource("validatingadmissionpolicybindings"),
		SingularQualifiedResource: admissionregistrationv1.Resource("validatingadmissionpolicybinding"),

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
	{Name: "PolicyName", Type: "string", Description: "PolicyName indicates the policy definition which the policy binding binded to"},
	{Name: "ParamRef", Type: "string", Description: "ParamRef indicates the param resource which sets the configuration param"},
	table.AgeColumn,
}

func row(obj runtime.Object) ([]interface{}, []metav1.TableRowCondition, error) {
	b, ok := obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding)
	if !ok {
		return nil, nil, fmt.Errorf("expected *v1.ValidatingAdmissionPolicyBinding, got %T", obj)
	}
	return []interface{}{b.Name, b.Spec.PolicyName, admissionregistration.ParamRefColumn(b.Spec.ParamRef), table.Age(b.CreationTimestamp)}, nil, nil
}
