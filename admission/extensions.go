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

package admission

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/apiserver/pkg/admission/plugin/policy/generic"
	mutatingpolicy "k8s.io/apiserver/pkg/admission/plugin/policy/mutating"
	validatingpolicy "k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	webhookinit "k8s.io/apiserver/pkg/admission/plugin/webhook/initializer"
	mutatingwebhook "k8s.io/apiserver/pkg/admission/plugin/webhook/mutating"
	validatingwebhook "k8s.io/apiserver/pkg/admission/plugin/webhook/validating"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	webhookutil "k8s.io/apiserver/pkg/util/webhook"
	cacheddiscovery "k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"
	"k8s.io/component-base/compatibility"
	"k8s.io/component-base/tracing"

	arstrategy "github.com/ephemera-dev/ephemera/strategy/admissionregistration"
)

// The webhook and admission-policy plugins are k8s.io/apiserver's own,
// wired the way kube-apiserver wires them (k8s.io/apiserver
// pkg/server/options/admission.go ApplyTo, k8s.io/kubernetes
// pkg/controlplane/apiserver/admission and pkg/controlplane/apiserver/config.go
// CreateConfig): the generic initializer (clients, informers, authorizer,
// feature gates, a deferred discovery REST mapper), the API server ID, the
// webhook initializer (authentication-info and service resolvers) and the
// resources excluded from admission.

// pluginOrder is kube-apiserver's AllOrderedPlugins
// (pkg/kubeapiserver/options/plugins.go) restricted to the plugins Ephemera
// runs. The chain runs every mutating plugin in this order, then every
// validating one.
var pluginOrder = []string{
	"NamespaceLifecycle",
	"ServiceAccount",
	"PodSecurity",
	"Priority",
	"DefaultTolerationSeconds",
	"RuntimeClass",
	mutatingpolicy.PluginName,
	mutatingwebhook.PluginName,
	validatingpolicy.PluginName,
	validatingwebhook.PluginName,
}

// Extensions are what the webhook and policy plugins need.
type Extensions struct {
	// Informers must hold started, synced informers for namespaces and the
	// six admissionregistration resources (see NewInformerFactory).
	Informers informers.SharedInformerFactory
	// Loopback is the server's own admin client config. The plugins use it
	// for namespaces their informer has not seen yet, for the params of
	// policies, for discovery and, for mutating policies, the OpenAPI
	// schemas. It may reach the server in memory (rest.Config.Dial).
	Loopback *rest.Config
	// Self is the server's network address with the loopback credentials:
	// what a webhook at kubernetes.default.svc:443 is called at, as
	// kube-apiserver calls itself there. Loopback when nil.
	Self             *rest.Config
	Authorizer       authorizer.Authorizer
	APIServerID      string
	EffectiveVersion compatibility.EffectiveVersion
	// Stop is closed when the server has drained its requests; the plugins'
	// background work ends then.
	Stop <-chan struct{}
	// APIPaths are the OpenAPI v3 paths of the served group versions
	// ("api/v1", "apis/<group>/<version>"), see withLazyOpenAPI.
	APIPaths []string
}

// Chain is an assembled admission chain.
type Chain struct {
	admission.Interface
	restMapper *restmapper.DeferredDiscoveryRESTMapper
	webhooks   []*lazyWebhook
}

// PostStartHook is kube-apiserver's "start-apiserver-admission-initializer"
// hook: it resets the policies' discovery REST mapper now and every 30 s, so
// param kinds of new resources resolve.
func (c *Chain) PostStartHook(ctx context.Context) error {
	c.restMapper.Reset()
	go wait.Until(c.restMapper.Reset, 30*time.Second, ctx.Done())
	return nil
}

