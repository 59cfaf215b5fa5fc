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
	"net"
	"net/http"
	"sync"
)

// The server's own requests (kube-apiserver's loopback client: the system
// namespaces, the kubernetes Service, leases, admission plugins' lookups)
// never leave the process, so they need neither TCP nor TLS: they go over
// in-memory connections to the same handler chain (authentication by the
// loopback token, authorization, audit, admission) as any request. A TLS
// handshake costs about a millisecond of CPU on this kind of machine, and
// the post-start hook that creates the system namespaces holds readiness
// until its requests are answered.

// pipeListener is a net.Listener whose connections are made in memory by
// DialContext.
type pipeListener struct {
	addr   net.Addr // the secure port's address, which connections report
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

var errListenerClosed = errors.New("loopback listener closed")

func newPipeListener(addr net.Addr) *pipeListener {
	return &pipeListener{addr: addr, conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, errListenerClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return l.addr }

// DialContext connects to the listener; the address is ignored.
func (l *pipeListener) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	// The server side reports a loopback peer, so that audit events and
	// request logs show the source IP kube-apiserver's loopback requests
	// have (127.0.0.1), not net.Pipe's "pipe".
	peer := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}
	select {
	case l.conns <- &pipeConn{Conn: server, local: l.addr, remote: peer}:
		return &pipeConn{Conn: client, local: peer, remote: l.addr}, nil
	case <-l.closed:
		client.Close()
		server.Close()
		return nil, errListenerClosed
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
}

type pipeConn struct {
	net.Conn
	local, remote net.Addr
}

func (c *pipeConn) LocalAddr() net.Addr  { return c.local }
func (c *pipeConn) RemoteAddr() net.Addr { return c.remote }

// serveLoopback serves the handler on the in-memory listener until the
// returned function is called (after the server has shut down).
func serveLoopback(l *pipeListener, h http.Handler) (stop func()) {
	srv := &http.Server{Handler: h}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	return func() {
		srv.Close()
		<-done
	}
}
