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

// Package apiserveridentity keeps the server's identity Lease in
// kube-system, as kube-apiserver's "start-kube-apiserver-identity-lease-
// controller" post-start hook does (pkg/controlplane/apiserver/server.go,
// with k8s.io/component-helpers' lease controller, which this package
// uses too): named after the server's ID, held for an hour, renewed every
// ten seconds, labelled with the component and the host, and annotated
// with the address peers reach it at.
package apiserveridentity

import (
	"context"
	"os"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes"
	"k8s.io/component-helpers/apimachinery/lease"
	"k8s.io/utils/clock"
)

// Upstream's constants (pkg/controlplane/apiserver/server.go).
const (
	LeaseDurationSeconds = 3600
	RenewInterval        = 10 * time.Second
	ComponentLabelKey    = "apiserver.kubernetes.io/identity"
	Component            = "kube-apiserver"
)

// Run keeps the lease of the server with the given ID (GenericAPIServer's
// APIServerID) and peer address until ctx ends; it returns at once.
func Run(ctx context.Context, client kubernetes.Interface, serverID, peerAddress string) {
	c := lease.NewController(clock.RealClock{}, client, serverID+"_"+string(uuid.NewUUID()),
		LeaseDurationSeconds, nil, RenewInterval, serverID, metav1.NamespaceSystem,
		func(l *coordinationv1.Lease) error {
			if l.Labels == nil {
				l.Labels = map[string]string{}
			}
			if l.Annotations == nil {
				l.Annotations = map[string]string{}
			}
			l.Labels[ComponentLabelKey] = Component
			hostname, err := os.Hostname()
			if err != nil {
				return err
			}
			l.Labels[corev1.LabelHostname] = hostname
			if peerAddress != "" {
				l.Annotations[corev1.AnnotationPeerAdvertiseAddress] = peerAddress
			}
			return nil
		})
	c.Run(ctx)
}
