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
	"net/http"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"

	"github.com/ephemera-dev/ephemera/kubelet"
	"github.com/ephemera-dev/ephemera/requestlog"
)

// Environment runs an Ephemera API server in-process, shaped like
// controller-runtime's envtest.Environment so a test can swap one for the
// other:
//
//	env := &apiserver.Environment{}
//	cfg, err := env.Start()
//	...
//	defer env.Stop()
//
// The zero value is envtest's situation: an API server with no node, no
// kubelet and no controllers. Cluster turns on cluster mode, whose
// simulated node, kubelet and controllers talk to the server only through
// its API, as on a real cluster. Every Environment listens on its own free
// loopback port and shares nothing with the others, so parallel tests can
// each start one.
type Environment struct {
	// Server configures the API server (address, storage, admission
	// options). Its zero value serves in memory on a free loopback port.
	Server Config

	// Cluster, if set, turns on cluster mode, whose answers are a kind
	// cluster's: beside the server run a Ready node whose kubelet runs the
	// pods bound to it (so ephemeral containers start and pods/log,
	// pods/attach and pods/exec answer), a scheduler, and
	// kube-controller-manager's controllers (default ServiceAccounts,
	// kube-root-ca.crt, namespace deletion, garbage collection, pod GC,
	// cluster-role aggregation); the server itself runs ServiceAccount
	// admission with kind's service range and token issuer. The
	// simulations are API clients only (see apiserver/cluster.go).
	Cluster *ClusterOptions

	// Config is the admin *rest.Config of the running server; set by Start
	// (envtest.Environment.Config).
	Config *rest.Config
	// KubeConfig is an admin kubeconfig for the running server; set by Start
	// (envtest.Environment.KubeConfig).
	KubeConfig []byte

	// WebhookInstallOptions installs webhook configurations and prepares a
	// local webhook server's certificate (envtest.Environment.WebhookInstallOptions).
	WebhookInstallOptions WebhookInstallOptions

	// ControlPlaneStartTimeout bounds Start; default 20s.
	ControlPlaneStartTimeout time.Duration
	// ControlPlaneStopTimeout bounds Stop; default 20s.
	ControlPlaneStopTimeout time.Duration

	// Logger receives the server's log lines (k8s.io/apiserver's klog
	// output). The zero value discards them. klog is process-wide, so a
	// Logger also receives the lines of other servers running in the same
	// process at the same time (see internal/klogroute).
	Logger logr.Logger

	// EnableHTTP2 serves HTTP/2 as well as HTTP/1.1 (Server.DisableHTTP2 is
	// not consulted). Off by default: on shutdown an HTTP/2 server waits up
	// to a second for each client connection to answer GOAWAY, which would
	// make every Stop cost a second while a client is connected.
	EnableHTTP2 bool

	server    *Server
	cluster   *cluster
	cancel    context.CancelFunc
	done      <-chan error
	requests  *requestlog.Recorder
	stopLogTo func()
}

// ClusterOptions configure cluster mode.
type ClusterOptions struct {
	// Kubelet configures the simulated node and its kubelet: node name,
	// InternalIP, pod CIDR and per-container rules. Zero values take the
	// defaults of package kubelet.
	Kubelet kubelet.Options
}

