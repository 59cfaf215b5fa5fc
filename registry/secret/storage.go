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

// Package secret is the REST storage of secrets
// (k8s.io/kubernetes/pkg/registry/core/secret/storage).
package secret

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/ephemera-dev/ephemera/registry/table"
	secretstrategy "github.com/ephemera-dev/ephemera/strategy/secret"
)

// REST is the storage of secrets.
type REST struct {
	*genericregistry.Store
}

// NewREST returns the secret storage on the given options.
func NewREST(optsGetter generic.RESTOptionsGetter, typer runtime.ObjectTyper) (*REST, error) {
	s := secretstrategy.NewStrategy(typer)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &corev1.Secret{} },
		NewListFunc:               func() runtime.Object { return &corev1.SecretList{} },
		PredicateFunc:             secretstrategy.Match,
		DefaultQualifiedResource:  corev1.Resource("secrets"),
		SingularQualifiedResource: corev1.Resource("secret"),

		CreateStrategy: s,
		UpdateStrategy: s,
		DeleteStrategy: s,

		TableConvertor: table.Convertor{Columns: columns, Row: row},
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: secretstrategy.GetAttrs}); err != nil {
		return nil, err
	}
	return &REST{store}, nil
}

// columns are printSecret's (pkg/printers/internalversion/printers.go).
var columns = []metav1.TableColumnDefinition{
	table.NameColumn,
	{Name: "Type", Type: "string", Description: corev1.Secret{}.SwaggerDoc()["type"]},
	{Name: "Data", Type: "string", Description: corev1.Secret{}.SwaggerDoc()["data"]},
	table.AgeColumn,
}

var row = table.Rows(func(s *corev1.Secret) []interface{} {
	return []interface{}{s.Name, string(s.Type), int64(len(s.Data)), table.Age(s.CreationTimestamp)}
})
