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

	"github.com/ephemera-dev/ephemera/strategy/admissionregistration"
)

type configuration = *admissionregistrationv1.ValidatingWebhookConfiguration

// Strategy is the create, update and delete strategy of ValidatingWebhookConfigurations.
type Strategy = admissionregistration.Strategy[configuration]

// NewStrategy returns the strategy: the generation follows the webhooks;
// names with the static-manifest suffix are refused on create and warned
// about on update; rules naming resources webhooks never see are warned
// about.
func NewStrategy(scheme *runtime.Scheme) *Strategy {
	return admissionregistration.NewStrategy(scheme, admissionregistration.Kind[configuration]{
		Changed: func(c, old configuration) bool { return !reflect.DeepEqual(c.Webhooks, old.Webhooks) },
		Validate: func(_ context.Context, c configuration) field.ErrorList {
			return append(admissionregistration.ValidateValidatingWebhookConfiguration(c), admissionregistration.ValidateStaticSuffix(c.Name)...)
		},
		ValidateUpdate: func(_ context.Context, c, old configuration) field.ErrorList {
			return admissionregistration.ValidateValidatingWebhookConfigurationUpdate(c, old)
		},
		WarningsOnCreate: func(c configuration) []string {
			return admissionregistration.WarningsForWebhookRules(admissionregistration.ValidatingRules(c.Webhooks))
		},
		WarningsOnUpdate: func(c configuration) []string {
			return append(admissionregistration.WarningsForStaticSuffix(c.Name),
				admissionregistration.WarningsForWebhookRules(admissionregistration.ValidatingRules(c.Webhooks))...)
		},
	})
}
