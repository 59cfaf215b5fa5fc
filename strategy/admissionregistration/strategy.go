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
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"
)

// Object is an admissionregistration.k8s.io object.
type Object interface {
	runtime.Object
	metav1.Object
}

// Kind is what the strategy of one cluster-scoped admissionregistration kind
// does with its objects; the strategies of the webhook configurations and
// of the policy bindings differ only in it (upstream has one strategy.go per
// kind under pkg/registry/admissionregistration, alike but for the types).
type Kind[T Object] struct {
	// Changed tells whether an update changes what bumps the generation.
	Changed func(obj, old T) bool
	// Validate and ValidateUpdate validate a create and an update.
	Validate       func(ctx context.Context, obj T) field.ErrorList
	ValidateUpdate func(ctx context.Context, obj, old T) field.ErrorList
	// WarningsOnCreate and WarningsOnUpdate may be nil: no warnings.
	WarningsOnCreate func(obj T) []string
	WarningsOnUpdate func(obj T) []string
}

// Strategy is the create, update and delete strategy of a kind: generation
// 1 on create, bumped when Kind.Changed, no create on update, updates only
// with a resourceVersion.
type Strategy[T Object] struct {
	// DeclarativeValidation: upstream's strategies embed
	// rest.DeclarativeValidation, whose pass over the handwritten errors
	// (k8s.io/apiserver pkg/registry/rest/validate.go,
	// ValidateDeclarativelyWithMigrationChecks: FilterCoveredHandwrittenErrors,
	// field.ErrorList.Filter) drops repeated identical errors, and which runs
	// the kind's beta declarative rules (RegisterValidations).
	rest.DeclarativeValidation
	runtime.ObjectTyper
	names.NameGenerator
	kind Kind[T]
}

// NewStrategy returns the strategy of kind.
func NewStrategy[T Object](scheme *runtime.Scheme, kind Kind[T]) *Strategy[T] {
	return &Strategy[T]{rest.DeclarativeValidation{Scheme: scheme}, scheme, names.SimpleNameGenerator, kind}
}

// NamespaceScoped is false: these kinds are cluster-scoped.
func (*Strategy[T]) NamespaceScoped() bool { return false }

// PrepareForCreate starts the generation at 1.
func (*Strategy[T]) PrepareForCreate(_ context.Context, obj runtime.Object) {
	obj.(T).SetGeneration(1)
}

// PrepareForUpdate bumps the generation when the object changes.
func (s *Strategy[T]) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	o, oldO := obj.(T), old.(T)
	if s.kind.Changed(o, oldO) {
		o.SetGeneration(oldO.GetGeneration() + 1)
	}
}

// Validate validates a new object.
func (s *Strategy[T]) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return s.kind.Validate(ctx, obj.(T))
}

// WarningsOnCreate returns the kind's warnings.
func (s *Strategy[T]) WarningsOnCreate(_ context.Context, obj runtime.Object) []string {
	if s.kind.WarningsOnCreate == nil {
		return nil
	}
	return s.kind.WarningsOnCreate(obj.(T))
}

// Canonicalize does nothing.
func (*Strategy[T]) Canonicalize(runtime.Object) {}

// AllowCreateOnUpdate is false.
func (*Strategy[T]) AllowCreateOnUpdate(context.Context) bool { return false }

// ValidateUpdate validates an update.
func (s *Strategy[T]) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return s.kind.ValidateUpdate(ctx, obj.(T), old.(T))
}

// WarningsOnUpdate returns the kind's warnings.
func (s *Strategy[T]) WarningsOnUpdate(_ context.Context, obj, _ runtime.Object) []string {
	if s.kind.WarningsOnUpdate == nil {
		return nil
	}
	return s.kind.WarningsOnUpdate(obj.(T))
}

// AllowUnconditionalUpdate is false: updates need a resourceVersion.
func (*Strategy[T]) AllowUnconditionalUpdate(context.Context) bool { return false }
