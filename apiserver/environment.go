package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/rest"

	"github.com/ephemera-dev/ephemera/apiserver/kubelet"
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
// Every Environment listens on its own free loopback port and shares nothing
// with the others, so parallel tests can each start one.
type Environment struct {
	// Config is the admin *rest.Config of the running server; set by Start.
	Config *rest.Config

	// EtcdServers, if set, stores objects in that etcd cluster instead of in
	// memory.
	EtcdServers []string

	// DisallowPrivileged mirrors kube-apiserver --allow-privileged=false.
	DisallowPrivileged bool

	// SimulateKubelet runs a simulated node and kubelet (Config.SimulateKubelet):
	// pods get scheduled and run, ephemeral containers start, pods/log and
	// pods/attach answer. KubeletRules choose outcomes per image or container.
	SimulateKubelet bool
	KubeletRules    kubelet.Rules

	// StartTimeout bounds Start; default 20s.
	StartTimeout time.Duration
	// StopTimeout bounds Stop; default 20s.
	StopTimeout time.Duration

	server *Server
	cancel context.CancelFunc
	done   <-chan error
}

// Start starts the server, waits until it is ready (/readyz answers 200) and
// returns an admin *rest.Config for it.
func (e *Environment) Start() (*rest.Config, error) {
	if e.server != nil {
		return nil, errors.New("environment already started")
	}
	// HTTP/1.1 only: on shutdown an HTTP/2 server waits up to a second for
	// every client connection to answer GOAWAY, which would make each Stop
	// cost a second. Tests lose nothing by it.
	s, err := New(Config{EtcdServers: e.EtcdServers, DisallowPrivileged: e.DisallowPrivileged, DisableHTTP2: true,
		SimulateKubelet: e.SimulateKubelet, KubeletRules: e.KubeletRules})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done, err := s.Start(ctx, timeoutOr(e.StartTimeout))
	if err != nil {
		cancel()
		return nil, err
	}
	e.server, e.cancel, e.done = s, cancel, done
	e.Config = s.RESTConfig()
	return rest.CopyConfig(e.Config), nil
}

// Stop stops the server and waits until it has shut down. Stopping an
// Environment that was never started is a no-op.
func (e *Environment) Stop() error {
	if e.server == nil {
		return nil
	}
	e.cancel()
	defer func() { e.server, e.cancel, e.done = nil, nil, nil }()
	select {
	case err := <-e.done:
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("server stopped with error: %w", err)
		}
		return nil
	case <-time.After(timeoutOr(e.StopTimeout)):
		return fmt.Errorf("server did not stop within %s", timeoutOr(e.StopTimeout))
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
// passes. Polling starts at 1 ms: a ready in-memory server answers within a
// few milliseconds of starting.
func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	transport, err := rest.TransportFor(s.RESTConfig())
	if err != nil {
		return err
	}
	defer utilnet.CloseIdleConnectionsFor(transport)
	client := &http.Client{Transport: transport, Timeout: time.Second}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	interval := time.Millisecond
	var last error
	for {
		resp, err := client.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Errorf("/readyz answered %d", resp.StatusCode)
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server stopped before it was ready: %v", last)
		case <-deadline.C:
			return fmt.Errorf("server not ready after %s: %v", timeout, last)
		case <-time.After(interval):
		}
		if interval < 50*time.Millisecond {
			interval *= 2
		}
	}
}
