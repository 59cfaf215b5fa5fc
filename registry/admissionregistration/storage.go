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

// Package admissionregistration assembles the REST storage of the
// admissionregistration.k8s.io/v1 group, as kube-apiserver's
// pkg/registry/admissionregistration/rest (v1Storage) does: the policies
// have subpackages of their own (status, paramKind checks), the webhook
// configurations and bindings plain stores (kinds.go).
package admissionregistration

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/ephemera-dev/ephemera/registry/admissionregistration/mutatingadmissionpolicy"
	"github.com/ephemera-dev/ephemera/registry/admissionregistration/validatingadmissionpolicy"
	strategy "github.com/ephemera-dev/ephemera/strategy/admissionregistration"
)

// NewStorage returns the v1 resources of the group by resource name
// (validatingadmissionpolicies/status included). params authorizes the
// paramKind of policies and paramRef of bindings.
func NewStorage(optsGetter generic.RESTOptionsGetter, scheme *runtime.Scheme, params strategy.ParamAuthorizer) (map[string]rest.Storage, error) {
	vwc, err := newValidatingWebhookConfigurations(optsGetter, scheme)
	if err != nil {
		return nil, err
	}
	mwc, err := newMutatingWebhookConfigurations(optsGetter, scheme)
	if err != nil {
		return nil, err
	}
	vap, vapStatus, err := validatingadmissionpolicy.NewREST(optsGetter, scheme, params)
	if err != nil {
		return nil, err
	}
	vapb, err := newValidatingAdmissionPolicyBindings(optsGetter, scheme, params, vap.ParamKind)
	if err != nil {
		return nil, err
	}
	mp, err := mutatingadmissionpolicy.NewREST(optsGetter, scheme, params)
	if err != nil {
		return nil, err
	}
	mpb, err := newMutatingAdmissionPolicyBindings(optsGetter, scheme, params, mp.ParamKind)
	if err != nil {
		return nil, err
	}
	return map[string]rest.Storage{
		"validatingwebhookconfigurations":    vwc,
		"mutatingwebhookconfigurations":      mwc,
		"validatingadmissionpolicies":        vap,
		"validatingadmissionpolicies/status": vapStatus,
		"validatingadmissionpolicybindings":  vapb,
		"mutatingadmissionpolicies":          mp,
		"mutatingadmissionpolicybindings":    mpb,
	}, nil
}
