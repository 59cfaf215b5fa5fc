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

// Package podgc is kube-controller-manager's pod garbage collector
// (pkg/controller/podgc/gc_controller.go): every 20 seconds, pods bound to a
// node that no longer exists (still missing after a 40-second quarantine)
// are marked Failed with a DisruptionTarget condition and force-deleted,
// and terminating pods that were never scheduled are force-deleted. The
// terminated-pod threshold (kind's 12500) and out-of-service nodes are not
// simulated.
package podgc

import (
	"context"
	"encoding/json"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/ephemera-dev/ephemera/internal/reconcile"
)

// Upstream's timing.
const (
	Name           = "pod-garbage-collector-controller"
	CheckPeriod    = 20 * time.Second
	QuarantineTime = 40 * time.Second
)

// Controller is the pod garbage collector.
type Controller struct {
	client  kubernetes.Interface
	pods    corelisters.PodLister
	nodes   corelisters.NodeLister
	synced  []cache.InformerSynced
	missing map[string]time.Time // node name -> when first seen missing
}

// New wires the collector to the factory's pod and node informers.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) *Controller {
	pods, nodes := factory.Core().V1().Pods(), factory.Core().V1().Nodes()
	return &Controller{client: client, pods: pods.Lister(), nodes: nodes.Lister(),
		synced:  []cache.InformerSynced{pods.Informer().HasSynced, nodes.Informer().HasSynced},
		missing: map[string]time.Time{}}
}

// Run collects every CheckPeriod until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	if !reconcile.WaitForSync(ctx, c.synced...) {
		return
	}
	t := time.NewTicker(CheckPeriod)
	defer t.Stop()
	for {
		c.gc(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *Controller) gc(ctx context.Context) {
	pods, err := c.pods.List(labels.Everything())
	if err != nil {
		return
	}
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return
	}
	existing := map[string]bool{}
	for _, n := range nodes {
		existing[n.Name] = true
	}
	now := time.Now()
	for name := range c.missing {
		if existing[name] {
			delete(c.missing, name)
		}
	}
	for _, p := range pods {
		if n := p.Spec.NodeName; n != "" && !existing[n] {
			if _, ok := c.missing[n]; !ok {
				c.missing[n] = now
			}
		}
	}
	// discoverDeletedNodes: after the quarantine, a live lookup confirms.
	deleted := map[string]bool{}
	for name, since := range c.missing {
		if now.Sub(since) < QuarantineTime {
			continue
		}
		if _, err := c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			deleted[name] = true
		}
		delete(c.missing, name)
	}
	for _, p := range pods {
		if deleted[p.Spec.NodeName] {
			cond := &corev1.PodCondition{Type: corev1.DisruptionTarget, ObservedGeneration: p.Generation, Status: corev1.ConditionTrue,
				Reason: "DeletionByPodGC", Message: "PodGC: node no longer exists"}
			c.markFailedAndDelete(ctx, p, cond)
		}
	}
	for _, p := range pods {
		if p.DeletionTimestamp != nil && p.Spec.NodeName == "" {
			c.markFailedAndDelete(ctx, p, nil)
		}
	}
}

// markFailedAndDelete mirrors markFailedAndDeletePodWithCondition: a pod
// not yet finished is patched to Failed (with the condition) through
// pods/status, then deleted with grace period 0.
func (c *Controller) markFailedAndDelete(ctx context.Context, p *corev1.Pod, cond *corev1.PodCondition) {
	if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
		status := p.Status.DeepCopy()
		status.Phase = corev1.PodFailed
		status.ObservedGeneration = p.Generation
		if cond != nil {
			cond.LastTransitionTime = metav1.Now()
			replaced := false
			for i := range status.Conditions {
				if status.Conditions[i].Type == cond.Type {
					status.Conditions[i], replaced = *cond, true
				}
			}
			if !replaced {
				status.Conditions = append(status.Conditions, *cond)
			}
		}
		if err := patchStatus(ctx, c.client, p, *status); err != nil {
			klog.V(2).InfoS("PodGC: status not patched", "pod", klog.KObj(p), "err", err)
			return
		}
	}
	if err := c.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, *metav1.NewDeleteOptions(0)); err != nil && !apierrors.IsNotFound(err) {
		klog.V(2).InfoS("PodGC: pod not deleted", "pod", klog.KObj(p), "err", err)
	}
}

// patchStatus mirrors pkg/util/pod PatchPodStatus: a strategic merge patch
// of the status with the pod's UID as precondition.
func patchStatus(ctx context.Context, client kubernetes.Interface, p *corev1.Pod, status corev1.PodStatus) error {
	oldData, err := json.Marshal(corev1.Pod{Status: p.Status})
	if err != nil {
		return err
	}
	newData, err := json.Marshal(corev1.Pod{ObjectMeta: metav1.ObjectMeta{UID: p.UID}, Status: status})
	if err != nil {
		return err
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(oldData, newData, corev1.Pod{})
	if err != nil {
		return err
	}
	_, err = client.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	return err
}
