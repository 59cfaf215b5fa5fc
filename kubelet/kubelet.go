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

// Package kubelet simulates one node's kubelet (and the scheduler's binding
// step) for Ephemera, so that tools which wait for containers to run —
// `kubectl debug -it`, `kubectl logs -f`, debuggers that poll
// status.ephemeralContainerStatuses — complete against a fake API server.
//
// It is a client of the API server like any other, as a kubelet is: a
// client-go clientset with the kubelet's user agent (so managedFields say
// "kubelet"), binding pods through pods/binding, writing pods/status and
// creating events as a kubelet does. Container behaviour is chosen per image
// or per container by Rules. It also serves the node side of pods/log,
// pods/attach and pods/exec, which the server reaches through
// apiserver.Config.KubeletConnection as kube-apiserver reaches a kubelet.
//
// Formats of statuses, reasons and event messages follow the kubelet of
// k8s.io/kubernetes v1.37.2: pkg/kubelet/kubelet_pods.go
// (generateAPIPodStatus, convertToAPIContainerStatuses), pkg/kubelet/status
// (generate.go), pkg/kubelet/images/image_manager.go (EnsureImageExists),
// pkg/kubelet/kuberuntime/kuberuntime_container.go (startContainer) and
// pkg/kubelet/events/event.go.
package kubelet

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/ephemera-dev/ephemera/internal/apiclient"
)

// Defaults of Options.
const (
	DefaultNodeName = "ephemera-node"
	// DefaultNodeIP is the node's InternalIP and every pod's hostIP.
	DefaultNodeIP = "172.18.0.2"
	// DefaultPodCIDR is where pod IPs come from.
	DefaultPodCIDR = "10.244.0.0/24"
	// KubeletVersion is what the node reports.
	KubeletVersion = "v1.37.2"
	// UserAgent is the kubelet's user agent; the field manager is its first
	// segment, "kubelet", as on a real node.
	UserAgent = "kubelet/" + KubeletVersion + " (linux/amd64) kubernetes/ephemera"
	// imagePullBackOffAfter is how long after ErrImagePull the container
	// shows ImagePullBackOff. A real kubelet shows it at its next pod sync,
	// typically within seconds.
	imagePullBackOffAfter = time.Second
)

// Options configure a Kubelet.
type Options struct {
	NodeName string
	NodeIP   string
	PodCIDR  string
	Rules    Rules
}

// Kubelet is the simulation. Create it with New before the server's storage
// (it serves pods/log and pods/attach), then Run it once the server listens.
type Kubelet struct {
	opts   Options
	client kubernetes.Interface
	queue  workqueue.TypedDelayingInterface[string]

	mu     sync.Mutex
	pods   map[types.UID]*podState
	images map[string]bool // images on the node: pulled once, present after
	// recorded are the events written, by pod and correlation key (emit);
	// a pod's are forgotten with it.
	recorded map[types.UID]map[string]recordedEvent
	nextIP   netip.Addr
	lister   cache.Indexer
	started  chan struct{}

	// node is the container runtime and the kubelet's HTTP server
	// (runtime.go, server.go).
	node *nodeRuntime

	stopOnce sync.Once
	conns    *apiclient.Connections
	cancel   context.CancelFunc
	stopped  chan struct{}  // closed when the worker and informers are gone
	wg       sync.WaitGroup // background loops (the node lease)
}

// background runs f until it returns; Stop waits for it.
func (k *Kubelet) background(f func()) {
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		f()
	}()
}

