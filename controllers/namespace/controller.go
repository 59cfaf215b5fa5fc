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

// Package namespace is kube-controller-manager's namespace controller
// (pkg/controller/namespace, and its deleter in
// pkg/controller/namespace/deletion): a namespace being deleted is marked
// Terminating, its content is deleted through the API (pods first, then
// every other namespaced resource discovery lists, by delete-collection with
// background propagation), its deletion conditions are written to its
// status, and once nothing is left the "kubernetes" finalizer is removed
// through namespaces/finalize, which lets the server remove the namespace.
package namespace

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"

	"github.com/ephemera-dev/ephemera/internal/reconcile"
)

// Name is the controller's name.
const Name = "namespace-controller"

// Controller deletes the content of terminating namespaces.
type Controller struct {
	namespaces corelisters.NamespaceLister
	synced     cache.InformerSynced
	loop       *reconcile.Loop
	deleter    *deleter
}

// New wires the controller to the factory's namespace informer.
func New(client kubernetes.Interface, meta metadata.Interface, disco discovery.DiscoveryInterface, factory informers.SharedInformerFactory) *Controller {
	c := &Controller{deleter: &deleter{client: client, meta: meta, discover: func() ([]*metav1.APIResourceList, error) {
		return discovery.ServerPreferredNamespacedResources(disco)
	}}}
	c.loop = reconcile.New(Name, c.sync)
	informer := factory.Core().V1().Namespaces()
	c.namespaces = informer.Lister()
	c.synced = informer.Informer().HasSynced
	_, _ = informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj interface{}) { c.enqueue(obj) },
	})
	return c
}

// enqueue queues namespaces being deleted (enqueueNamespace: the others have
// nothing to do).
func (c *Controller) enqueue(obj interface{}) {
	if ns, ok := obj.(*corev1.Namespace); ok && ns.DeletionTimestamp != nil {
		c.loop.Enqueue(obj)
	}
}

// Run works until ctx ends.
func (c *Controller) Run(ctx context.Context) { c.loop.Run(ctx, 1, c.synced) }

// sync mirrors the worker: content that takes time to go (pods in their
// grace period) brings the namespace back after half the estimate plus a
// second.
func (c *Controller) sync(ctx context.Context, name string) (time.Duration, error) {
	ns, err := c.namespaces.Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	err = c.deleter.delete(ctx, ns.Name)
	var remaining *ResourcesRemainingError
	if errors.As(err, &remaining) {
		return time.Duration(remaining.Estimate/2+1) * time.Second, nil
	}
	return 0, err
}

// ResourcesRemainingError mirrors the upstream error: content remains that
// should be gone in about Estimate seconds.
type ResourcesRemainingError struct{ Estimate int64 }

func (e *ResourcesRemainingError) Error() string {
	return fmt.Sprintf("some content remains in the namespace, estimate %d seconds before it is removed", e.Estimate)
}

var podsGVR = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