// Start starts the server, waits until it is ready (/readyz answers 200),
// starts the simulations of cluster mode if asked, and returns an admin
// *rest.Config for the server.
func (e *Environment) Start() (*rest.Config, error) {
	if e.server != nil {
		return nil, errors.New("environment already started")
	}
	cfg := e.Server
	// HTTP/1.1 unless asked (see EnableHTTP2).
	cfg.DisableHTTP2 = !e.EnableHTTP2
	var k *kubelet.Kubelet
	if e.Cluster != nil {
		k = kubelet.New(e.Cluster.Kubelet)
		if err := configureCluster(&cfg, k.NodeIP()); err != nil {
			return nil, err
		}
		cfg.KubeletConnection = k.Connection()
	}
	e.routeLogs()
	var requests *requestlog.Recorder
	cfg.Audit, requests = e.audit()
	s, err := New(cfg)
	if err != nil {
		e.stopLogs()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	timeout := timeoutOr(e.ControlPlaneStartTimeout)
	done, err := s.Start(ctx, timeout)
	if err != nil {
		cancel()
		e.stopLogs()
		return nil, err
	}
	var c *cluster
	if k != nil {
		// Like the components of a kind node: clients of the API, each with
		// its own user agent (in memory, as the admin: components.go); the
		// kubelet returns once the node is registered.
		c, err = startCluster(s.componentConfig(), s.CAData(), k, func(cfg *rest.Config) error { return k.Run(ctx, cfg) })
		if err != nil {
			cancel()
			<-done
			e.stopLogs()
			return nil, err
		}
	}
	kubeconfig, err := s.Kubeconfig()
	if err != nil {
		c.stop()
		cancel()
		<-done
		e.stopLogs()
		return nil, err
	}
	if err := e.installWebhooks(s); err != nil {
		c.stop()
		cancel()
		<-done
		e.stopLogs()
		return nil, err
	}
	e.server, e.cluster, e.cancel, e.done, e.requests = s, c, cancel, done, requests
	e.Config = s.RESTConfig()
	e.KubeConfig = kubeconfig
	return rest.CopyConfig(e.Config), nil
}

// Stop stops the simulations, then the server, and waits until it has shut
// down. Stopping an Environment that was never started is a no-op.
func (e *Environment) Stop() error {
	cleanupErr := e.WebhookInstallOptions.Cleanup()
	if e.server == nil {
		return cleanupErr
	}
	// The simulations go first, so that none of their requests (an open
	// watch) is in flight when the server shuts down.
	e.cluster.stop()
	e.cancel()
	defer e.stopLogs()
	defer func() { e.server, e.cluster, e.cancel, e.done = nil, nil, nil, nil }()
	timeout := timeoutOr(e.ControlPlaneStopTimeout)
	select {
	case err := <-e.done:
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("server stopped with error: %w", err)
		}
		return cleanupErr
	case <-time.After(timeout):
		return fmt.Errorf("server did not stop within %s", timeout)
	}
}

func timeoutOr(d time.Duration) time.Duration {
	if d <= 0 {
		return 20 * time.Second
	}
	return d
}

// Start runs the server in the background until ctx is done and returns once
// it is ready (/readyz answers 200). The channel yields Run's result after
// shutdown. If the server is not ready within timeout, Start stops it and
// returns the reason.
func (s *Server) Start(ctx context.Context, timeout time.Duration) (<-chan error, error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- s.Run(ctx)
		cancel()
	}()
	if err := s.waitReady(ctx, timeout); err != nil {
		cancel()
		if runErr := <-done; runErr != nil && !errors.Is(runErr, context.Canceled) {
			return nil, fmt.Errorf("%v; server: %w", err, runErr)
		}
		return nil, err
	}
	result := make(chan error, 1)
	go func() { result <- <-done }()
	return result, nil
}

// waitReady polls /readyz until it answers 200, ctx ends or the timeout
// passes. The server is in this process, so the poll goes straight to the
// handler k8s.io/apiserver installs /readyz on (the non-go-restful mux,
// where its checks run without the filter chain): no TCP connection, TLS
// handshake or request filters per poll. The checks are the ones /readyz
// answers over the network (every post-start hook done, informers synced,
// not shutting down), and the server listens before its post-start hooks
// run (NonBlockingRunWithContext), so ready here is ready for clients.
//
// It polls every 250 µs for the first 200 polls (a server on in-memory
// storage is ready a few milliseconds after it starts serving), then backs
// off to 50 ms for servers on etcd or a loaded machine.
func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	interval, polls := 250*time.Microsecond, 0
	var last error
	for {
		code, body := s.readyz()
		if code == http.StatusOK {
			return nil
		}
		last = fmt.Errorf("/readyz answered %d: %s", code, body)
		select {
		case <-ctx.Done():
			return fmt.Errorf("server stopped before it was ready: %v", last)
		case <-deadline.C:
			return fmt.Errorf("server not ready after %s: %v", timeout, last)
		case <-time.After(interval):
		}
		if polls++; polls >= 200 && interval < 50*time.Millisecond {
			interval = min(2*interval, 50*time.Millisecond)
		}
	}
}

// readyz asks the server's /readyz handler directly (see waitReady).
func (s *Server) readyz() (int, string) {
	req, err := http.NewRequest(http.MethodGet, "/readyz", nil)
	if err != nil {
		return 0, err.Error()
	}
	w := &statusRecorder{header: http.Header{}}
	s.generic.Handler.NonGoRestfulMux.ServeHTTP(w, req)
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.code, strings.TrimSpace(w.body.String())
}

// statusRecorder is the http.ResponseWriter of readyz: it keeps the status
// and the body (the failed checks, for the error of a server that never
// became ready).
type statusRecorder struct {
	header http.Header
	code   int
	body   strings.Builder
}

func (w *statusRecorder) Header() http.Header { return w.header }
func (w *statusRecorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *statusRecorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}
