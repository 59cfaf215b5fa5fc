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

package admissionregistration

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/ephemera-dev/ephemera/registry/table"
	strategy "github.com/ephemera-dev/ephemera/strategy/admissionregistration"
	"github.com/ephemera-dev/ephemera/strategy/admissionregistration/mutatingadmissionpolicybinding"
	"github.com/ephemera-dev/ephemera/strategy/admissionregistration/mutatingwebhookconfiguration"
	"github.com/ephemera-dev/ephemera/strategy/admissionregistration/validatingadmissionpolicybinding"
	"github.com/ephemera-dev/ephemera/strategy/admissionregistration/validatingwebhookconfiguration"
)

// The webhook configurations and the policy bindings have plain stores
// (k8s.io/kubernetes/pkg/registry/admissionregistration/<kind>/storage):
// cluster-scoped, their kind's strategy, kube-apiserver's table columns
// (pkg/printers/internalversion/printers.go), in the category
// "api-extensions".

// apiExtensions is the store of one of those kinds.
type apiExtensions struct {
	*genericregistry.Store
}

var _ rest.CategoriesProvider = &apiExtensions{}

// Categories implements rest.CategoriesProvider.
func (*apiExtensions) Categories() []string { return []string{"api-extensions"} }

// kind describes the store of one kind, whose objects are T.
type kind[T strategy.Object] struct {
	newObj, newList    func() runtime.Object
	resource, singular string
	strategy           *strategy.Strategy[T]
	columns            []metav1.TableColumnDefinition
	cells              func(T) []interface{}
}

func newStore[T strategy.Object](optsGetter generic.RESTOptionsGetter, k kind[T]) (*apiExtensions, error) {
	store := &genericregistry.Store{
		NewFunc:                   k.newObj,
		NewListFunc:               k.newList,
		DefaultQualifiedResource:  admissionregistrationv1.Resource(k.resource),
		SingularQualifiedResource: admissionregistrationv1.Resource(k.singular),

		CreateStrategy: k.strategy,
		UpdateStrategy: k.strategy,
		DeleteStrategy: k.strategy,

		TableConvertor: table.Convertor{Columns: k.columns, Row: table.Rows(k.cells)},
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter}); err != nil {
		return nil, err
	}
	return &apiExtensions{store}, nil
}

var webhooksColumns = []metav1.TableColumnDefinition{
	table.NameColumn,
	{Name: "Webhooks", Type: "integer", Description: "Webhooks indicates the number of webhooks registered in this configuration"},
	table.AgeColumn,
}

func newValidatingWebhookConfigurations(optsGetter generic.RESTOptionsGetter, scheme *runtime.Scheme) (*apiExtensions, error) {
	return newStore(optsGetter, kind[*admissionregistrationv1.ValidatingWebhookConfiguration]{
		newObj:   func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfiguration{} },
		newList:  func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfigurationList{} },
		resource: "validatingwebhookconfigurations", singular: "validatingwebhookconfiguration",
		strategy: validatingwebhookconfiguration.NewStrategy(scheme),
		columns:  webhooksColumns,
		cells: func(c *admissionregistrationv1.ValidatingWebhookConfiguration) []interface{} {
			return []interface{}{c.Name, int64(len(c.Webhooks)), table.Age(c.CreationTimestamp)}
		},
	})
}

func newMutatingWebhookConfigurations(optsGetter generic.RESTOptionsGetter, scheme *runtime.Scheme) (*apiExtensions, error) {
	return newStore(optsGetter, kind[*admissionregistrationv1.MutatingWebhookConfiguration]{
		newObj:   func() runtime.Object { return &admissionregistrationv1.MutatingWebhookConfiguration{} },
		newList:  func() runtime.Object { return &admissionregistrationv1.MutatingWebhookConfigurationList{} },
		resource: "mutatingwebhookconfigurations", singular: "mutatingwebhookconfiguration",
		strategy: mutatingwebhookconfiguration.NewStrategy(scheme),
		columns:  webhooksColumns,
		cells: func(c *admissionregistrationv1.MutatingWebhookConfiguration) []interface{} {
			return []interface{}{c.Name, int64(len(c.Webhooks)), table.Age(c.CreationTimestamp)}
		},
	})
}

var bindingColumns = []metav1.TableColumnDefinition{
	table.NameColumn,
	{Name: "PolicyName", Type: "string", Description: "PolicyName indicates the policy definition which the policy binding binded to"},
	{Name: "ParamRef", Type: "string", Description: "ParamRef indicates the param resource which sets the configuration param"},
	table.AgeColumn,
}

// newValidatingAdmissionPolicyBindings returns the store; params authorizes
// the paramRef against the paramKind of the bound policy, which paramKind
// looks up (and likewise for the mutating bindings).
func newValidatingAdmissionPolicyBindings(optsGetter generic.RESTOptionsGetter, scheme *runtime.Scheme, params strategy.ParamAuthorizer, paramKind strategy.ParamKindGetter) (*apiExtensions, error) {
	return newStore(optsGetter, kind[*admissionregistrationv1.ValidatingAdmissionPolicyBinding]{
		newObj:   func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{} },
		newList:  func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyBindingList{} },
		resource: "validatingadmissionpolicybindings", singular: "validatingadmissionpolicybinding",
		strategy: validatingadmissionpolicybinding.NewStrategy(scheme, params, paramKind),
		columns:  bindingColumns,
		cells: func(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) []interface{} {
			return []interface{}{b.Name, b.Spec.PolicyName, strategy.ParamRefColumn(b.Spec.ParamRef), table.Age(b.CreationTimestamp)}
		},
	})
}

func newMutatingAdmissionPolicyBindings(optsGetter generic.RESTOptionsGetter, scheme *runtime.Scheme, params strategy.ParamAuthorizer, paramKind strategy.ParamKindGetter) (*apiExtensions, error) {
	return newStore(optsGetter, kind[*admissionregistrationv1.MutatingAdmissionPolicyBinding]{
		newObj:   func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicyBinding{} },
		newList:  func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicyBindingList{} },
		resource: "mutatingadmissionpolicybindings", singular: "mutatingadmissionpolicybinding",
		strategy: mutatingadmissionpolicybinding.NewStrategy(scheme, params, paramKind),
		columns:  bindingColumns,
		cells: func(b *admissionregistrationv1.MutatingAdmissionPolicyBinding) []interface{} {
			return []interface{}{b.Name, b.Spec.PolicyName, strategy.ParamRefColumn(b.Spec.ParamRef), table.Age(b.CreationTimestamp)}
		},
	})
}
