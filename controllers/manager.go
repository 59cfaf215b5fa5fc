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

// Package controllers runs the simulated kube-controller-manager of cluster
// mode: the controllers that write what tools working with pods see, each
// in a subpackage mirroring its upstream one (pkg/controller/...), all API
// clients sharing one informer factory, as kube-controller-manager's
// controllers do: serviceaccount (the default ServiceAccount of every
// namespace), rootcacertpublisher (kube-root-ca.crt), namespace (deleting a
// namespace's content, then the namespace), garbagecollector (owner
// references), podgc (pods of vanished nodes) and clusterroleaggregation
// (the rules of aggregated cluster roles: admin, edit, view). They never
// touch storage: they reach the server only through its API.
package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/ephemera-dev/ephemera/controllers/clusterroleaggregation"
	"github.com/ephemera-dev/ephemera/controllers/garbagecollector"
	"github.com/ephemera-dev/ephemera/controllers/namespace"
	"github.com/ephemera-dev/ephemera/controllers/podgc"
	"github.com/ephemera-dev/ephemera/controllers/rootcacertpublisher"
	"github.com/ephemera-dev/ephemera/controllers/serviceaccount"
	"github.com/ephemera-dev/ephemera/controllers/validatingadmissionpolicystatus"
	"github.com/ephemera-dev/ephemera/internal/apiclient"
)

// UserAgent is kube-controller-manager's: what its controllers write names
// "kube-controller-manager" as field manager.
const UserAgent = "kube-controller-manager/v1.37.2 (linux/amd64) kubernetes/ephemera"

// Options configure the controllers.
type Options struct {
	// RootCA is the CA bundle published as kube-root-ca.crt (the
	// controller manager's --root-ca-file: the CA of the server's serving
	// certificate).
	RootCA []byte
}

// Manager is a running set of controllers.
type Manager struct {
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	factory informers.SharedInformerFactory
	conns   *apiclient.Connections
}

// Start starts the controllers against the server config points at and
// returns at once: the controllers wait for their informers in the
// background, so starting costs no round trip.
func Start(config *rest.Config, opts Options) (*Manager, error) {
	cfg, conns, err := apiclient.New(config, UserAgent)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	meta, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disco, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	vapStatus, err := validatingadmissionpolicystatus.New(cfg)
	if err != nil {
		return nil, err
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	runners := []interface{ Run(context.Context) }{
		runFunc(func(ctx context.Context) {
			if err := vapStatus.Run(ctx); err != nil && ctx.Err() == nil {
				klog.ErrorS(err, "controller stopped", "controller", validatingadmissionpolicystatus.ControllerName)
			}
		}),
		serviceaccount.New(client, factory),
		rootcacertpublisher.New(client, factory, opts.RootCA),
		namespace.New(client, meta, disco, factory),
		garbagecollector.New(meta, disco, factory),
		podgc.New(client, factory),
		clusterroleaggregation.New(client, factory),
	}
	ctx, cancel := context.WithCancel(context.Background())
	ctx = apiclient.Quiet(ctx)
	m := &Manager{cancel: cancel, factory: factory, conns: conns}
	factory.StartWithContext(ctx)
	for _, r := range runners {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			r.Run(ctx)
		}()
	}
	return m, nil
}

// runFunc runs a controller whose Run has another signature.
type runFunc func(context.Context)

func (f runFunc) Run(ctx context.Context) { f(ctx) }

// Stop lets the controllers' requests in flight finish, stops the
// controllers and their informers, waits for them, and closes their
// connections.
func (m *Manager) Stop() {
	m.conns.Drain(5 * time.Second)
	m.cancel()
	m.wg.Wait()
	m.factory.Shutdown()
	m.conns.Close()
}
