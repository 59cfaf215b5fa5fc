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

package kubelet

import (
	"context"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/component-helpers/apimachinery/lease"
	"k8s.io/utils/clock"
)

// The node lease as a v1.37 kubelet keeps it (pkg/kubelet/kubelet.go with
// k8s.io/component-helpers' lease controller): kube-node-lease/<node>, held
// by the node, 40 seconds long (nodeLeaseDurationSeconds), renewed every
// quarter of that (nodeLeaseRenewIntervalFraction), owned by the Node.
const (
	NodeLeaseDurationSeconds = 40
	nodeLeaseRenewInterval   = NodeLeaseDurationSeconds * time.Second / 4
)

// startNodeLease runs the lease controller until ctx ends.
func (k *Kubelet) startNodeLease(ctx context.Context) {
	name := k.opts.NodeName
	c := lease.NewController(clock.RealClock{}, k.client, name, NodeLeaseDurationSeconds, nil,
		nodeLeaseRenewInterval, name, corev1.NamespaceNodeLease, k.setNodeOwner)
	k.background(func() { c.Run(ctx) })
}

// setNodeOwner mirrors pkg/kubelet/util SetNodeOwnerFunc: the lease is
// owned by the Node, so that deleting the node deletes its lease.
func (k *Kubelet) setNodeOwner(l *coordinationv1.Lease) error {
	if len(l.OwnerReferences) > 0 {
		return nil
	}
	node, err := k.client.CoreV1().Nodes().Get(context.TODO(), k.opts.NodeName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	l.OwnerReferences = []metav1.OwnerReference{{
		APIVersion: corev1.SchemeGroupVersion.WithKind("Node").Version,
		Kind:       "Node",
		Name:       node.Name,
		UID:        node.UID,
	}}
	return nil
}
