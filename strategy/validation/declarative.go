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

package validation

import (
	"context"

	"k8s.io/apimachinery/pkg/api/operation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
)

// DeclarativePass makes a strategy a rest.DeclarativeValidationStrategy, as
// upstream's strategies of nearly every served kind are by embedding
// rest.DeclarativeValidation (pkg/registry/core/*/strategy.go,
// pkg/registry/rbac/*/strategy.go, coordination/lease,
// discovery/endpointslice). Its pass over the handwritten errors
// (k8s.io/apiserver pkg/registry/rest/validate.go,
// ValidateDeclarativelyWithMigrationChecks: FilterCoveredHandwrittenErrors,
// field.ErrorList.Filter, which goes through ToAggregate) drops errors that
// repeat an earlier one word for word: two empty finalizers are reported
// once. Ephemera registers no declarative rules; the handwritten ones answer
// as upstream's (the differential suite and fuzzer compare them).
type DeclarativePass struct{}

// ValidateDeclaratively implements rest.DeclarativeValidationStrategy.
func (DeclarativePass) ValidateDeclaratively(_ context.Context, _, _ runtime.Object, errs field.ErrorList, _ operation.Type, _ rest.DeclarativeValidationConfig) field.ErrorList {
	return Dedupe(errs)
}

// DeclarativeValidationConfig implements rest.DeclarativeValidationStrategy.
func (DeclarativePass) DeclarativeValidationConfig(context.Context, runtime.Object, runtime.Object) rest.DeclarativeValidationConfig {
	return rest.DeclarativeValidationConfig{}
}

var _ rest.DeclarativeValidationStrategy = DeclarativePass{}
