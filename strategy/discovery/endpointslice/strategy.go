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

// Package endpointslice holds the rules of discovery.k8s.io/v1 endpoint
// slices: their create/update strategy
// (pkg/registry/discovery/endpointslice/strategy.go), validation
// (pkg/apis/discovery/validation) and field selection.
package endpointslice

import (
	"context"
	"fmt"

	"github.com/ephemera-dev/ephemera/strategy/validation"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/names"
)

type endpointSliceStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	// DeclarativePass: upstream embeds rest.DeclarativeValidation.
	validation.DeclarativePass
}

// NewStrategy returns the create/update strategy of endpoint slices.
func NewStrategy(typer runtime.ObjectTyper) endpointSliceStrategy {
	return endpointSliceStrategy{typer, names.SimpleNameGenerator, validation.DeclarativePass{}}
}

// NamespaceScoped is true.
func (endpointSliceStrategy) NamespaceScoped() bool { return true }

// PrepareForCreate starts the generation at 1 and drops the deprecated
// topology, as a v1 write does (dropTopologyOnV1).
func (endpointSliceStrategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	eps := obj.(*discoveryv1.EndpointSlice)
	eps.Generation = 1
	dropTopology(nil, eps)
}

// PrepareForUpdate bumps the generation when anything but the metadata
// (labels aside) changed, and drops the deprecated topology.
func (endpointSliceStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newEPS, oldEPS := obj.(*discoveryv1.EndpointSlice), old.(*discoveryv1.EndpointSlice)
	newMeta, oldMeta := newEPS.ObjectMeta, oldEPS.ObjectMeta
	newEPS.ObjectMeta, oldEPS.ObjectMeta = metav1.ObjectMeta{}, metav1.ObjectMeta{}
	if !apiequality.Semantic.DeepEqual(newEPS, oldEPS) || !apiequality.Semantic.DeepEqual(newMeta.Labels, oldMeta.Labels) {
		newMeta.Generation = oldMeta.Generation + 1
	}
	newEPS.ObjectMeta, oldEPS.ObjectMeta = newMeta, oldMeta
	dropTopology(oldEPS, newEPS)
}

// dropTopology mirrors dropTopologyOnV1: on a v1 write the deprecated
// topology goes, its hostname label becoming nodeName where the old slice
// named that node.
func dropTopology(oldEPS, newEPS *discoveryv1.EndpointSlice) {
	if oldEPS != nil && apiequality.Semantic.DeepEqual(oldEPS.Endpoints, newEPS.Endpoints) {
		return
	}
	prev := map[string]bool{}
	if oldEPS != nil {
		for _, ep := range oldEPS.Endpoints {
			if n := ep.DeprecatedTopology["kubernetes.io/hostname"]; n != "" {
				prev[n] = true
			}
		}
	}
	for i := range newEPS.Endpoints {
		ep := &newEPS.Endpoints[i]
		if n, ok := ep.DeprecatedTopology["kubernetes.io/hostname"]; ep.NodeName == nil && ok && prev[n] &&
			len(utilvalidation.IsDNS1123Subdomain(n)) == 0 {
			ep.NodeName = &n
		}
		ep.DeprecatedTopology = nil
	}
}

// Validate mirrors ValidateEndpointSliceCreate.
func (endpointSliceStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return ValidateEndpointSlice(obj.(*discoveryv1.EndpointSlice), nil)
}

// WarningsOnCreate mirrors the upstream warnings: FQDN slices are
// deprecated; IPs not in canonical form.
func (endpointSliceStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string {
	eps := obj.(*discoveryv1.EndpointSlice)
	var w []string
	if eps.AddressType == discoveryv1.AddressTypeFQDN {
		w = append(w, "spec.addressType: FQDN endpoints are deprecated")
	}
	return append(w, warnOnBadIPs(eps)...)
}

// Canonicalize does nothing.
func (endpointSliceStrategy) Canonicalize(obj runtime.Object) {}

// AllowCreateOnUpdate is false.
func (endpointSliceStrategy) AllowCreateOnUpdate(ctx context.Context) bool { return false }

// ValidateUpdate mirrors ValidateEndpointSliceUpdate.
func (endpointSliceStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return ValidateEndpointSlice(obj.(*discoveryv1.EndpointSlice), old.(*discoveryv1.EndpointSlice))
}

// WarningsOnUpdate warns about IPs not in canonical form.
func (endpointSliceStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return warnOnBadIPs(obj.(*discoveryv1.EndpointSlice))
}

// AllowUnconditionalUpdate is true.
func (endpointSliceStrategy) AllowUnconditionalUpdate(ctx context.Context) bool { return true }

// warnOnBadIPs mirrors the upstream function; slices the endpoint-slice
// controllers manage are trusted.
func warnOnBadIPs(eps *discoveryv1.EndpointSlice) []string {
	switch eps.Labels[discoveryv1.LabelManagedBy] {
	case "endpointslice-controller.k8s.io", "endpointslicemirroring-controller.k8s.io":
		return nil
	}
	var w []string
	for i := range eps.Endpoints {
		for j, addr := range eps.Endpoints[i].Addresses {
			w = append(w, utilvalidation.GetWarningsForIP(field.NewPath("endpoints").Index(i).Child("addresses").Index(j), addr)...)
		}
	}
	return w
}

// GetAttrs returns the object-meta fields (endpoint slices have no
// selectable fields of their own).
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	eps, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return nil, nil, fmt.Errorf("not an endpointslice")
	}
	return labels.Set(eps.Labels), generic.ObjectMetaFieldsSet(&eps.ObjectMeta, true), nil
}

// Match is the selection predicate of endpoint slices.
func Match(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{Label: label, Field: field, GetAttrs: GetAttrs}
}
