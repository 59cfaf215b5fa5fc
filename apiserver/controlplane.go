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
	"net"
	"strconv"
	"sync"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	"github.com/ephemera-dev/ephemera/controlplane/apiserveridentity"
	"github.com/ephemera-dev/ephemera/controlplane/clusterauthenticationtrust"
	"github.com/ephemera-dev/ephemera/controlplane/kubernetesservice"
	"github.com/ephemera-dev/ephemera/controlplane/legacytokentracking"
	"github.com/ephemera-dev/ephemera/controlplane/systemnamespaces"
	"github.com/ephemera-dev/ephemera/internal/apiclient"
	"github.com/ephemera-dev/ephemera/registry/service"
)

// controlPlaneUserAgent is what kube-apiserver's own loopback client sends:
// the objects its controllers write record "kube-apiserver" as their field
// manager.
const controlPlaneUserAgent = "kube-apiserver/" + KubernetesVersion + " (linux/amd64) kubernetes/ephemera"

// controlPlane is what kube-apiserver's own controllers need to know, and
// their lifetime: they stop (and their connections close) before the
// server shuts down, so that no request of theirs holds the shutdown.
type controlPlane struct {
	serviceCIDR string
	publicIP    net.IP // nil: the host's default interface
	publicPort  int
	clientCA    func() []byte

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  *apiclient.Connections // set by the hook
}

func newControlPlane(serviceCIDR string, publicIP net.IP, publicPort int) *controlPlane {
	ctx, cancel := context.WithCancel(context.Background())
	ctx = apiclient.Quiet(ctx)
	return &controlPlane{serviceCIDR: serviceCIDR, publicIP: publicIP, publicPort: publicPort, ctx: ctx, cancel: cancel}
}

// stop lets the requests in flight finish, ends the controllers, waits for
// them and closes their connections.
func (cp *controlPlane) stop() {
	cp.mu.Lock()
	conns := cp.conns
	cp.mu.Unlock()
	if conns != nil {
		conns.Drain(5 * time.Second)
	}
	cp.cancel()
	cp.wg.Wait()
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.conns != nil {
		cp.conns.Close()
	}
}

// goRun runs f in the background until stop.
func (cp *controlPlane) goRun(f func(ctx context.Context)) {
	cp.wg.Add(1)
	go func() {
		defer cp.wg.Done()
		f(cp.ctx)
	}()
}

// addControlPlaneHooks starts the controllers kube-apiserver runs itself
// once the server serves: the system namespaces first (before the server
// reports ready), then in the background the kubernetes Service and its
// endpoints, the identity lease and the kube-system config maps, as
// envtest's kube-apiserver has them shortly after it is ready.
func addControlPlaneHooks(generic *genericapiserver.GenericAPIServer, cp *controlPlane) {
	generic.AddPostStartHookOrDie("start-system-namespaces-controller", func(hookCtx genericapiserver.PostStartHookContext) error {
		cfg, conns, err := apiclient.New(hookCtx.LoopbackClientConfig, controlPlaneUserAgent)
		if err != nil {
			return err
		}
		cp.mu.Lock()
		cp.conns = conns
		cp.mu.Unlock()
		if cp.ctx.Err() != nil {
			conns.Close()
		}
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return err
		}
		// Tried again until it succeeds or the server or the control plane
		// stops; the hook never fails: k8s.io/apiserver ends the whole
		// process (klog.Fatal) on a failed post-start hook.
		ctx, cancel := context.WithCancel(hookCtx)
		defer cancel()
		defer context.AfterFunc(cp.ctx, cancel)()
		if systemnamespaces.Ensure(ctx, client) != nil {
			return nil
		}
		cp.goRun(func(ctx context.Context) { cp.run(ctx, client, generic.APIServerID) })
		return nil
	})
}

func (cp *controlPlane) run(ctx context.Context, client kubernetes.Interface, serverID string) {
	cp.goRun(func(ctx context.Context) { systemnamespaces.Keep(ctx, client) })
	if cidr := cp.serviceCIDR; cidr == "" {
		cp.serviceCIDR = service.DefaultServiceCIDR
	}
	_, ipnet, err := net.ParseCIDR(cp.serviceCIDR)
	if err != nil {
		klog.ErrorS(err, "kubernetes Service not created")
		return
	}
	serviceIP := make(net.IP, len(ipnet.IP.To4()))
	copy(serviceIP, ipnet.IP.To4())
	serviceIP[len(serviceIP)-1]++
	public := cp.publicIP
	if public == nil {
		public = publicIP()
	}
	cp.goRun(func(ctx context.Context) {
		kubernetesservice.Run(ctx, client, kubernetesservice.Options{ServiceIP: serviceIP, PublicIP: public, PublicPort: cp.publicPort})
	})
	cp.goRun(func(ctx context.Context) {
		apiserveridentity.Run(ctx, client, serverID, net.JoinHostPort(public.String(), strconv.Itoa(cp.publicPort)))
	})
	var ca []byte
	if cp.clientCA != nil {
		ca = cp.clientCA()
	}
	if err := clusterauthenticationtrust.Sync(ctx, client, ca); err != nil && ctx.Err() == nil {
		klog.V(2).InfoS("extension-apiserver-authentication not written", "err", err)
	}
	if err := legacytokentracking.Sync(ctx, client); err != nil && ctx.Err() == nil {
		klog.V(2).InfoS("legacy token tracking config map not written", "err", err)
	}
}

// publicIP is the address kube-apiserver advertises when bound to loopback
// (--advertise-address unset): the host's default interface, looked up
// once per process.
var publicIP = sync.OnceValue(func() net.IP {
	ip, err := utilnet.ResolveBindAddress(net.IPv4zero)
	if err != nil || ip == nil || ip.To4() == nil {
		return net.ParseIP("127.0.0.1")
	}
	return ip
})