// New returns a Kubelet; it does nothing until Run.
func New(opts Options) *Kubelet {
	if opts.NodeName == "" {
		opts.NodeName = DefaultNodeName
	}
	if opts.NodeIP == "" {
		opts.NodeIP = DefaultNodeIP
	}
	if opts.PodCIDR == "" {
		opts.PodCIDR = DefaultPodCIDR
	}
	prefix := netip.MustParsePrefix(opts.PodCIDR)
	k := &Kubelet{
		opts:     opts,
		pods:     map[types.UID]*podState{},
		images:   map[string]bool{},
		recorded: map[types.UID]map[string]recordedEvent{},
		nextIP:   prefix.Addr().Next().Next(), // .1 is the bridge, as in kind
		queue:    workqueue.NewTypedDelayingQueue[string](),
		started:  make(chan struct{}),
		cancel:   func() {},
		stopped:  make(chan struct{}),
	}
	k.node = newNodeRuntime(k)
	return k
}

// NodeName is the simulated node's name.
func (k *Kubelet) NodeName() string { return k.opts.NodeName }

// NodeIP is the simulated node's InternalIP.
func (k *Kubelet) NodeIP() string { return k.opts.NodeIP }

// Run registers the node and drives pods until ctx ends. It returns once
// the node is registered (its informer, lease and workers keep running in
// the background) or with the registration error.
//
// Stop ends it; so does the end of ctx.
func (k *Kubelet) Run(ctx context.Context, config *rest.Config) error {
	ctx, k.cancel = context.WithCancel(ctx)
	ctx = apiclient.Quiet(ctx)
	// Every connection of the kubelet's is closed by Stop: one left open
	// (even one dialed for a request cancelled at shutdown and never used)
	// would hold the server's shutdown for seconds.
	config, conns, err := apiclient.New(config, UserAgent)
	if err != nil {
		return err
	}
	k.conns = conns
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	k.client = client
	if err := k.node.server.start(); err != nil {
		return err
	}
	if err := k.registerNode(ctx); err != nil {
		return fmt.Errorf("registering node %s: %w", k.opts.NodeName, err)
	}
	// A kubelet watches the pods bound to its node (pkg/kubelet/config/
	// apiserver.go NewSourceApiserver: spec.nodeName=<node>).
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", k.opts.NodeName).String()
	}))
	informer := factory.Core().V1().Pods().Informer()
	k.lister = informer.GetIndexer()
	enqueue := func(obj interface{}) {
		if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
			k.queue.Add(key)
		}
	}
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj interface{}) { enqueue(obj) },
		DeleteFunc: func(obj interface{}) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if p, ok := obj.(*corev1.Pod); ok {
				k.forget(p.UID)
			}
		},
	}); err != nil {
		return err
	}
	k.watchServices(ctx)
	factory.StartWithContext(ctx)
	k.startNodeLease(ctx)
	workerDone := make(chan struct{})
	go func() {
		<-ctx.Done()
		k.queue.ShutDown()
		factory.Shutdown() // waits for the informer's watch to end
		<-workerDone
		k.wg.Wait()
		close(k.stopped)
	}()
	go func() {
		defer close(workerDone)
		k.work(ctx)
	}()
	close(k.started)
	return nil
}

// Stop ends the simulation and waits until its informer's watch and its
// worker are gone. The server calls it before shutting down, so that no
// request of the kubelet's is in flight then (an open watch would hold the
// shutdown for seconds). Safe to call more than once, and before Run.
func (k *Kubelet) Stop() {
	k.stopOnce.Do(func() {
		if k.conns != nil {
			k.conns.Drain(5 * time.Second)
		}
		k.cancel()
		select {
		case <-k.started:
			<-k.stopped
		default:
		}
		if k.conns != nil {
			k.conns.Close()
		}
		k.node.server.stop()
		k.node.rt.Shutdown()
	})
}

func (k *Kubelet) work(ctx context.Context) {
	for {
		key, shutdown := k.queue.Get()
		if shutdown {
			return
		}
		next, err := k.sync(ctx, key)
		k.queue.Done(key)
		switch {
		case err != nil && ctx.Err() == nil:
			klog.V(2).InfoS("Simulated kubelet: sync failed, retrying", "pod", key, "err", err)
			k.queue.AddAfter(key, 20*time.Millisecond)
		case next > 0:
			k.queue.AddAfter(key, next)
		}
	}
}
