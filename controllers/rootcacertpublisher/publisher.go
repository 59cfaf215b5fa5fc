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

// Package rootcacertpublisher is kube-controller-manager's root-CA
// publisher (pkg/controller/certificates/rootcacertpublisher): every
// namespace gets the kube-root-ca.crt ConfigMap holding the cluster's CA
// bundle (what the kube-api-access volume projects as ca.crt), put back if
// it is deleted or changed.
package rootcacertpublisher

import (
	"context"
	"reflect"
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

// Upstream's names.
const (
	Name                    = "root-ca-certificate-publisher-controller"
	RootCACertConfigMapName = "kube-root-ca.crt"
	DescriptionAnnotation   = "kubernetes.io/description"
	Description             = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. " +
		"No other usage is guaranteed across distributions of Kubernetes clusters."
)

// Publisher keeps the config maps.
type Publisher struct {
	client kubernetes.Interface
	rootCA []byte
	cms    corelisters.ConfigMapLister
	synced []cache.InformerSynced
	loop   *reconcile.Loop
}

// New wires the publisher to the factory's config-map and namespace
// informers; rootCA is the PEM bundle to publish.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, rootCA []byte) *Publisher {
	p := &Publisher{client: client, rootCA: rootCA}
	p.loop = reconcile.New(Name, p.sync)
	cmInformer := factory.Core().V1().ConfigMaps()
	nsInformer := factory.Core().V1().Namespaces()
	p.cms = cmInformer.Lister()
	requeue := func(obj interface{}) {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		if cm, ok := obj.(*corev1.ConfigMap); ok && cm.Name == RootCACertConfigMapName {
			p.loop.Add(cm.Namespace)
		}
	}
	_, _ = cmInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj interface{}) { requeue(obj) },
		DeleteFunc: requeue,
	})
	_, _ = nsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: p.loop.Enqueue,
		UpdateFunc: func(old, obj interface{}) {
			// namespaceUpdated: only a namespace that became active again.
			o, n := old.(*corev1.Namespace), obj.(*corev1.Namespace)
			if o.Status.Phase != n.Status.Phase && n.Status.Phase == corev1.NamespaceActive {
				p.loop.Enqueue(obj)
			}
		},
	})
	p.synced = []cache.InformerSynced{cmInformer.Informer().HasSynced, nsInformer.Informer().HasSynced}
	return p
}

// Run works until ctx ends.
func (p *Publisher) Run(ctx context.Context) { p.loop.Run(ctx, 1, p.synced...) }

// sync mirrors syncNamespace.
func (p *Publisher) sync(ctx context.Context, ns string) (time.Duration, error) {
	data := map[string]string{"ca.crt": string(p.rootCA)}
	cm, err := p.cms.ConfigMaps(ns).Get(RootCACertConfigMapName)
	switch {
	case apierrors.IsNotFound(err):
		_, err = p.client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: RootCACertConfigMapName, Annotations: map[string]string{DescriptionAnnotation: Description}},
			Data:       data,
		}, metav1.CreateOptions{})
		if apierrors.IsNotFound(err) || apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) || apierrors.IsAlreadyExists(err) {
			return 0, nil
		}
		return 0, err
	case err != nil:
		return 0, err
	}
	if reflect.DeepEqual(cm.Data, data) && len(cm.Annotations[DescriptionAnnotation]) > 0 {
		return 0, nil
	}
	cm = cm.DeepCopy()
	cm.Data = data
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Annotations[DescriptionAnnotation] = Description
	_, err = p.client.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{})
	return 0, err
}
