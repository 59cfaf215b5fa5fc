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

// Package mutatingwebhookconfiguration holds the strategy of MutatingWebhookConfigurations, mirroring
// k8s.io/kubernetes/pkg/registry/admissionregistration/mutatingwebhookconfiguration/strategy.go.
package mutatingwebhookconfiguration

import (
	"context"
	"reflect"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/ephemera-dev/ephemera/strategy/admissionregistration"
)

type configuration = *admissionregistrationv1.MutatingWebhookConfiguration

// Strategy is the create, update and delete strategy of MutatingWebhookConfigurations.
type Strategy = admissionregistration.Strategy[configuration]

// NewStrategy returns the strategy: the generation follows the webhooks;
// names with the static-manifest suffix are refused on create and warned
// about on update; rules naming resources webhooks never see are warned
// about.
func NewStrategy(scheme *runtime.Scheme) *Strategy {
	return admissionregistration.NewStrategy(scheme, admissionregistration.Kind[configuration]{
		Changed: func(c, old configuration) bool { return !reflect.DeepEqual(c.Webhooks, old.Webhooks) },
		Validate: func(_ context.Context, c configuration) field.ErrorList {
			return append(admissionregistration.ValidateMutatingWebhookConfiguration(c), admissionregistration.ValidateStaticSuffix(c.Name)...)
		},
		ValidateUpdate: func(_ context.Context, c, old configuration) field.ErrorList {
			return admissionregistration.ValidateMutatingWebhookConfigurationUpdate(c, old)
		},
		WarningsOnCreate: func(c configuration) []string {
			return admissionregistration.WarningsForWebhookRules(admissionregistration.MutatingRules(c.Webhooks))
		},
		WarningsOnUpdate: func(c configuration) []string {
			return append(admissionregistration.WarningsForStaticSuffix(c.Name),
				admissionregistration.WarningsForWebhookRules(admissionregistration.MutatingRules(c.Webhooks))...)
		},
	})
}
