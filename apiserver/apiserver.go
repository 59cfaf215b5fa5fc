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

// Package apiserver wires Ephemera's API server, the way
// k8s.io/sample-apiserver's pkg/apiserver and kube-apiserver's
// pkg/controlplane do: a k8s.io/apiserver generic server with its
// authentication, authorization and admission, and the REST storage of
// package registry installed as API groups, over the in-memory store
// (storage/memory) or etcd. It serves core/v1 pods (with pods/status,
// pods/ephemeralcontainers, pods/binding, pods/log, pods/attach and
// pods/exec), nodes (with nodes/status), namespaces (with namespaces/status
// and namespaces/finalize), service accounts and events.
//
// Environment (environment.go) runs a server in-process for tests, shaped
// like controller-runtime's envtest.Environment, and in cluster mode the
// simulations beside it (package kubelet), which reach the server only
// through its API.
package apiserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	goruntime "runtime"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	apimachineryversion "k8s.io/apimachinery/pkg/version"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericfilters "k8s.io/apiserver/pkg/server/filters"
	restclient "k8s.io/client-go/rest"
	"k8s.io/component-base/compatibility"
	openapicommon "k8s.io/kube-openapi/pkg/common"

	"github.com/ephemera-dev/ephemera/admission"
	"github.com/ephemera-dev/ephemera/apiserver/openapi"
	satoken "github.com/ephemera-dev/ephemera/authentication/serviceaccount"
	"github.com/ephemera-dev/ephemera/faults"
	"github.com/ephemera-dev/ephemera/internal/internaldecode"
	"github.com/ephemera-dev/ephemera/registry"
	"github.com/ephemera-dev/ephemera/registry/event"
	"github.com/ephemera-dev/ephemera/registry/namespace"
	"github.com/ephemera-dev/ephemera/registry/node"
	"github.com/ephemera-dev/ephemera/registry/pod"
	"github.com/ephemera-dev/ephemera/registry/serviceaccount"
	"github.com/ephemera-dev/ephemera/storage/memory"
	"github.com/ephemera-dev/ephemera/strategy/validation"
)

// KubernetesVersion is the kube-apiserver release whose behaviour Ephemera
// reproduces; /version reports it.
const KubernetesVersion = "v1.37.2"

// Scheme and Codecs hold core/v1, registered as v1 and as the internal
// version. They are built once and never changed afterwards, so every server
// in the process can share them.
var Scheme, Codecs = newScheme()

// The query parameters of pods/log and pods/attach decode through
// conversions registered once, before any server shares the scheme.
func init() { must(pod.AddConversionFuncs(Scheme)) }

