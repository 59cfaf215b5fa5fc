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

// Package mutatingwebhookconfiguration is the REST storage of MutatingWebhookConfigurations
// (k8s.io/kubernetes/pkg/registry/admissionregistration/mutatingwebhookconfiguration/storage).
package mutatingwebhookconfiguration

import (
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/ephemera-dev/ephemera/registry/table"
	strategy "github.com/ephemera-dev/ephemera/strategy/admissionregistration/mutatingwebhookconfiguration"
)

// REST is the storage of MutatingWebhookConfigurations.
type REST struct {
	*genericregistry.Store
}

var _ rest.CategoriesProvider = &REST{}

// Categories implements rest.CategoriesProvider.
func (*REST) Categories() []string { return []string{"api-extensions"} }

// NewREST returns the storage on the given options.
func NewREST(optsGetter generic.RESTOptionsGetter, scheme *runtime.Scheme) (*REST, error) {
	s := strategy.NewStrategy(scheme)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &admissionregistrationv1.MutatingWebhookConfiguration{} },
		NewListFunc:               func() runtime.Object { return &admissionregistrationv1.MutatingWebhookConfigurationList{} },
		DefaultQualifiedResource:  admissionregistrationv1.Resource("mutatingwebhookconfigurations"),
		SingularQualifiedResource: admissionregistrationv1.Resource("mutatingwebhookconfiguration"),

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
	{Name: "Webhooks", Type: "integer", Description: "Webhooks indicates the number of webhooks registered in this configuration"},
	table.AgeColumn,
}

func row(obj runtime.Object) ([]interface{}, []metav1.TableRowCondition, error) {
	c, ok := obj.(*admissionregistrationv1.MutatingWebhookConfiguration)
	if !ok {
		return nil, nil, fmt.Errorf("expected *v1.MutatingWebhookConfiguration, got %T", obj)
	}
	return []interface{}{c.Name, int64(len(c.Webhooks)), table.Age(c.CreationTimestamp)}, nil, nil
}
