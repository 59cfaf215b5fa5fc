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

// Package ephemeratest makes an Ephemera test three lines long: Start gives
// a test its own API server (stopped when the test ends), with options for
// every mode — cluster mode, the request log, faults, objects to seed,
// admission webhooks — and clients of every kind (client-go,
// controller-runtime, dynamic). Waits for
// what tools wait for (a pod running, an ephemeral container running or
// terminated) work against any server.
//
//	func TestInjector(t *testing.T) {
//		srv := ephemeratest.Start(t, ephemeratest.WithObjects(pod), ephemeratest.WithRequestLog())
//		err := injector.Inject(ctx, srv.Clientset, "default", "web", "busybox")
//		...
//	}
package ephemeratest

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/faults"
	"github.com/ephemera-dev/ephemera/kubelet"
	"github.com/ephemera-dev/ephemera/requestlog"
)

// TB is what Start needs of a test: *testing.T, *testing.B and Ginkgo's
// GinkgoT() all have it.
type TB interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Log(args ...any)
	TempDir() string
}

var _ TB = testing.TB(nil)

// Server is a running Ephemera server of one test.
type Server struct {
	// Env is the Environment behind the server.
	Env *apiserver.Environment
	// Config is an admin *rest.Config (a copy per call is the caller's to
	// change: use rest.CopyConfig).
	Config *rest.Config
	// Clientset, Dynamic and Client are admin clients: client-go's typed
	// clientset, its dynamic client, and controller-runtime's client with
	// client-go's scheme.
	Clientset kubernetes.Interface
	Dynamic   dynamic.Interface
	Client    client.Client
	// Faults is the server's fault set (nil without WithFaults or
	// WithFaultSeed): add, list and clear rules at any time.
	Faults *faults.Set

	t     TB
	mu    sync.Mutex
	users map[string]*rest.Config
}

// Option configures a Server.
type Option func(*options)

type options struct {
	env      apiserver.Environment
	faults   []faults.Rule
	seed     *int64
	objects  []client.Object
	files    []string
	logs     bool
	users    []apiserver.User
	configs  []func(*apiserver.Environment)
	webhooks []client.Object
}

// WithCluster runs cluster mode, whose answers are a kind cluster's: a
// Ready node whose simulated kubelet runs the pods the simulated scheduler
// binds to it (so ephemeral containers start), kube-controller-manager's
// controllers (default ServiceAccounts, kube-root-ca.crt, namespace
// deletion, garbage collection) and ServiceAccount admission. Options
// choose the node and what the kubelet does per image or container (package
// kubelet); the zero value takes its defaults.
func WithCluster(opts ...kubelet.Options) Option {
	return func(o *options) {
		o.env.Cluster = &apiserver.ClusterOptions{}
		if len(opts) > 0 {
			o.env.Cluster.Kubelet = opts[0]
		}
	}
}

// WithRequestLog records every request (Server.RequestLog) under the audit
// policy given in the policy file format, or apiserver.DefaultRequestLogPolicy.
func WithRequestLog(policy ...byte) Option {
	return func(o *options) {
		o.env.Server.Audit = &apiserver.AuditConfig{Policy: policy}
	}
}

// WithFaults starts the server with these fault rules (package faults);
// Server.Faults changes them later.
func WithFaults(rules ...faults.Rule) Option {
	return func(o *options) { o.faults = append(o.faults, rules...) }
}

// WithFaultSeed sets the seed of probabilistic fault rules (default 1) and
// gives the server a fault set even without rules.
func WithFaultSeed(seed int64) Option {
	return func(o *options) { o.seed = &seed }
}

// WithObjects creates the objects once the server is ready, in order
// (typed objects of client-go's scheme, or unstructured ones).
func WithObjects(objs ...client.Object) Option {
	return func(o *options) { o.objects = append(o.objects, objs...) }
}

// WithManifests creates the objects of YAML or JSON files (several
// documents per file allowed), after the WithObjects ones.
func WithManifests(paths ...string) Option {
	return func(o *options) { o.files = append(o.files, paths...) }
}

// WithLogs sends the server's log lines to the test's log (t.Log). By
// default they are discarded.
func WithLogs() Option {
	return func(o *options) { o.logs = true }
}

// WithHTTP2 serves HTTP/2 as well as HTTP/1.1.
func WithHTTP2() Option {
	return func(o *options) { o.env.EnableHTTP2 = true }
}

