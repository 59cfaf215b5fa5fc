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

package namespace

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apiserver/pkg/registry/generic"

	"github.com/ephemera-dev/ephemera/internal/fieldlabel"
)

// GetAttrs and Match mirror GetAttrs and MatchNamespace
// (pkg/registry/core/namespace/strategy.go): selectors see a namespace's
// labels and ToSelectableFields.
var GetAttrs, Match = fieldlabel.Selection("a namespace", ToSelectableFields)

// ToSelectableFields mirrors namespace.ToSelectableFields
// (including the legacy unprefixed "name" key).
func ToSelectableFields(ns *corev1.Namespace) fields.Set {
	return generic.MergeFieldsSets(generic.ObjectMetaFieldsSet(&ns.ObjectMeta, false), fields.Set{
		"status.phase": string(ns.Status.Phase),
		"name":         ns.Name,
	})
}

// FieldLabelConversion mirrors the field-label conversion registered for
// this kind in pkg/apis/core/v1/conversion.go.
var FieldLabelConversion = fieldlabel.Conversion("status.phase", "metadata.name")
