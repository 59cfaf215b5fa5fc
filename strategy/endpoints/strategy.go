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

//lint:file-ignore SA1019 the rules of core/v1 Endpoints, deprecated but still served by kube-apiserver v1.37.2

// Package endpoints holds the rules of core/v1 endpoints: their
// create/update strategy (pkg/registry/core/endpoint/strategy.go), warnings
// and field selection.
package endpoints

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/names"

	"github.com/ephemera-dev/ephemera/strategy/validation"
)

type endpointsStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	// DeclarativePass: upstream embeds rest.DeclarativeValidation.
	validation.DeclarativePass
}

// NewStrategy returns the create/update strategy of endpoints.
func NewStrategy(typer runtime.ObjectTyper) endpointsStrategy {
	return endpointsStrategy{typer, names.SimpleNameGenerator, validation.DeclarativePass{}}
}

// NamespaceScoped is true.
func (endpointsStrategy) NamespaceScoped() bool { return true }

// PrepareForCreate keeps everything.
func (endpointsStrategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {}

// PrepareForUpdate keeps everything.
func (endpointsStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {}

// Validate mirrors validation.ValidateEndpointsCreate.
func (endpointsStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateEndpointsCreate(obj.(*corev1.Endpoints))
}

// WarningsOnCreate mirrors endpointsWarnings.
func (endpointsStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string {
	return warnings(obj.(*corev1.Endpoints))
}

// Canonicalize does nothing (upstream repacks subsets on the internal
// version only for endpoints written by old clients).
func (endpointsStrategy) Canonicalize(obj runtime.Object) {}

// AllowCreateOnUpdate is true.
func (endpointsStrategy) AllowCreateOnUpdate(ctx context.Context) bool { return true }

// ValidateUpdate mirrors validation.ValidateEndpointsUpdate.
func (endpointsStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateEndpointsUpdate(obj.(*corev1.Endpoints), old.(*corev1.Endpoints))
}

// WarningsOnUpdate mirrors endpointsWarnings.
func (endpointsStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return warnings(obj.(*corev1.Endpoints))
}

// AllowUnconditionalUpdate is true.
func (endpointsStrategy) AllowUnconditionalUpdate(ctx context.Context) bool { return true }

// warnings mirrors endpointsWarnings: IPs that are not in canonical form,
// except for endpoints the endpoints controller manages.
func warnings(ep *corev1.Endpoints) []string {
	if ep.Labels["endpoints.kubernetes.io/managed-by"] == "endpoint-controller" {
		return nil
	}
	var out []string
	for i := range ep.Subsets {
		for j := range ep.Subsets[i].Addresses {
			p := field.NewPath("subsets").Index(i).Child("addresses").Index(j).Child("ip")
			out = append(out, utilvalidation.GetWarningsForIP(p, ep.Subsets[i].Addresses[j].IP)...)
		}
		for j := range ep.Subsets[i].NotReadyAddresses {
			p := field.NewPath("subsets").Index(i).Child("notReadyAddresses").Index(j).Child("ip")
			out = append(out, utilvalidation.GetWarningsForIP(p, ep.Subsets[i].NotReadyAddresses[j].IP)...)
		}
	}
	return out
}

// GetAttrs mirrors endpoint.GetAttrs: only the object-meta fields.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	ep, ok := obj.(*corev1.Endpoints)
	if !ok {
		return nil, nil, fmt.Errorf("invalid object type %#v", obj)
	}
	return labels.Set(ep.Labels), generic.ObjectMetaFieldsSet(&ep.ObjectMeta, true), nil
}

// Match mirrors endpoint.MatchEndpoints.
func Match(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{Label: label, Field: field, GetAttrs: GetAttrs}
}