// WithEnvironment changes the Environment before it starts, for what has
// no option of its own (e.g. envtest-shaped webhook install options beyond
// WithWebhooks: a fixed LocalServingPort or LocalServingHostExternalName).
func WithEnvironment(configure func(*apiserver.Environment)) Option {
	return func(o *options) { o.configs = append(o.configs, configure) }
}

// Start starts a server for t (a *testing.T, *testing.B or GinkgoT()),
// fails the test if it cannot, and stops it when the test (and its
// subtests) end.
func Start(t TB, opts ...Option) *Server {
	t.Helper()
	o := &options{}
	for _, opt := range opts {
		opt(o)
	}
	env := &o.env
	if len(o.faults) > 0 || o.seed != nil {
		seed := int64(1)
		if o.seed != nil {
			seed = *o.seed
		}
		env.Server.Faults = faults.NewSet(seed)
		if err := env.Server.Faults.Add(o.faults...); err != nil {
			t.Fatalf("ephemeratest: %v", err)
		}
	}
	if o.logs {
		env.Logger = testr.NewWithInterface(t, testr.Options{})
	} else {
		env.Logger = logr.Discard()
	}
	if err := addWebhooks(&env.WebhookInstallOptions, o.webhooks); err != nil {
		t.Fatalf("ephemeratest: %v", err)
	}
	for _, configure := range o.configs {
		configure(env)
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("ephemeratest: starting the server: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("ephemeratest: stopping the server: %v", err)
		}
	})
	s := &Server{Env: env, Config: cfg, Faults: env.Server.Faults, t: t}
	s.Clientset = kubernetes.NewForConfigOrDie(cfg)
	s.Dynamic = dynamic.NewForConfigOrDie(cfg)
	s.Client, err = client.New(cfg, client.Options{Scheme: clientgoscheme.Scheme})
	if err != nil {
		t.Fatalf("ephemeratest: %v", err)
	}
	for _, u := range o.users {
		s.AddUser(u)
	}
	ctx := context.Background()
	if err := s.create(ctx, o.objects...); err != nil {
		t.Fatalf("ephemeratest: seeding objects: %v", err)
	}
	for _, path := range o.files {
		objs, err := ReadManifests(path)
		if err != nil {
			t.Fatalf("ephemeratest: %v", err)
		}
		if err := s.create(ctx, objs...); err != nil {
			t.Fatalf("ephemeratest: seeding %s: %v", path, err)
		}
	}
	return s
}

func (s *Server) create(ctx context.Context, objs ...client.Object) error {
	for _, obj := range objs {
		// Create fills in the object; seed a copy so the caller's value
		// can seed the next test too.
		if err := s.Client.Create(ctx, obj.DeepCopyObject().(client.Object)); err != nil {
			return err
		}
	}
	return nil
}

// RequestLog returns the request log (nil without WithRequestLog).
func (s *Server) RequestLog() *requestlog.Recorder { return s.Env.RequestLog() }

// Kubeconfig writes an admin kubeconfig into the test's temporary directory
// and returns its path, for tools that take --kubeconfig.
func (s *Server) Kubeconfig() string {
	s.t.Helper()
	path := filepath.Join(s.t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, s.Env.KubeConfig, 0o600); err != nil {
		s.t.Fatalf("ephemeratest: %v", err)
	}
	return path
}

// Scheme is the scheme of Server.Client: client-go's.
func Scheme() *runtime.Scheme { return clientgoscheme.Scheme }

// WithUsers provisions users once the server is ready, each with a client
// certificate; what they may do is RBAC's to decide (seed Roles and
// RoleBindings with WithObjects). Server.User returns their configs.
func WithUsers(users ...apiserver.User) Option {
	return func(o *options) { o.users = append(o.users, users...) }
}

// AddUser provisions a user now and returns a *rest.Config authenticating
// as that user.
func (s *Server) AddUser(u apiserver.User) *rest.Config {
	s.t.Helper()
	au, err := s.Env.AddUser(u, nil)
	if err != nil {
		s.t.Fatalf("ephemeratest: adding user %s: %v", u.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users == nil {
		s.users = map[string]*rest.Config{}
	}
	s.users[u.Name] = au.Config()
	return au.Config()
}

// User returns a *rest.Config authenticating as a user of WithUsers or
// AddUser; the test fails for an unknown user.
func (s *Server) User(name string) *rest.Config {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg, ok := s.users[name]
	if !ok {
		s.t.Fatalf("ephemeratest: no user %q (give it to WithUsers or AddUser)", name)
	}
	return rest.CopyConfig(cfg)
}
