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

//lint:file-ignore SA1019 kube-apiserver's controller (pkg/controlplane/reconcilers) still writes the default/kubernetes Endpoints beside the EndpointSlice

// Package kubernetesservice keeps the default/kubernetes Service, its
// Endpoints and its EndpointSlice, as kube-apiserver's kubernetes-service
// controller (pkg/controlplane/controller/kubernetesservice) and its lease
// endpoint reconciler (pkg/controlplane/reconcilers: lease.go,
// endpointsadapter.go) do: a ClusterIP Service with the first IP of the
// service range and port 443 ("https") to the server's port, and one
// endpoint, the server's public address.
package kubernetesservice

import (
	"context"
	"net"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
)

// Name is the Service's, Endpoints' and EndpointSlice's name.
const Name = "kubernetes"

// Interval is how often the objects are reconciled (kube-apiserver's
// --endpoint-reconciler-interval default, EndpointInterval: 10s).
const Interval = 10 * time.Second

// Options locate the server.
type Options struct {
	// ServiceIP is the Service's cluster IP: the first address of the
	// service range.
	ServiceIP net.IP
	// PublicIP and PublicPort are the server's address as the cluster sees
	// it (--advertise-address and the secure port).
	PublicIP   net.IP
	PublicPort int
}

// Run reconciles at once, then every Interval until ctx ends (the caller
// runs it in the background, as upstream starts the controller).
func Run(ctx context.Context, client kubernetes.Interface, opts Options) {
	t := time.NewTicker(Interval)
	defer t.Stop()
	for {
		if err := Reconcile(ctx, client, opts); err != nil && ctx.Err() == nil {
			klog.V(2).InfoS("kubernetes Service not reconciled", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Reconcile creates the Service if it is missing (an existing one is left
// alone, as with --endpoint-reconciler-type=lease at run time), then makes
// the Endpoints and EndpointSlice name this server.
func Reconcile(ctx context.Context, client kubernetes.Interface, opts Options) error {
	if err := ensureService(ctx, client, opts); err != nil {
		return err
	}
	return ensureEndpoints(ctx, client, opts)
}

func ensureService(ctx context.Context, client kubernetes.Interface, opts Options) error {
	services := client.CoreV1().Services(metav1.NamespaceDefault)
	if _, err := services.Get(ctx, Name, metav1.GetOptions{}); err == nil || !apierrors.IsNotFound(err) {
		return err
	}
	single := corev1.IPFamilyPolicySingleStack
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{"provider": "kubernetes", "component": "apiserver"}},
		Spec: corev1.ServiceSpec{
			Ports: []corev1.ServicePort{{Protocol: corev1.ProtocolTCP, Port: 443, Name: "https",
				TargetPort: intstr.FromInt32(int32(opts.PublicPort))}},
			ClusterIP:       opts.ServiceIP.String(),
			IPFamilyPolicy:  &single,
			SessionAffinity: corev1.ServiceAffinityNone,
			Type:            corev1.ServiceTypeClusterIP,
		},
	}
	if _, err := services.Create(ctx, svc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// ensureEndpoints mirrors the lease reconciler with one server: the
// Endpoints (marked skip-mirror) list exactly this server, and the
// EndpointSlice follows them (EnsureEndpointSliceFromEndpoints).
func ensureEndpoints(ctx context.Context, client kubernetes.Interface, opts Options) error {
	want := []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: opts.PublicIP.String()}},
		Ports:     []corev1.EndpointPort{{Name: "https", Port: int32(opts.PublicPort), Protocol: corev1.ProtocolTCP}},
	}}
	endpoints := client.CoreV1().Endpoints(metav1.NamespaceDefault)
	ep, err := endpoints.Get(ctx, Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		ep = &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{discoveryv1.LabelSkipMirror: "true"}}, Subsets: want}
		if ep, err = endpoints.Create(ctx, ep, metav1.CreateOptions{}); err != nil {
			return err
		}
	case err != nil:
		return err
	case !apiequality.Semantic.DeepEqual(ep.Subsets, want) || ep.Labels[discoveryv1.LabelSkipMirror] != "true":
		ep.Subsets = want
		if ep.Labels == nil {
			ep.Labels = map[string]string{}
		}
		ep.Labels[discoveryv1.LabelSkipMirror] = "true"
		if ep, err = endpoints.Update(ctx, ep, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	return ensureSlice(ctx, client, ep)
}

func ensureSlice(ctx context.Context, client kubernetes.Interface, ep *corev1.Endpoints) error {
	want := sliceFromEndpoints(ep)
	slices := client.DiscoveryV1().EndpointSlices(metav1.NamespaceDefault)
	cur, err := slices.Get(ctx, Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		if _, err = slices.Create(ctx, want, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
			err = nil
		}
		return err
	}
	if err != nil {
		return err
	}
	if apiequality.Semantic.DeepEqual(cur.Endpoints, want.Endpoints) && apiequality.Semantic.DeepEqual(cur.Ports, want.Ports) &&
		apiequality.Semantic.DeepEqual(cur.Labels, want.Labels) {
		return nil
	}
	_, err = slices.Update(ctx, want, metav1.UpdateOptions{})
	return err
}

// sliceFromEndpoints mirrors endpointSliceFromEndpoints for an IPv4 server.
func sliceFromEndpoints(ep *corev1.Endpoints) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: ep.Name, Namespace: ep.Namespace, Labels: map[string]string{discoveryv1.LabelServiceName: ep.Name}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	if len(ep.Subsets) == 0 {
		return s
	}
	ss := ep.Subsets[0]
	for i := range ss.Ports {
		s.Ports = append(s.Ports, discoveryv1.EndpointPort{Port: &ss.Ports[i].Port, Name: &ss.Ports[i].Name, Protocol: &ss.Ports[i].Protocol})
	}
	s.Endpoints = []discoveryv1.Endpoint{}
	for _, a := range ss.Addresses {
		ready := true
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{a.IP}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}, TargetRef: a.TargetRef, NodeName: a.NodeName})
	}
	for _, a := range ss.NotReadyAddresses {
		ready := false
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{a.IP}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}, TargetRef: a.TargetRef, NodeName: a.NodeName})
	}
	return s
}
