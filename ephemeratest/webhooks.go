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

package ephemeratest

import (
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ephemera-dev/ephemera/apiserver"
)

// WithWebhooks installs admission webhook configurations the way envtest's
// WebhookInstallOptions does (apiserver.WebhookInstallOptions): Start makes
// a serving certificate for a free local port, injects its CA into every
// webhook, turns a service reference with a path into a URL on that port,
// and returns once the server's admission plugins apply the
// configurations. The test serves its webhooks on
// Server.Env.WebhookInstallOptions' LocalServingHost and LocalServingPort
// with tls.crt and tls.key from LocalServingCertDir.
//
// Each object is a *MutatingWebhookConfiguration or
// *ValidatingWebhookConfiguration of admissionregistration.k8s.io/v1, typed
// or unstructured (as ReadManifests returns them); anything else fails the
// test at Start. The caller's objects are not changed.
func WithWebhooks(configs ...client.Object) Option {
	return func(o *options) { o.webhooks = append(o.webhooks, configs...) }
}

// WithWebhookPaths installs the webhook configurations of files or
// directories (YAML or JSON, as envtest's WebhookInstallOptions.Paths: other
// documents, e.g. a kubebuilder Service, are skipped), as WithWebhooks does.
func WithWebhookPaths(paths ...string) Option {
	return func(o *options) {
		o.env.WebhookInstallOptions.Paths = append(o.env.WebhookInstallOptions.Paths, paths...)
	}
}

// addWebhooks adds copies of the WithWebhooks objects to the install
// options.
func addWebhooks(w *apiserver.WebhookInstallOptions, configs []client.Object) error {
	for _, obj := range configs {
		if u, ok := obj.(*unstructured.Unstructured); ok {
			typed, err := typedWebhookConfiguration(u)
			if err != nil {
				return err
			}
			obj = typed
		} else {
			obj = obj.DeepCopyObject().(client.Object)
		}
		switch c := obj.(type) {
		case *admissionregistrationv1.MutatingWebhookConfiguration:
			w.MutatingWebhooks = append(w.MutatingWebhooks, c)
		case *admissionregistrationv1.ValidatingWebhookConfiguration:
			w.ValidatingWebhooks = append(w.ValidatingWebhooks, c)
		default:
			return fmt.Errorf("WithWebhooks: %T %q is not a MutatingWebhookConfiguration or ValidatingWebhookConfiguration", obj, obj.GetName())
		}
	}
	return nil
}

// typedWebhookConfiguration converts an unstructured webhook configuration
// of admissionregistration.k8s.io/v1 into its type.
func typedWebhookConfiguration(u *unstructured.Unstructured) (client.Object, error) {
	var obj client.Object
	switch gvk := u.GroupVersionKind(); {
	case gvk == admissionregistrationv1.SchemeGroupVersion.WithKind("MutatingWebhookConfiguration"):
		obj = &admissionregistrationv1.MutatingWebhookConfiguration{}
	case gvk == admissionregistrationv1.SchemeGroupVersion.WithKind("ValidatingWebhookConfiguration"):
		obj = &admissionregistrationv1.ValidatingWebhookConfiguration{}
	default:
		return nil, fmt.Errorf("WithWebhooks: %s %q is not a MutatingWebhookConfiguration or ValidatingWebhookConfiguration of %s",
			gvk, u.GetName(), admissionregistrationv1.SchemeGroupVersion)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj); err != nil {
		return nil, fmt.Errorf("WithWebhooks: %s %q: %w", u.GetKind(), u.GetName(), err)
	}
	return obj, nil
}
