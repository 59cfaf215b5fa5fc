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

// Package configmap holds the rules of core/v1 config maps: their
// create/update strategy (pkg/registry/core/configmap/strategy.go) and field
// selection.
package configmap

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/names"

	"github.com/ephemera-dev/ephemera/strategy/validation"
)

type configMapStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	// DeclarativePass: upstream embeds rest.DeclarativeValidation.
	validation.DeclarativePass
}

// NewStrategy returns the create/update strategy of config maps.
func NewStrategy(typer runtime.ObjectTyper) configMapStrategy {
	return configMapStrategy{typer, names.SimpleNameGenerator, validation.DeclarativePass{}}
}

// NamespaceScoped is true.
func (configMapStrategy) NamespaceScoped() bool { return true }

// PrepareForCreate keeps everything (no field is gated in v1.37).
func (configMapStrategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {}

// PrepareForUpdate keeps everything.
func (configMapStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {}

// Validate mirrors validation.ValidateConfigMap.
func (configMapStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateConfigMap(obj.(*corev1.ConfigMap))
}

// WarningsOnCreate returns nothing.
func (configMapStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string {
	return nil
}

// Canonicalize does nothing.
func (configMapStrategy) Canonicalize(obj runtime.Object) {}

// AllowCreateOnUpdate is false.
func (configMapStrategy) AllowCreateOnUpdate(ctx context.Context) bool { return false }

// ValidateUpdate mirrors validation.ValidateConfigMapUpdate.
func (configMapStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateConfigMapUpdate(obj.(*corev1.ConfigMap), old.(*corev1.ConfigMap))
}

// WarningsOnUpdate returns nothing.
func (configMapStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// AllowUnconditionalUpdate is true.
func (configMapStrategy) AllowUnconditionalUpdate(ctx context.Context) bool { return true }

// GetAttrs mirrors configmap.GetAttrs: only the object-meta fields.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok {
		return nil, nil, fmt.Errorf("not a configmap")
	}
	return labels.Set(cm.Labels), generic.ObjectMetaFieldsSet(&cm.ObjectMeta, true), nil
}

// Match mirrors configmap.Matcher.
func Match(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{Label: label, Field: field, GetAttrs: GetAttrs}
}
