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

// Package validatingwebhookconfiguration holds the strategy of ValidatingWebhookConfigurations, mirroring
// k8s.io/kubernetes/pkg/registry/admissionregistration/validatingwebhookconfiguration/strategy.go.
package validatingwebhookconfiguration

import (
	"context"
	"reflect"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"

	"github.com/ephemera-dev/ephemera/strategy/admissionregistration"
)

// Strategy is the create, update and delete strategy of ValidatingWebhookConfigurations.
type Strategy struct {
	// DeclarativeValidation: upstream's strategy embeds
	// rest.DeclarativeValidation, whose pass over the handwritten errors
	// (k8s.io/apiserver pkg/registry/rest/validate.go,
	// ValidateDeclarativelyWithMigrationChecks: FilterCoveredHandwrittenErrors,
	// field.ErrorList.Filter) drops repeated identical errors; the
	// generated rules of this type are alpha and never enforced.
	rest.DeclarativeValidation
	runtime.ObjectTyper
	names.NameGenerator
}

// NewStrategy returns the strategy.
func NewStrategy(scheme *runtime.Scheme) Strategy {
	return Strategy{rest.DeclarativeValidation{Scheme: scheme}, scheme, names.SimpleNameGenerator}
}

// NamespaceScoped is false: ValidatingWebhookConfigurations are cluster-scoped.
func (Strategy) NamespaceScoped() bool { return false }

// PrepareForCreate starts the generation at 1.
func (Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	obj.(*admissionregistrationv1.ValidatingWebhookConfiguration).Generation = 1
}

// PrepareForUpdate bumps the generation when the webhooks change.
func (Strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	c, oldC := obj.(*admissionregistrationv1.ValidatingWebhookConfiguration), old.(*admissionregistrationv1.ValidatingWebhookConfiguration)
	if !reflect.DeepEqual(c.Webhooks, oldC.Webhooks) {
		c.Generation = oldC.Generation + 1
	}
}

// Validate validates a new configuration; names with the static-manifest
// suffix are refused.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	c := obj.(*admissionregistrationv1.ValidatingWebhookConfiguration)
	return append(admissionregistration.ValidateValidatingWebhookConfiguration(c), admissionregistration.ValidateStaticSuffix(c.Name)...)
}

// WarningsOnCreate warns about rules naming resources webhooks never see.
func (Strategy) WarningsOnCreate(_ context.Context, obj runtime.Object) []string {
	return admissionregistration.WarningsForWebhookRules(admissionregistration.ValidatingRules(obj.(*admissionregistrationv1.ValidatingWebhookConfiguration).Webhooks))
}

// Canonicalize does nothing.
func (Strategy) Canonicalize(runtime.Object) {}

// AllowCreateOnUpdate is false.
func (Strategy) AllowCreateOnUpdate(context.Context) bool { return false }

// ValidateUpdate validates an update, relaxed for what the old object had.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return admissionregistration.ValidateValidatingWebhookConfigurationUpdate(obj.(*admissionregistrationv1.ValidatingWebhookConfiguration), old.(*admissionregistrationv1.ValidatingWebhookConfiguration))
}

// WarningsOnUpdate warns about a reserved name and about rules naming
// resources webhooks never see.
func (Strategy) WarningsOnUpdate(_ context.Context, obj, _ runtime.Object) []string {
	c := obj.(*admissionregistrationv1.ValidatingWebhookConfiguration)
	return append(admissionregistration.WarningsForStaticSuffix(c.Name),
		admissionregistration.WarningsForWebhookRules(admissionregistration.ValidatingRules(c.Webhooks))...)
}

// AllowUnconditionalUpdate is false: updates need a resourceVersion.
func (Strategy) AllowUnconditionalUpdate(context.Context) bool { return false }
