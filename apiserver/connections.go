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
	"net"
	"net/http"
	"sync"

	genericapiserver "k8s.io/apiserver/pkg/server"
)

// At shutdown, k8s.io/apiserver waits for the requests in flight itself,
// then net/http's Server.Shutdown waits for every connection that is not
// idle. A connection no request has come on yet counts as busy until it is
// five seconds old, and clients leave such connections behind: client-go's
// transport keeps a connection it dialed for a request that another, freed
// connection served meanwhile. Stop then took up to five seconds (seen as
// three-second stops of the conformance suite's server). A process that
// exits drops those connections; so does Stop: when the HTTP server closes
// its listener, which is the first thing its Shutdown does, the connections
// without a request are closed.

// connTracker is the secure port's listener, keeping its open connections
// by remote address and whether a request came on them.
type connTracker struct {
	net.Listener
	mu    sync.Mutex
	conns map[string]*trackedConn
}

type trackedConn struct {
	net.Conn
	owner *connTracker
	key   string
	used  bool // guarded by owner.mu
}

func newConnTracker(l net.Listener) *connTracker {
	return &connTracker{Listener: l, conns: map[string]*trackedConn{}}
}

func (l *connTracker) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, owner: l, key: c.RemoteAddr().String()}
	l.mu.Lock()
	l.conns[tc.key] = tc
	l.mu.Unlock()
	return tc, nil
}

func (c *trackedConn) Close() error {
	c.owner.mu.Lock()
	if c.owner.conns[c.key] == c {
		delete(c.owner.conns, c.key)
	}
	c.owner.mu.Unlock()
	return c.Conn.Close()
}

// Close closes the listener and the connections no request has come on.
func (l *connTracker) Close() error {
	err := l.Listener.Close()
	l.mu.Lock()
	var unused []*trackedConn
	for _, c := range l.conns {
		if !c.used {
			unused = append(unused, c)
		}
	}
	l.mu.Unlock()
	for _, c := range unused {
		_ = c.Close()
	}
	return err
}

// markRequests is the outermost filter: the connection a request came on
// (http.Request.RemoteAddr is its remote address) is in use.
func (l *connTracker) markRequests(config *genericapiserver.Config) {
	build := config.BuildHandlerChainFunc
	config.BuildHandlerChainFunc = func(h http.Handler, c *genericapiserver.Config) http.Handler {
		chain := build(h, c)
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			l.mu.Lock()
			if c := l.conns[req.RemoteAddr]; c != nil {
				c.used = true
			}
			l.mu.Unlock()
			chain.ServeHTTP(w, req)
		})
	}
}
