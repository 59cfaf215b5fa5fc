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

package apiserver

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	restclient "k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	admissionext "github.com/ephemera-dev/ephemera/admission"
)

// admissionChain is the server's admission chain. Ephemera's own plugins
// exist from New on; the chain with k8s.io/apiserver's webhook and policy
// plugins is assembled in Run, once the informers those plugins read have
// synced, and before the server serves: the plugins then find their caches
// ready and never wait on their 100 ms readiness polls. kube-apiserver gets
// the same ordering from its informer-sync readiness check, which Ephemera
// reports too (the informers are the generic server's SharedInformerFactory).
type admissionChain struct {
	own       map[string]admission.Interface
	informers informers.SharedInformerFactory
	ext       admissionext.Extensions
	chain     atomic.Pointer[admissionext.Chain]
	stop      context.CancelFunc
}

var (
	_ admission.MutationInterface   = &admissionChain{}
	_ admission.ValidationInterface = &admissionChain{}
)

// newAdmissionChain prepares the chain: own are Ephemera's plugins by name,
// namespaces and admissionRegistration the storage the plugins' informers
// read.
func newAdmissionChain(own map[string]admission.Interface, namespaces admissionext.StorageSource, admissionRegistration map[string]rest.Storage,
	config *genericapiserver.Config, self *restclient.Config) (*admissionChain, error) {
	client, err := kubernetes.NewForConfig(config.LoopbackClientConfig)
	if err != nil {
		return nil, err
	}
	sources := map[runtime.Object]admissionext.StorageSource{&corev1.Namespace{}: namespaces}
	for resource, obj := range map[string]runtime.Object{
		"validatingwebhookconfigurations":   &admissionregistrationv1.ValidatingWebhookConfiguration{},
		"mutatingwebhookconfigurations":     &admissionregistrationv1.MutatingWebhookConfiguration{},
		"validatingadmissionpolicies":       &admissionregistrationv1.ValidatingAdmissionPolicy{},
		"validatingadmissionpolicybindings": &admissionregistrationv1.ValidatingAdmissionPolicyBinding{},
		"mutatingadmissionpolicies":         &admissionregistrationv1.MutatingAdmissionPolicy{},
		"mutatingadmissionpolicybindings":   &admissionregistrationv1.MutatingAdmissionPolicyBinding{},
	} {
		src, ok := admissionRegistration[resource].(admissionext.StorageSource)
		if !ok {
			return nil, fmt.Errorf("storage of %s cannot be listed and watched", resource)
		}
		sources[obj] = src
	}
	return &admissionChain{
		own:       own,
		informers: admissionext.NewInformerFactory(client, sources),
		ext: admissionext.Extensions{
			Loopback:         config.LoopbackClientConfig,
			Self:             self,
			Authorizer:       config.Authorization.Authorizer,
			APIServerID:      config.APIServerID,
			EffectiveVersion: config.EffectiveVersion,
			Stop:             config.DrainedNotify(),
		},
	}, nil
}

// start starts and syncs the informers and assembles the chain for the
// server s. The informers run until shutdown, after the server has stopped
// serving; ctx only bounds the wait for their sync.
func (a *admissionChain) start(ctx context.Context, s *genericapiserver.GenericAPIServer) error {
	var informerCtx context.Context
	informerCtx, a.stop = context.WithCancel(context.WithoutCancel(ctx))
	a.informers.StartWithContext(informerCtx)
	if result := a.informers.WaitForCacheSyncWithContext(ctx); result.Err != nil {
		return fmt.Errorf("syncing admission informers: %w", result.Err)
	}
	ext := a.ext
	ext.Informers = a.informers
	ext.APIPaths = servedGroupVersions(s)
	chain, err := admissionext.Assemble(a.own, ext)
	if err != nil {
		return err
	}
	a.chain.Store(chain)
	return nil
}

// shutdown stops the informers once the server has stopped.
func (a *admissionChain) shutdown() {
	if a.stop != nil {
		a.stop()
		a.informers.Shutdown()
	}
}

// postStartHook is kube-apiserver's start-apiserver-admission-initializer.
func (a *admissionChain) postStartHook(ctx genericapiserver.PostStartHookContext) error {
	if c := a.chain.Load(); c != nil {
		return c.PostStartHook(ctx)
	}
	return nil
}

// waitForConfigurations waits until the plugins' informers hold the given
// webhook configurations at (at least) their resourceVersions, and the
// webhook plugins are ready for them. The informers read the storage
// directly, so that is a matter of microseconds.
func (a *admissionChain) waitForConfigurations(ctx context.Context, objs []metav1.Object) error {
	arInformers := a.informers.Admissionregistration().V1()
	interval := 100 * time.Microsecond
	for _, obj := range objs {
		var store cache.Store
		switch obj.(type) {
		case *admissionregistrationv1.MutatingWebhookConfiguration:
			store = arInformers.MutatingWebhookConfigurations().Informer().GetStore()
		case *admissionregistrationv1.ValidatingWebhookConfiguration:
			store = arInformers.ValidatingWebhookConfigurations().Informer().GetStore()
		default:
			return fmt.Errorf("cannot wait for %T", obj)
		}
		want, err := strconv.ParseUint(obj.GetResourceVersion(), 10, 64)
		if err != nil {
			return err
		}
		for {
			if item, ok, _ := store.GetByKey(obj.GetName()); ok {
				if rv, err := strconv.ParseUint(item.(metav1.Object).GetResourceVersion(), 10, 64); err == nil && rv >= want {
					break
				}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("webhook configuration %s did not take effect: %w", obj.GetName(), ctx.Err())
			case <-time.After(interval):
			}
			if interval < 10*time.Millisecond {
				interval *= 2
			}
		}
	}
	if c := a.chain.Load(); c != nil {
		return c.WaitForWebhooks()
	}
	return nil
}

// servedGroupVersions returns the OpenAPI v3 paths of the group versions s
// serves: "api/v1" and "apis/<group>/<version>".
func servedGroupVersions(s *genericapiserver.GenericAPIServer) []string {
	var paths []string
	for _, ws := range s.Handler.GoRestfulContainer.RegisteredWebServices() {
		p := strings.Trim(ws.RootPath(), "/")
		parts := strings.Split(p, "/")
		if parts[0] == "api" && len(parts) == 2 || parts[0] == "apis" && len(parts) == 3 {
			paths = append(paths, p)
		}
	}
	return paths
}

var errAdmissionNotReady = errors.New("admission chain is not assembled")

func (a *admissionChain) Handles(op admission.Operation) bool {
	c := a.chain.Load()
	return c == nil || c.Handles(op)
}

func (a *admissionChain) Admit(ctx context.Context, attr admission.Attributes, o admission.ObjectInterfaces) error {
	c := a.chain.Load()
	if c == nil {
		return errAdmissionNotReady
	}
	return c.Interface.(admission.MutationInterface).Admit(ctx, attr, o)
}

func (a *admissionChain) Validate(ctx context.Context, attr admission.Attributes, o admission.ObjectInterfaces) error {
	c := a.chain.Load()
	if c == nil {
		return errAdmissionNotReady
	}
	return c.Interface.(admission.ValidationInterface).Validate(ctx, attr, o)
}
