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

// Package event holds the rules of core/v1 events: their create/update
// strategy (pkg/registry/core/event/strategy.go), time to live and field
// selection.
package event

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"

	"github.com/ephemera-dev/ephemera/strategy/validation"
)

// TTL mirrors kube-apiserver's --event-ttl default (1h): events expire
// from storage this long after their last write
// (pkg/registry/core/event/storage/storage.go, TTLFunc).
const TTL = time.Hour

// TTLSeconds is TTL in the unit generic.Store's TTLFunc returns.
const TTLSeconds = uint64(TTL / time.Second)

// eventStrategy mirrors k8s.io/kubernetes/pkg/registry/core/event/strategy.go.
type eventStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	// DeclarativePass: upstream embeds rest.DeclarativeValidation.
	validation.DeclarativePass
}

// NewStrategy returns the create/update strategy for core/v1 events.
func NewStrategy(typer runtime.ObjectTyper) eventStrategy {
	return eventStrategy{typer, names.SimpleNameGenerator, validation.DeclarativePass{}}
}

// DefaultGarbageCollectionPolicy: events take no part in garbage collection.
func (eventStrategy) DefaultGarbageCollectionPolicy(ctx context.Context) rest.GarbageCollectionPolicy {
	return rest.Unsupported
}

// NamespaceScoped is true for events.
func (eventStrategy) NamespaceScoped() bool { return true }

// PrepareForCreate is a no-op.
func (eventStrategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {}

// PrepareForUpdate is a no-op.
func (eventStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {}

// Validate mirrors validation.ValidateEventCreate (the core/v1 request version).
func (eventStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateEvent(obj.(*corev1.Event))
}

// WarningsOnCreate returns nothing.
func (eventStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string { return nil }

// Canonicalize is a no-op.
func (eventStrategy) Canonicalize(obj runtime.Object) {}

// AllowCreateOnUpdate is true for events.
func (eventStrategy) AllowCreateOnUpdate(ctx context.Context) bool { return true }

// ValidateUpdate mirrors validation.ValidateEventUpdate.
func (eventStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateEventUpdate(obj.(*corev1.Event), old.(*corev1.Event))
}

// WarningsOnUpdate returns nothing.
func (eventStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

// AllowUnconditionalUpdate is true for events.
func (eventStrategy) AllowUnconditionalUpdate(ctx context.Context) bool { return true }