// Config is what a caller chooses about a server. The zero value is a server
// on a free loopback port with in-memory storage.
type Config struct {
	// Listener, if set, is served on; BindAddress and Port are then ignored.
	Listener net.Listener
	// BindAddress is the address to listen on; default 127.0.0.1.
	BindAddress string
	// Port is the port to listen on; 0 picks a free one.
	Port int
	// EtcdServers, if set, stores objects in etcd through k8s.io/apiserver's
	// etcd3 store instead of in memory.
	EtcdServers []string
	// DisallowPrivileged mirrors kube-apiserver --allow-privileged=false.
	// envtest and kind allow privileged containers, so Ephemera does by default.
	DisallowPrivileged bool
	// DisableHTTP2 serves HTTP/1.1 only.
	DisableHTTP2 bool
	// ServiceClusterIPRange is where services' cluster IPs come from
	// (kube-apiserver --service-cluster-ip-range); default 10.0.0.0/24, as
	// envtest sets it. Cluster mode uses kind's, 10.96.0.0/16.
	ServiceClusterIPRange string
	// AdvertiseAddress and AdvertisePort are where the cluster reaches the
	// server: the endpoint of the default/kubernetes Service
	// (kube-apiserver --advertise-address and its secure port). Defaults:
	// the host's default interface, as kube-apiserver picks it when bound to
	// loopback (envtest's case), and the port served on. Cluster mode uses
	// the simulated node's IP and 6443, as on a kind node.
	AdvertiseAddress string
	AdvertisePort    int
	// ServiceAccountIssuer is the issuer of the service-account tokens the
	// server signs and accepts (--service-account-issuer); default the
	// server's URL with a trailing slash, as envtest sets it.
	ServiceAccountIssuer string
	// ServiceAccountSigningKey signs those tokens; nil: an ECDSA P-256 key
	// made once per process (envtest's kind of key).
	ServiceAccountSigningKey *satoken.Key
	// ServiceAccountAdmission runs the ServiceAccount admission plugin
	// (package admission/serviceaccount), which kind's kube-apiserver runs
	// and envtest's turns off. Cluster mode sets it.
	ServiceAccountAdmission bool
	// KubeletConnection is how pods/log, pods/attach and pods/exec reach the
	// kubelet of a pod's node, as kube-apiserver's kubelet client
	// configuration does (a node's address and port, dialed through it).
	// nil: no kubelet is reachable (envtest's situation). Environment sets
	// it to the simulated node's network in cluster mode.
	KubeletConnection *pod.KubeletConnection
	// Audit records requests as kube-apiserver's --audit-* flags do
	// (audit.go); nil audits nothing.
	Audit *AuditConfig
	// Faults, if set, makes the server fail on purpose by its rules
	// (package faults; faults.go); rules can change while it serves. Nil
	// installs nothing.
	Faults *faults.Set
}

// Server is a configured, not yet running Ephemera API server.
type Server struct {
	generic *genericapiserver.GenericAPIServer
	url     string
	caPEM   []byte
	token   string // the loopback client's
	// loopback carries the server's own requests in memory (loopback.go).
	loopback *pipeListener
	backend  *memory.Backend
	// admission is the admission chain; Run assembles it (admissionchain.go).
	admission *admissionChain
	tokens    *serviceAccountTokens
	// controlPlane runs kube-apiserver's own controllers.
	controlPlane *controlPlane
	// clientCA signs user certificates; adminCert and adminKey are the
	// admin's (see access.go).
	clientCA            *clientCA
	adminCert, adminKey []byte
	// components are the credentials of cluster mode's simulated
	// components (components.go).
	components *componentCredentials
}

// New builds a server from cfg. It listens at once (so the address is known)
// but serves only once Run is called.
func New(cfg Config) (*Server, error) {
	listener := cfg.Listener
	if listener == nil {
		host := cfg.BindAddress
		if host == "" {
			host = "127.0.0.1"
		}
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(cfg.Port)))
		if err != nil {
			return nil, fmt.Errorf("listening on %s:%d: %w", host, cfg.Port, err)
		}
		listener = l
	}
	s, err := newServer(cfg, listener)
	if err != nil {
		listener.Close()
		return nil, err
	}
	return s, nil
}

