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

package event

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apiserver/pkg/registry/generic"

	"github.com/ephemera-dev/ephemera/internal/fieldlabel"
)

// GetAttrs and Match mirror GetAttrs and Matcher
// (pkg/registry/core/event/strategy.go): selectors see an event's labels and
// ToSelectableFields.
var GetAttrs, Match = fieldlabel.Selection("an event", ToSelectableFields)

// ToSelectableFields mirrors event.ToSelectableFields: "source" falls
// back to reportingController, "reportingComponent" is reportingController.
func ToSelectableFields(ev *corev1.Event) fields.Set {
	source := ev.Source.Component
	if source == "" {
		source = ev.ReportingController
	}
	return generic.MergeFieldsSets(fields.Set{
		"involvedObject.kind":            ev.InvolvedObject.Kind,
		"involvedObject.namespace":       ev.InvolvedObject.Namespace,
		"involvedObject.name":            ev.InvolvedObject.Name,
		"involvedObject.uid":             string(ev.InvolvedObject.UID),
		"involvedObject.apiVersion":      ev.InvolvedObject.APIVersion,
		"involvedObject.resourceVersion": ev.InvolvedObject.ResourceVersion,
		"involvedObject.fieldPath":       ev.InvolvedObject.FieldPath,
		"reason":                         ev.Reason,
		"reportingComponent":             ev.ReportingController,
		"source":                         source,
		"type":                           ev.Type,
	}, generic.ObjectMetaFieldsSet(&ev.ObjectMeta, true))
}

// FieldLabelConversion mirrors the field-label conversion registered for
// this kind in pkg/apis/core/v1/conversion.go.
var FieldLabelConversion = fieldlabel.Conversion("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
	"involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
	"involvedObject.fieldPath", "reason", "reportingComponent", "source", "type",
	"metadata.namespace", "metadata.name")
