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

// Package apiclient gives each simulated component (scheduler, kubelet,
// controllers, kube-apiserver's own controllers) its own connections to the
// server, and lets it stop quietly: Drain lets requests in flight finish
// (a request aborted by its client makes the server log "Timeout or abort
// while handling"), Close closes every connection (one left open holds the
// server's shutdown), and Quiet keeps a component's loops from logging the
// errors that cancelling them causes.
package apiclient

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"k8s.io/client-go/rest"
)

// Connections are one component's connections to the server.
//
// Why not client-go's connrotation.Dialer: it tracks a connection only once
// its dial returns, so a dial still in flight when CloseAll runs yields a
// connection nobody closes. net/http finishes a dial even when the request
// that started it is cancelled, and parks the connection, unused, in the
// client's pool; the server's http.Server.Shutdown then waits five seconds
// for that never-used connection. Here a dial that ends after Close closes
// its connection at once.
type Connections struct {
	dial func(ctx context.Context, network, address string) (net.Conn, error)

	mu       sync.Mutex
	closed   bool
	conns    map[*trackedConn]struct{}
	draining bool
	drained  chan struct{} // closed once Drain has waited (or by Close): held requests fail
	released bool          // drained is closed
	inflight sync.WaitGroup
}

// New returns a copy of base whose clients share one transport dialing
// through the returned Connections, and identify themselves with userAgent
// (whose first segment is the field manager of what the component writes).
//
// The transport is what client-go would build from base, with two changes
// that make a component's many connections (with HTTP/1.1, each open watch
// of each informer holds one) cheaper to open, which matters because
// cluster mode opens some fifteen of them at every start: the key exchange
// is plain ECDHE on P-256 (Go's default, the hybrid X25519MLKEM768, costs
// several times more CPU per handshake for a secrecy no loopback test needs;
// P-256 has assembly where X25519 has none on amd64, and measured twice as
// fast here), and TLS sessions are resumed, which skips the certificate
// checks for connections opened after the first handshake. Neither is
// observable through the API.
func New(base *rest.Config, userAgent string) (*rest.Config, *Connections, error) {
	c := &Connections{dial: (&net.Dialer{}).DialContext, conns: map[*trackedConn]struct{}{}, drained: make(chan struct{})}
	if base.Dial != nil {
		c.dial = base.Dial // e.g. the server's in-memory loopback
	}
	tlsConfig, err := rest.TLSConfigFor(base)
	if err != nil {
		return nil, nil, err
	}
	if tlsConfig != nil {
		tlsConfig.CurvePreferences = []tls.CurveID{tls.CurveP256}
		tlsConfig.ClientSessionCache = tls.NewLRUClientSessionCache(0)
	}
	cfg := rest.CopyConfig(base)
	// client-go refuses a custom transport beside TLS options: they are in
	// the transport now.
	cfg.TLSClientConfig = rest.TLSClientConfig{}
	cfg.Dial = nil
	cfg.Transport = &http.Transport{
		DialContext:         c.DialContext,
		TLSClientConfig:     tlsConfig,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: 25, // client-go's (transport/cache.go idleConnsPerHost)
		IdleConnTimeout:     90 * time.Second,
	}
	cfg.WrapTransport = c.wrap
	cfg.UserAgent = userAgent
	// Deprecation warnings (v1 Endpoints) are the component's business, not
	// the log of the test that runs it.
	cfg.WarningHandler = rest.NoWarnings{}
	return cfg, c, nil
}

var errClosed = errors.New("component stopped")

// DialContext dials a tracked connection; after Close it fails.
func (c *Connections) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, errClosed
	}
	conn, err := c.dial(ctx, network, address)
	if err != nil {
		return nil, err
	}
	t := &trackedConn{Conn: conn, owner: c}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		conn.Close()
		return nil, errClosed
	}
	c.conns[t] = struct{}{}
	return t, nil
}

// wrap counts the requests in flight (watches aside: they end only when
// cancelled) until their response body is closed, and holds those that
// start while draining until their context ends or Close.
func (c *Connections) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		if req.URL.Query().Get("watch") == "true" {
			return rt.RoundTrip(req)
		}
		c.mu.Lock()
		if c.draining {
			c.mu.Unlock()
			select {
			case <-req.Context().Done():
				return nil, req.Context().Err()
			case <-c.drained:
				return nil, errClosed
			}
		}
		c.inflight.Add(1)
		c.mu.Unlock()
		resp, err := rt.RoundTrip(req)
		if err != nil {
			c.inflight.Done()
			return nil, err
		}
		resp.Body = &countedBody{ReadCloser: resp.Body, done: c.inflight.Done}
		return resp, nil
	})
}

// Drain holds new requests (not watches) and waits, at most timeout, for
// those in flight to finish: call it before cancelling the component, so
// that no request of its is aborted half-way.
func (c *Connections) Drain(timeout time.Duration) {
	c.mu.Lock()
	c.draining = true
	c.mu.Unlock()
	done := make(chan struct{})
	go func() {
		c.inflight.Wait()
		close(done)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	// The requests held meanwhile fail now rather than wait for Close: a
	// component's Stop cancels and waits for its loops before closing, and a
	// loop blocked on a held request whose context is not the component's
	// would otherwise never end.
	c.mu.Lock()
	c.release()
	c.mu.Unlock()
}

// release closes drained once; c.mu is held.
func (c *Connections) release() {
	if !c.released {
		c.released = true
		close(c.drained)
	}
}

// Close refuses new connections and closes the open ones, and any whose
// dial is still in flight once it completes; requests held by Drain fail.
func (c *Connections) Close() {
	c.mu.Lock()
	c.release()
	c.closed = true
	conns := c.conns
	c.conns = map[*trackedConn]struct{}{}
	c.mu.Unlock()
	for t := range conns {
		t.Conn.Close()
	}
}

// trackedConn forgets itself when closed.
type trackedConn struct {
	net.Conn
	owner *Connections
	once  sync.Once
}

func (t *trackedConn) Close() error {
	t.once.Do(func() {
		t.owner.mu.Lock()
		delete(t.owner.conns, t)
		t.owner.mu.Unlock()
	})
	return t.Conn.Close()
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// countedBody ends a request's count when its body is closed.
type countedBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *countedBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}