func newServer(cfg Config, listener net.Listener) (*Server, error) {
	host, port, err := net.SplitHostPort(listener.Addr().String())
	if err != nil {
		return nil, err
	}
	certs, err := servingCertsFor(host)
	if err != nil {
		return nil, fmt.Errorf("generating serving certificates: %w", err)
	}
	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	urlHost := host
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		urlHost = "127.0.0.1"
	}
	s := &Server{
		url:   "https://" + net.JoinHostPort(urlHost, port),
		caPEM: certs.CACert,
		token: token,
	}

	config := genericapiserver.NewConfig(Codecs)
	config.EffectiveVersion = effectiveVersion()
	config.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(openAPIDefinitions, definitionNamer())
	config.OpenAPIConfig.Info.Title = "Kubernetes"
	config.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openAPIDefinitions, definitionNamer())
	config.OpenAPIV3Config.Info.Title = "Kubernetes"
	config.SkipOpenAPIInstallation = true // installLazyOpenAPI serves them
	config.ExternalAddress = net.JoinHostPort(urlHost, port)
	// On shutdown, end open watches (each watch handler is told the server is
	// going away and closes its stream) instead of letting the HTTP server's
	// graceful shutdown wait on them for its full request timeout. kube-apiserver
	// does the same with --shutdown-watch-termination-grace-period.
	config.ShutdownWatchTerminationGracePeriod = 2 * time.Second
	config.PublicAddress = net.ParseIP("127.0.0.1")

	conns := newConnTracker(listener)
	config.SecureServing = &genericapiserver.SecureServingInfo{
		Listener:     conns,
		Cert:         certs.Content,
		DisableHTTP2: cfg.DisableHTTP2,
	}
	s.loopback = newPipeListener(listener.Addr())
	config.LoopbackClientConfig = s.loopbackConfig()
	if err := applyAudit(config, cfg.Audit); err != nil {
		return nil, err
	}
	// kube-apiserver's long-running requests (pkg/controlplane/apiserver/
	// config.go, BuildGenericConfig): no request timeout for streams.
	config.LongRunningFunc = genericfilters.BasicLongRunningRequestCheck(
		sets.NewString("watch", "proxy"),
		sets.NewString("attach", "exec", "proxy", "log", "portforward"),
	)

	var optsGetter *registry.RESTOptionsGetter
	if len(cfg.EtcdServers) > 0 {
		optsGetter = registry.NewEtcdOptions(storageCodec, cfg.EtcdServers)
	} else {
		s.backend = memory.NewBackend()
		optsGetter = registry.NewMemoryOptions(storageCodec, s.backend.Decorator())
	}
	installFaults(config, optsGetter, cfg.Faults)
	config.RESTOptionsGetter = optsGetter
	acc, err := s.configureAccess(config, optsGetter)
	if err != nil {
		return nil, err
	}

	storage, namespaces, err := newStorage(optsGetter, validation.Options{AllowPrivileged: !cfg.DisallowPrivileged}, cfg.KubeletConnection, config.Authorization.Authorizer)
	if err != nil {
		return nil, err
	}
	services, err := newServiceStorage(optsGetter, cfg.ServiceClusterIPRange)
	if err != nil {
		return nil, err
	}
	for k, v := range services.core {
		storage[k] = v
	}
	if s.tokens, err = newServiceAccountTokens(cfg, s.url, storage); err != nil {
		return nil, err
	}
	admissionRegistration, err := newAdmissionRegistrationStorage(optsGetter, config.Authorization.Authorizer, config.LoopbackClientConfig)
	if err != nil {
		return nil, err
	}
	own, err := admission.NewPlugins(
		func(ctx context.Context, name string) (*corev1.Namespace, error) {
			obj, err := namespaces.Namespace.Get(ctx, name, &metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			return obj.(*corev1.Namespace), nil
		},
		func(ctx context.Context, ns string) ([]*corev1.Pod, error) {
			obj, err := storage["pods"].(rest.Lister).List(genericapirequest.WithNamespace(ctx, ns), &metainternalversion.ListOptions{})
			if err != nil {
				return nil, err
			}
			items := obj.(*corev1.PodList).Items
			pods := make([]*corev1.Pod, len(items))
			for i := range items {
				pods[i] = &items[i]
			}
			return pods, nil
		})
	if err != nil {
		return nil, err
	}
	clusterAdmission(cfg, storage, own)
	s.admission, err = newAdmissionChain(own, namespaces.Namespace, admissionRegistration, config, s.selfConfig())
	if err != nil {
		return nil, err
	}
	config.AdmissionControl = s.admission

	wrapAdmissionForFaults(config, cfg.Faults)

	// The outermost filter, wrapping what the filters above set up.
	conns.markRequests(config)
	completed := config.Complete(s.admission.informers)
	generic, err := completed.New("ephemera", genericapiserver.NewEmptyDelegate())
	if err != nil {
		return nil, err
	}
	s.generic = generic

	apiGroupInfo := genericapiserver.NewDefaultAPIGroupInfo("", Scheme, runtime.NewParameterCodec(Scheme), Codecs)
	// A patched object without apiVersion decodes into the internal layout,
	// as on kube-apiserver (see package internaldecode).
	apiGroupInfo.NegotiatedSerializer = internaldecode.NegotiatedSerializer(Codecs, Scheme)
	apiGroupInfo.VersionedResourcesStorageMap["v1"] = storage
	groups := append(acc.groups(config), admissionRegistrationGroup(admissionRegistration))
	groups = append(groups, services.groups()...)
	// InstallLegacyAPIGroup and InstallAPIGroups, with the type converter of
	// managed fields built once per process (install.go).
	if err := installAPIs(generic, &completed, &apiGroupInfo, groups); err != nil {
		return nil, err
	}
	if err := acc.addBootstrapHook(generic); err != nil {
		return nil, err
	}
	generic.AddPostStartHookOrDie("start-apiserver-admission-initializer", s.admission.postStartHook)
	installLazyOpenAPI(generic, config)
	advertisePort := mustAtoi(port)
	if cfg.AdvertisePort != 0 {
		advertisePort = cfg.AdvertisePort
	}
	s.controlPlane = newControlPlane(cfg.ServiceClusterIPRange, net.ParseIP(cfg.AdvertiseAddress), advertisePort)
	s.controlPlane.clientCA = func() []byte { return s.clientCA.pem }
	addControlPlaneHooks(generic, s.controlPlane)
	return s, nil
}

