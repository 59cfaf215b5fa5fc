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

	"github.com/ephemera-dev/ephemera/internal/imageref"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func (k *Kubelet) forget(uid types.UID) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.pods, uid)
	k.node.forget(uid)
}

// sync does one pass over a pod and returns when to look again (0: only on
// the next change).
func (k *Kubelet) sync(ctx context.Context, key string) (time.Duration, error) {
	obj, exists, err := k.lister.GetByKey(key)
	if err != nil || !exists {
		return 0, err
	}
	pod := obj.(*corev1.Pod)
	if pod.Spec.NodeName == "" {
		return 0, k.bind(ctx, pod)
	}
	if pod.Spec.NodeName != k.opts.NodeName {
		return 0, nil
	}
	if pod.DeletionTimestamp != nil {
		// The kubelet stops the containers, then removes the pod for good
		// (pkg/kubelet/status/status_manager.go, syncPod: deletes with grace
		// period 0 and a UID precondition once the pod can be deleted).
		k.forget(pod.UID)
		zero := int64(0)
		err := k.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
			GracePeriodSeconds: &zero,
			Preconditions:      metav1.NewUIDPreconditions(string(pod.UID)),
		})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return 0, nil
		}
		return 0, err
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return 0, nil
	}

	now := time.Now()
	k.mu.Lock()
	st := k.podState(pod, now)
	events := k.dueEvents(pod, st, now)
	status, next := k.podStatus(pod, st, now)
	k.mu.Unlock()

	for _, e := range events {
		k.emit(ctx, pod, e)
	}
	if !apiequality.Semantic.DeepEqual(status, &pod.Status) {
		newPod := pod.DeepCopy()
		newPod.Status = *status
		if _, err := k.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, newPod, metav1.UpdateOptions{}); err != nil {
			if apierrors.IsNotFound(err) {
				return 0, nil
			}
			return 0, err
		}
	}
	return next, nil
}

// podState returns the simulation's record of a pod, creating records for
// containers seen for the first time. Call with k.mu held.
func (k *Kubelet) podState(pod *corev1.Pod, now time.Time) *podState {
	st, ok := k.pods[pod.UID]
	if !ok {
		st = &podState{seen: now, ctrs: map[string]*ctrState{}, startTime: metav1.NewTime(now.Truncate(time.Second))}
		if pod.Spec.HostNetwork {
			st.podIP = k.opts.NodeIP
		} else {
			st.podIP = k.nextIP.String()
			k.nextIP = k.nextIP.Next()
		}
		if pod.Status.StartTime != nil {
			st.startTime = *pod.Status.StartTime
		}
		k.pods[pod.UID] = st
	}
	add := func(c *corev1.Container, ephemeral bool, seen time.Time) {
		if _, ok := st.ctrs[c.Name]; ok {
			return
		}
		outcome := k.opts.Rules.For(c.Name, c.Image)
		// images/image_manager.go EnsureImageExists: an image already on the
		// node is not pulled again unless the policy is Always.
		image := imageref.Normalize(c.Image)
		if k.images[image] && c.ImagePullPolicy != corev1.PullAlways && outcome.PullError == "" {
			outcome.PullDelay = -1
		}
		if outcome.PullError == "" {
			k.images[image] = true
		}
		st.ctrs[c.Name] = &ctrState{
			name: c.Name, image: c.Image, ephemeral: ephemeral,
			outcome:     outcome,
			seen:        seen,
			containerID: "containerd://" + randomHex(),
			imageID:     imageref.Repository(c.Image) + "@sha256:" + hashHex(c.Image),
			events:      map[string]bool{},
			mounts:      mountStatuses(c.VolumeMounts),
			resources:   *c.Resources.DeepCopy(),
			user:        containerUser(pod, c),
		}
	}
	for i := range pod.Spec.InitContainers {
		add(&pod.Spec.InitContainers[i], false, st.seen)
	}
	for i := range pod.Spec.Containers {
		add(&pod.Spec.Containers[i], false, st.seen)
	}
	for i := range pod.Spec.EphemeralContainers {
		ec := pod.Spec.EphemeralContainers[i]
		c := corev1.Container{Name: ec.Name, Image: ec.Image, Stdin: ec.Stdin, TTY: ec.TTY, Command: ec.Command, Args: ec.Args,
			VolumeMounts: ec.VolumeMounts, Resources: ec.Resources, SecurityContext: ec.SecurityContext, ImagePullPolicy: ec.ImagePullPolicy}
		add(&c, true, now)
	}
	return st
}
