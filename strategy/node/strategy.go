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

// Package node holds the rules of core/v1 nodes: the strategies of nodes and
// nodes/status (pkg/registry/core/node/strategy.go) and field selection.
package node

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/ephemera-dev/ephemera/internal/fieldlabel"
	"github.com/ephemera-dev/ephemera/strategy/validation"
)

// nodeStrategy mirrors k8s.io/kubernetes/pkg/registry/core/node/strategy.go
// (nodeStrategy). Unlike pods, a node's status is kept on create: a kubelet
// registers its node with the status filled in.
type nodeStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	// DeclarativePass: upstream embeds rest.DeclarativeValidation.
	validation.DeclarativePass
}

// NewStrategy returns the create/update strategy of nodes.
func NewStrategy(typer runtime.ObjectTyper) nodeStrategy {
	return nodeStrategy{typer, names.SimpleNameGenerator, validation.DeclarativePass{}}
}

// NamespaceScoped is false: nodes are cluster-scoped.
func (nodeStrategy) NamespaceScoped() bool { return false }

// GetResetFields: the main endpoint does not write status.
func (nodeStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{"v1": fieldpath.NewSet(fieldpath.MakePathOrDie("status"))}
}

// AllowCreateOnUpdate is false for nodes.
func (nodeStrategy) AllowCreateOnUpdate(ctx context.Context) bool { return false }

// PrepareForCreate keeps everything (upstream only drops disabled fields).
func (nodeStrategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {}

// PrepareForUpdate keeps the stored status.
func (nodeStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	obj.(*corev1.Node).Status = old.(*corev1.Node).Status
}

// Validate mirrors nodeStrategy.Validate (metadata part, see validation.ValidateNode).
func (nodeStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateNode(obj.(*corev1.Node))
}

// WarningsOnCreate returns nothing.
func (nodeStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string { return nil }

// Canonicalize does nothing.
func (nodeStrategy) Canonicalize(obj runtime.Object) {}

// ValidateUpdate mirrors nodeStrategy.ValidateUpdate.
func (nodeStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	errs := validation.ValidateNode(obj.(*corev1.Node))
	return append(errs, validation.ValidateNodeUpdate(obj.(*corev1.Node), old.(*corev1.Node))...)
}

// WarningsOnUpdate returns nothing.
func (nodeStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// AllowUnconditionalUpdate is true for nodes.
func (nodeStrategy) AllowUnconditionalUpdate(ctx context.Context) bool { return true }

// nodeStatusStrategy mirrors nodeStatusStrategy (nodes/status).
type nodeStatusStrategy struct{ nodeStrategy }

// NewStatusStrategy returns the update strategy of nodes/status.
func NewStatusStrategy(typer runtime.ObjectTyper) nodeStatusStrategy {
	return nodeStatusStrategy{NewStrategy(typer)}
}

// GetResetFields: nodes/status never writes spec.
func (nodeStatusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{"v1": fieldpath.NewSet(fieldpath.MakePathOrDie("spec"))}
}

// PrepareForUpdate keeps the stored spec.
func (nodeStatusStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	obj.(*corev1.Node).Spec = old.(*corev1.Node).Spec
}

// ValidateUpdate mirrors nodeStatusStrategy.ValidateUpdate.
func (nodeStatusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateNodeUpdate(obj.(*corev1.Node), old.(*corev1.Node))
}

// ToSelectableFields mirrors node.ToSelectableFields.
func ToSelectableFields(node *corev1.Node) fields.Set {
	return generic.MergeFieldsSets(generic.ObjectMetaFieldsSet(&node.ObjectMeta, false), fields.Set{
		"spec.unschedulable": fmt.Sprint(node.Spec.Unschedulable),
	})
}

// FieldLabelConversion accepts the field selectors
// pkg/apis/core/v1/conversion.go registers for nodes: metadata.name and
// spec.unschedulable (`kubectl get nodes --field-selector
// spec.unschedulable=false`).
var FieldLabelConversion = fieldlabel.Conversion("metadata.name", "spec.unschedulable")

// GetAttrs and Match mirror GetAttrs and MatchNode
// (pkg/registry/core/node/strategy.go): selectors see a node's labels and
// ToSelectableFields.
var GetAttrs, Match = fieldlabel.Selection("a node", ToSelectableFields)
