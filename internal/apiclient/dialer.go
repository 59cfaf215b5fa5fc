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
// controllers) its own connections to the server, which it closes when it
// stops, so that stopping a component leaves nothing for the server's
// shutdown to wait on.
package apiclient

import (
	"context"
	"errors"
	"net"
	"sync/atomic"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/connrotation"
)

// Connections are one component's connections to the server.
type Connections struct {
	dialer  *connrotation.Dialer
	stopped atomic.Bool
}

// New returns a copy of base that dials through the returned Connections
// and identifies itself with userAgent (whose first segment is the field
// manager of what the component writes).
func New(base *rest.Config, userAgent string) (*rest.Config, *Connections) {
	c := &Connections{}
	dial := (&net.Dialer{}).DialContext
	c.dialer = connrotation.NewDialer(func(ctx context.Context, network, address string) (net.Conn, error) {
		// A connection dialed for a request cancelled while stopping would
		// sit unused in the client's pool, and net/http's Server.Shutdown
		// waits five seconds for such connections: none is dialed once
		// stopped.
		if c.stopped.Load() {
			return nil, errors.New("component stopped")
		}
		return dial(ctx, network, address)
	})
	cfg := rest.CopyConfig(base)
	cfg.UserAgent = userAgent
	cfg.Dial = c.dialer.DialContext
	// Deprecation warnings (v1 Endpoints) are the component's business, not
	// the log of the test that runs it.
	cfg.WarningHandler = rest.NoWarnings{}
	return cfg, c
}

// Close refuses new connections and closes the open ones.
func (c *Connections) Close() {
	c.stopped.Store(true)
	c.dialer.CloseAll()
}
