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
	delete(k.recorded, uid)
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
	if pod.Spec.NodeName != k.opts.NodeName {
		return 0, nil // the informer only lists this node's pods
	}
	if pod.DeletionTimestamp != nil {
		return k.syncDeleted(ctx, pod)
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return 0, nil
	}

	now := time.Now()
	k.mu.Lock()
	st := k.podState(pod, now)
	k.advance(pod, st, now)
	events := k.dueEvents(pod, st, now)
	status, next := k.podStatus(pod, st, now, false)
	k.mu.Unlock()

	for _, e := range events {
		k.emit(ctx, pod, e)
	}
	if err := k.writeStatus(ctx, pod, status); err != nil {
		return 0, err
	}
	k.mu.Lock()
	again := k.reportExits(st, now)
	k.mu.Unlock()
	if again && (next == 0 || next > time.Millisecond) {
		next = time.Millisecond
	}
	return next, nil
}

// writeStatus writes the pod's status through pods/status when it changed.
func (k *Kubelet) writeStatus(ctx context.Context, pod *corev1.Pod, status *corev1.PodStatus) error {
	if apiequality.Semantic.DeepEqual(status, &pod.Status) {
		return nil
	}
	newPod := pod.DeepCopy()
	newPod.Status = *status
	if _, err := k.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, newPod, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}

// reportExits marks the exits the written status showed, so that the
// containers to restart are restarted on the next pass; it reports whether
// there is one. Call with k.mu held.
func (k *Kubelet) reportExits(st *podState, now time.Time) bool {
	again := false
	for _, c := range st.ctrs {
		if t := c.timeline(); !t.finished.IsZero() && !now.Before(t.finished) && !c.exitReported {
			c.exitReported = true
			again = true
		}
	}
	return again
}

// syncDeleted handles a pod being deleted, as the kubelet's pod workers do
// (pkg/kubelet/pod_workers.go, killPod): its running containers get a
// "Killing" event and stop at the deletion deadline; then the pod's final
// status is written (a terminal phase: the containers will not run again)
// and the pod is removed for good with grace period 0 and a UID
// precondition (pkg/kubelet/status/status_manager.go, syncPod).
func (k *Kubelet) syncDeleted(ctx context.Context, pod *corev1.Pod) (time.Duration, error) {
	now := time.Now()
	k.mu.Lock()
	st, known := k.pods[pod.UID]
	var killing []*ctrState
	type stop struct {
		id    string
		grace time.Duration
	}
	var stops []stop
	if known && !st.killing {
		st.killing = true
		killing = st.kill(pod, now)
		// The kill goes to the runtime: every container with a process
		// gets SIGTERM now and SIGKILL at the deadline (the runtime's
		// report of the end may come sooner, from a PID 1 that handles
		// SIGTERM).
		for _, c := range st.ctrs {
			if c.killAt != nil {
				stops = append(stops, stop{c.containerID, c.killAt.Sub(now)})
			}
		}
	}
	if known {
		// Containers the kubelet sees for the first time in a deleted pod
		// (an ephemeral container added just before the deletion, both
		// changes seen at once) are recorded but never start: a kubelet
		// starts nothing in a terminating pod, and reports them in the
		// default waiting state.
		had := make(map[string]bool, len(st.ctrs))
		for name := range st.ctrs {
			had[name] = true
		}
		k.podState(pod, now)
		for name, c := range st.ctrs {
			if !had[name] {
				c.unstarted = true
			}
		}
	}
	var status *corev1.PodStatus
	var next time.Duration
	done := true
	if known {
		for _, c := range st.ctrs {
			if t := c.timeline(); t.started != never && (t.finished.IsZero() || now.Before(t.finished)) && !t.started.IsZero() {
				if t.finished.IsZero() {
					done = false
				} else if d := t.finished.Sub(now) + time.Millisecond; next == 0 || d < next {
					next, done = d, false
				}
			}
		}
		if done && !st.killedStatusWritten {
			status, _ = k.podStatus(pod, st, now, true)
		}
	}
	k.mu.Unlock()
	for _, c := range killing {
		k.emit(ctx, pod, event{reason: "Killing", message: "Stopping container " + c.name, fieldPath: fieldPath(c)})
	}
	for _, s := range stops {
		k.stopContainer(s.id, s.grace)
	}
	if !done {
		return next, nil
	}
	if status != nil {
		if err := k.writeStatus(ctx, pod, status); err != nil {
			return 0, err
		}
		k.mu.Lock()
		st.killedStatusWritten = true
		k.mu.Unlock()
	}
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

// podState returns the simulation's record of a pod, creating records for
// containers seen for the first time. Call with k.mu held.
func (k *Kubelet) podState(pod *corev1.Pod, now time.Time) *podState {
	st, ok := k.pods[pod.UID]
	if !ok {
		st = &podState{seen: now, ctrs: map[string]*ctrState{}, startTime: metav1.NewTime(now.Truncate(time.Second))}
		if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			st.killing = true
		}
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
	add := func(c *corev1.Container, ephemeral, init bool, seen time.Time) {
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
			name: c.Name, image: c.Image, podRef: podRef(pod), ephemeral: ephemeral, init: init,
			outcome:        outcome,
			seen:           seen,
			attemptStart:   seen,
			pullAlways:     c.ImagePullPolicy == corev1.PullAlways,
			startupDelay:   probeDelay(c.StartupProbe),
			readinessDelay: probeDelay(c.ReadinessProbe),
			containerID:    "containerd://" + randomHex(),
			imageID:        imageref.Repository(c.Image) + "@sha256:" + hashHex(c.Image),
			events:         map[string]bool{},
			mounts:         mountStatuses(c.VolumeMounts),
			resources:      *c.Resources.DeepCopy(),
			user:           containerUser(pod, c),
		}
	}
	for i := range pod.Spec.InitContainers {
		add(&pod.Spec.InitContainers[i], false, true, st.seen)
	}
	for i := range pod.Spec.Containers {
		add(&pod.Spec.Containers[i], false, false, st.seen)
	}
	for i := range pod.Spec.EphemeralContainers {
		ec := pod.Spec.EphemeralContainers[i]
		c := corev1.Container{Name: ec.Name, Image: ec.Image, Stdin: ec.Stdin, TTY: ec.TTY, Command: ec.Command, Args: ec.Args,
			VolumeMounts: ec.VolumeMounts, Resources: ec.Resources, SecurityContext: ec.SecurityContext, ImagePullPolicy: ec.ImagePullPolicy}
		add(&c, true, false, now)
	}
	return st
}

// probeDelay is when a probe first succeeds after the container started:
// its initial delay (the simulated probes succeed, and the prober runs the
// first one when the delay is over). nil without a probe.
func probeDelay(p *corev1.Probe) *time.Duration {
	if p == nil {
		return nil
	}
	d := time.Duration(p.InitialDelaySeconds) * time.Second
	return &d
}
