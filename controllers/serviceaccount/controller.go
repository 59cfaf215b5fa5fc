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

// Package serviceaccount is kube-controller-manager's service-account
// controller (pkg/controller/serviceaccount/serviceaccounts_controller.go):
// every active namespace gets a "default" ServiceAccount, made again if it is
// deleted.
package serviceaccount

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/ephemera-dev/ephemera/internal/reconcile"
)

// Name is the controller's name (its --controllers entry).
const Name = "serviceaccount-controller"

// Controller ensures the default service accounts.
type Controller struct {
	client kubernetes.Interface
	ns     corelisters.NamespaceLister
	sa     corelisters.ServiceAccountLister
	synced []cache.InformerSynced
	loop   *reconcile.Loop
}

// New wires the controller to the factory's namespace and service-account
// informers.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) *Controller {
	c := &Controller{client: client}
	c.loop = reconcile.New(Name, c.sync)
	nsInformer := factory.Core().V1().Namespaces()
	saInformer := factory.Core().V1().ServiceAccounts()
	c.ns, c.sa = nsInformer.Lister(), saInformer.Lister()
	_, _ = nsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.loop.Enqueue,
		UpdateFunc: func(_, obj interface{}) { c.loop.Enqueue(obj) },
	})
	// A deleted default service account brings its namespace back on the queue.
	_, _ = saInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: func(obj interface{}) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if sa, ok := obj.(*corev1.ServiceAccount); ok && sa.Name == "default" {
				c.loop.Add(sa.Namespace)
			}
		},
	})
	c.synced = []cache.InformerSynced{nsInformer.Informer().HasSynced, saInformer.Informer().HasSynced}
	return c
}

// Run works until ctx ends.
func (c *Controller) Run(ctx context.Context) { c.loop.Run(ctx, 1, c.synced...) }

// sync mirrors syncNamespace: active namespaces only; a namespace that
// started terminating meanwhile is not an error.
func (c *Controller) sync(ctx context.Context, name string) (time.Duration, error) {
	ns, err := c.ns.Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if ns.Status.Phase != corev1.NamespaceActive {
		return 0, nil
	}
	switch _, err := c.sa.ServiceAccounts(name).Get("default"); {
	case err == nil:
		return 0, nil
	case !apierrors.IsNotFound(err):
		return 0, err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: name}}
	if _, err := c.client.CoreV1().ServiceAccounts(name).Create(ctx, sa, metav1.CreateOptions{}); err != nil &&
		!apierrors.IsAlreadyExists(err) && !apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		return 0, err
	}
	return 0, nil
}
