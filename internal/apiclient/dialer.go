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
// server, which it closes when it stops, so that stopping a component leaves
// nothing for the server's shutdown to wait on.
package apiclient

import (
	"context"
	"crypto/tls"
	"errors"
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

	mu     sync.Mutex
	closed bool
	conns  map[*trackedConn]struct{}
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
	c := &Connections{dial: (&net.Dialer{}).DialContext, conns: map[*trackedConn]struct{}{}}
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

// Close refuses new connections and closes the open ones, and any whose
// dial is still in flight once it completes.
func (c *Connections) Close() {
	c.mu.Lock()
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