// Assemble builds the admission chain from Ephemera's own plugins (by their
// kube-apiserver names) and k8s.io/apiserver's webhook and policy plugins, in
// kube-apiserver's order.
func Assemble(own map[string]admission.Interface, ext Extensions) (*Chain, error) {
	setPolicyRefreshInterval()
	clientset, err := kubernetes.NewForConfig(ext.Loopback)
	if err != nil {
		return nil, err
	}
	client := withLazyOpenAPI(clientset, ext.APIPaths)
	dynamicClient, err := dynamic.NewForConfig(ext.Loopback)
	if err != nil {
		return nil, err
	}
	self := ext.Self
	if self == nil {
		self = ext.Loopback
	}
	host, err := url.Parse(self.Host)
	if err != nil {
		return nil, err
	}

	plugins := admission.NewPlugins()
	for name, p := range own {
		plugins.Register(name, func(io.Reader) (admission.Interface, error) { return p, nil })
	}
	mutatingpolicy.Register(plugins)
	validatingpolicy.Register(plugins)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(cacheddiscovery.NewMemCacheClient(client.Discovery()))
	initializers := admission.PluginInitializers{
		initializer.NewAPIServerIDInitializer(ext.APIServerID),
		initializer.New(client, dynamicClient, ext.Informers, ext.Authorizer, utilfeature.DefaultFeatureGate, ext.EffectiveVersion, ext.Stop, mapper),
		webhookinit.NewPluginInitializer(
			webhookutil.NewDefaultAuthenticationInfoResolverWrapper(nil, nil, self, tracing.NewNoopTracerProvider()),
			loopbackServiceResolver{host: host, services: noServices}),
		excludedResourcesInitializer{},
	}
	// The webhook plugins are initialized as NewFromPlugins would, when
	// first needed (lazywebhook.go).
	initialized := func(p admission.Interface, err error) (admission.Interface, error) {
		if err != nil {
			return nil, err
		}
		initializers.Initialize(p)
		return p, admission.ValidateInitialization(p)
	}
	mutating, err := newLazyWebhook(func() (admission.Interface, error) {
		return initialized(mutatingwebhook.NewMutatingWebhook(nil))
	}, ext.Informers.Admissionregistration().V1().MutatingWebhookConfigurations().Informer())
	if err != nil {
		return nil, err
	}
	validating, err := newLazyWebhook(func() (admission.Interface, error) {
		return initialized(validatingwebhook.NewValidatingAdmissionWebhook(nil))
	}, ext.Informers.Admissionregistration().V1().ValidatingWebhookConfigurations().Informer())
	if err != nil {
		return nil, err
	}
	plugins.Register(mutatingwebhook.PluginName, func(io.Reader) (admission.Interface, error) { return lazyMutatingWebhook{mutating}, nil })
	plugins.Register(validatingwebhook.PluginName, func(io.Reader) (admission.Interface, error) { return lazyValidatingWebhook{validating}, nil })

	registered := map[string]bool{}
	for _, name := range plugins.Registered() {
		registered[name] = true
	}
	var names []string
	for _, name := range pluginOrder {
		if registered[name] {
			names = append(names, name)
		}
	}
	chain, err := plugins.NewFromPlugins(names, noConfig{}, initializers, nil)
	if err != nil {
		return nil, err
	}
	return &Chain{Interface: chain, restMapper: mapper, webhooks: []*lazyWebhook{mutating, validating}}, nil
}

// WaitForWebhooks returns once the webhook plugins that have
// configurations are built and ready.
func (c *Chain) WaitForWebhooks() error {
	for _, w := range c.webhooks {
		if _, err := w.get(); err != nil {
			return err
		}
	}
	return nil
}

// noConfig gives every plugin its default configuration (no
// --admission-control-config-file, as envtest).
type noConfig struct{}

func (noConfig) ConfigFor(string) (io.Reader, error) { return nil, nil }

// excludedResourcesInitializer is the part of kube-apiserver's own plugin
// initializer (pkg/controlplane/apiserver/admission) the webhook and policy
// plugins use: the resources they never intercept.
type excludedResourcesInitializer struct{}

func (excludedResourcesInitializer) Initialize(p admission.Interface) {
	if wants, ok := p.(initializer.WantsExcludedAdmissionResources); ok {
		wants.SetExcludedAdmissionResources(arstrategy.ExcludedResources())
	}
}

// noServices is the service lister of a server without services: Ephemera
// serves none, so every service reference resolves to "not found", as on
// envtest when the service does not exist.
var noServices = corelisters.NewServiceLister(cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}))

// loopbackServiceResolver is kube-apiserver's webhook service resolver
// without aggregator routing (cmd/kube-apiserver buildServiceResolver):
// kubernetes.default.svc:443 is the server itself, any other service is
// looked up in the service lister first (k8s.io/apiserver
// pkg/util/proxy.ResolveCluster). The lister is always empty, so the lookup's
// "not found" is the whole answer; the rest of ResolveCluster (cluster IPs,
// ports) never applies.
type loopbackServiceResolver struct {
	host     *url.URL
	services corelisters.ServiceLister
}

func (r loopbackServiceResolver) ResolveEndpoint(namespace, name string, port int32) (*url.URL, error) {
	if namespace == "default" && name == "kubernetes" && port == 443 {
		return r.host, nil
	}
	if _, err := r.services.Services(namespace).Get(name); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("service %s/%s has no endpoint Ephemera can reach", namespace, name)
}

// PolicyRefreshInterval is how often the policy plugins recompile changed
// policies and bindings. kube-apiserver checks every second
// (k8s.io/apiserver policy/generic, policyRefreshInterval), so a new policy
// can take a second to apply; a test server has no reason to wait, and the
// check is cheap (a flag, unless something changed).
const PolicyRefreshInterval = 10 * time.Millisecond

var refreshOnce sync.Once

// setPolicyRefreshInterval sets the process-wide interval through the hook
// k8s.io/apiserver provides for it, once.
func setPolicyRefreshInterval() {
	refreshOnce.Do(func() { generic.SetPolicyRefreshIntervalForTests(PolicyRefreshInterval) })
}