// newStorage builds the REST storage of every served resource.
func newStorage(optsGetter *registry.RESTOptionsGetter, opts validation.Options, kubelets *pod.KubeletConnection, authz authorizer.Authorizer) (map[string]rest.Storage, namespace.Storage, error) {
	storage := map[string]rest.Storage{}
	pods, err := pod.NewStorage(optsGetter, Scheme, opts)
	if err != nil {
		return nil, namespace.Storage{}, err
	}
	namespaces, err := namespace.NewStorage(optsGetter, Scheme)
	if err != nil {
		return nil, namespace.Storage{}, err
	}
	serviceAccounts, err := serviceaccount.NewREST(optsGetter, Scheme)
	if err != nil {
		return nil, namespace.Storage{}, err
	}
	events, err := event.NewREST(optsGetter, Scheme, event.DefaultTTL)
	if err != nil {
		return nil, namespace.Storage{}, err
	}
	nodes, err := node.NewStorage(optsGetter, Scheme)
	if err != nil {
		return nil, namespace.Storage{}, err
	}
	getNode := func(ctx context.Context, name string) (*corev1.Node, error) {
		obj, err := nodes.Node.Get(genericapirequest.WithNamespace(ctx, metav1.NamespaceNone), name, &metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		return obj.(*corev1.Node), nil
	}
	for k, v := range pods.Map() {
		storage[k] = v
	}
	for k, v := range pods.NewStreaming(getNode, kubelets, authz).Map() {
		storage[k] = v
	}
	for k, v := range nodes.Map() {
		storage[k] = v
	}
	for k, v := range namespaces.Map() {
		storage[k] = v
	}
	storage["serviceaccounts"] = serviceAccounts
	storage["events"] = events
	return storage, namespaces, nil
}

// Run serves until ctx is done, then shuts down and returns.
func (s *Server) Run(ctx context.Context) error {
	if s.backend != nil {
		defer s.backend.Close()
	}
	defer s.admission.shutdown()
	// Closed however Run ends, so that no loopback dial waits for a server
	// that never served (serveLoopback's stop closes it too).
	defer s.loopback.Close()
	if err := s.admission.start(ctx, s.generic); err != nil {
		return err
	}
	// The controllers of the control plane stop before the server does, so
	// that none of their requests is in flight during the shutdown.
	serverCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	go func() {
		select {
		case <-ctx.Done():
			s.controlPlane.stop()
		case <-serverCtx.Done():
		}
		cancel()
	}()
	prepared := s.generic.PrepareRun()
	defer serveLoopback(s.loopback, s.generic.Handler)()
	return prepared.RunWithContext(serverCtx)
}

// URL is the server's https URL.
func (s *Server) URL() string { return s.url }

// CAData is the PEM-encoded CA that signed the serving certificate.
func (s *Server) CAData() []byte { return s.caPEM }

// RESTConfig returns a config for the server's admin user (AdminUser, a
// client certificate, as envtest's admin).
func (s *Server) RESTConfig() *restclient.Config {
	return &restclient.Config{
		Host:            s.url,
		TLSClientConfig: restclient.TLSClientConfig{CAData: s.caPEM, CertData: s.adminCert, KeyData: s.adminKey},
		QPS:             -1, // no client-side rate limit against a test server
	}
}

// loopbackConfig is the server's own client (post-start hooks, the control
// plane's controllers, admission plugins): the privileged loopback token of
// system:apiserver, over in-memory connections (loopback.go).
func (s *Server) loopbackConfig() *restclient.Config {
	return &restclient.Config{
		Host:        "http://" + s.loopback.Addr().String(),
		BearerToken: s.token,
		Dial:        s.loopback.DialContext,
		QPS:         -1,
		UserAgent:   loopbackUserAgent,
	}
}

// selfConfig is the loopback client over the network, with TLS: what a
// webhook at kubernetes.default.svc:443 is called at.
func (s *Server) selfConfig() *restclient.Config {
	return &restclient.Config{
		Host:            s.url,
		BearerToken:     s.token,
		TLSClientConfig: restclient.TLSClientConfig{CAData: s.caPEM},
		QPS:             -1,
		UserAgent:       loopbackUserAgent,
	}
}

// loopbackUserAgent is the user agent of kube-apiserver's requests to itself
// (client-go's default for the kube-apiserver binary, as envtest's reports
// it), e.g. an admission policy's lookup of its param: audit logs and request
// logs tell them from the clients' requests by it.
var loopbackUserAgent = "kube-apiserver/" + KubernetesVersion + " (" + goruntime.GOOS + "/" + goruntime.GOARCH + ") kubernetes/0000000"

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// openAPIDefinitions computes the generated definitions once per process:
// each call costs several milliseconds and every server start asks twice.
// The definitions embed references whose form depends on the callback (v2
// "#/definitions/..." or v3 "#/components/schemas/..."), so the cache is keyed
// by what the callback makes of a probe name.
var openAPIDefinitions = func() openapicommon.GetOpenAPIDefinitions {
	var mu sync.Mutex
	cache := map[string]map[string]openapicommon.OpenAPIDefinition{}
	return func(ref openapicommon.ReferenceCallback) map[string]openapicommon.OpenAPIDefinition {
		probe := ref("probe")
		key := probe.String()
		mu.Lock()
		defer mu.Unlock()
		defs, ok := cache[key]
		if !ok {
			defs = openapi.GetOpenAPIDefinitions(ref)
			cache[key] = defs
		}
		return defs
	}
}()

// effectiveVersion is kube-apiserver 1.37's, and /version reports
// KubernetesVersion rather than the unstamped version of the k8s.io modules.
func effectiveVersion() compatibility.EffectiveVersion {
	v := compatibility.NewEffectiveVersionFromString("1.37", "", "")
	return fixedInfo{MutableEffectiveVersion: v}
}

type fixedInfo struct {
	compatibility.MutableEffectiveVersion
}

func (f fixedInfo) Info() *apimachineryversion.Info {
	info := f.MutableEffectiveVersion.Info()
	info.GitVersion = KubernetesVersion
	info.GitTreeState = "clean"
	info.GitCommit = "" // unstamped modules would say "$Format:%H$"
	return info
}
