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
	"fmt"
	"sync"

	"k8s.io/client-go/rest"

	"github.com/ephemera-dev/ephemera/authentication/serviceaccount"
	"github.com/ephemera-dev/ephemera/controllers"
	"github.com/ephemera-dev/ephemera/kubelet"
	"github.com/ephemera-dev/ephemera/scheduler"
)

// kind's control plane, as kubeadm sets it up (cluster mode answers as it
// does): the service range and the service-account issuer.
const (
	KindServiceClusterIPRange = "10.96.0.0/16"
	KindServiceAccountIssuer  = "https://kubernetes.default.svc.cluster.local"
	// KindAPIServerPort is kube-apiserver's port on a kind node.
	KindAPIServerPort = 6443
)

// configureCluster sets what cluster mode's kube-apiserver does beyond
// envtest's: it is reached at the node's IP on 6443 (the kubernetes
// Service's endpoint), with kind's service range and token issuer (with an
// RSA key, as kubeadm's sa.key), and the ServiceAccount admission plugin.
// Fields the caller set are kept.
func configureCluster(cfg *Config, nodeIP string) error {
	if cfg.AdvertiseAddress == "" {
		cfg.AdvertiseAddress = nodeIP
	}
	if cfg.AdvertisePort == 0 {
		cfg.AdvertisePort = KindAPIServerPort
	}
	if cfg.ServiceClusterIPRange == "" {
		cfg.ServiceClusterIPRange = KindServiceClusterIPRange
	}
	if cfg.ServiceAccountIssuer == "" {
		cfg.ServiceAccountIssuer = KindServiceAccountIssuer
	}
	if cfg.ServiceAccountSigningKey == nil {
		key, err := serviceaccount.RSAKey()
		if err != nil {
			return err
		}
		cfg.ServiceAccountSigningKey = key
	}
	cfg.ServiceAccountAdmission = true
	return nil
}

// cluster is what cluster mode runs beside the server, each a client of its
// API as on a kind node: kube-scheduler, kube-controller-manager and the
// node's kubelet.
type cluster struct {
	scheduler   *scheduler.Scheduler
	controllers *controllers.Manager
	kubelet     *kubelet.Kubelet
}

// startCluster starts the kubelet (which returns once its node is
// registered), then the scheduler and the controllers (both return at once
// and sync in the background). The kubelet goes first so that its one
// request at start does not queue behind the lists and handshakes of a dozen
// informers starting together.
func startCluster(config *rest.Config, rootCA []byte, k *kubelet.Kubelet, run func(*rest.Config) error) (*cluster, error) {
	c := &cluster{kubelet: k}
	if err := run(config); err != nil {
		c.stop()
		return nil, fmt.Errorf("starting the simulated kubelet: %w", err)
	}
	var err error
	if c.scheduler, err = scheduler.Start(config); err != nil {
		c.stop()
		return nil, fmt.Errorf("starting the simulated scheduler: %w", err)
	}
	if c.controllers, err = controllers.Start(config, controllers.Options{RootCA: rootCA}); err != nil {
		c.stop()
		return nil, fmt.Errorf("starting the simulated controllers: %w", err)
	}
	return c, nil
}

// stop stops the kubelet, the scheduler and the controllers, together (each
// waits for its informers' watches to end), so that none of their requests
// is in flight when the server shuts down.
func (c *cluster) stop() {
	if c == nil {
		return
	}
	var wg sync.WaitGroup
	wg.Go(c.kubelet.Stop)
	if c.scheduler != nil {
		wg.Go(c.scheduler.Stop)
	}
	if c.controllers != nil {
		wg.Go(c.controllers.Stop)
	}
	wg.Wait()
}
