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
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Restart back-off as a v1.37.2 kubelet computes it
// (pkg/kubelet/kubelet.go newCrashLoopBackOff: ReduceDefaultCrashLoopBackOffDecay
// is GA, so the first back-off is 1 s; KubeletCrashLoopBackOffMax is on with
// the default maxContainerRestartPeriod, 300 s; client-go's
// flowcontrol.Backoff without jitter doubles it, and forgets it after twice
// the maximum without exits).
const (
	initialCrashLoopBackOff = time.Second
	maxCrashLoopBackOff     = 300 * time.Second
	// killExitCode is what a container killed with SIGKILL exits with.
	killExitCode = 137
)

// podRef is format.Pod: the pod as the kubelet's messages name it.
func podRef(p *corev1.Pod) string {
	return fmt.Sprintf("%s_%s(%s)", p.Name, p.Namespace, p.UID)
}

// shouldRestart mirrors ContainerShouldRestart with the pod's restart
// policy: Always restarts regular containers whatever their exit (init
// containers only on failure), OnFailure on a non-zero exit, Never never;
// ephemeral containers and the containers of a deleted pod never restart.
func shouldRestart(pod *corev1.Pod, c *ctrState, code int32) bool {
	if c.ephemeral || pod.DeletionTimestamp != nil {
		return false
	}
	switch pod.Spec.RestartPolicy {
	case corev1.RestartPolicyAlways:
		return !c.init || code != 0
	case corev1.RestartPolicyOnFailure:
		return code != 0
	}
	return false
}

// advance restarts the containers whose back-off is over, as the kubelet's
// pod sync does (computePodActions, doBackOff). A container's exit is
// written in a status before it is restarted, as the real kubelet reports
// the exit it found before starting the container again. Call with k.mu
// held.
func (k *Kubelet) advance(pod *corev1.Pod, st *podState, now time.Time) {
	for _, c := range st.ctrs {
		for {
			t := c.timeline()
			if t.finished.IsZero() || now.Before(t.finished) || t.killed {
				break
			}
			if !shouldRestart(pod, c, c.code()) || !c.exitReported {
				break
			}
			if c.nextRestart.IsZero() {
				if c.backoff == 0 || t.finished.Sub(c.backoffAt) > 2*maxCrashLoopBackOff {
					// No back-off yet (or forgotten): restart at once.
					c.backoff, c.backoffAt = initialCrashLoopBackOff, t.finished
					c.nextRestart = t.finished
				} else {
					c.nextRestart = t.finished.Add(c.backoff)
				}
			}
			if now.Before(c.nextRestart) {
				break
			}
			c.restart(t)
		}
	}
}

// restart begins a new attempt of the container at c.nextRestart.
func (c *ctrState) restart(t timeline) {
	at := c.nextRestart
	if at.After(t.finished) {
		// The back-off was waited out: the next one is twice as long.
		c.backoff = min(2*c.backoff, maxCrashLoopBackOff)
		c.backoffAt = at
	}
	c.lastTerm = c.terminated(t)
	c.attempt++
	c.attemptStart = at
	// The new attempt is a new container in the runtime (startContainer,
	// when its start is due); the previous one stays there with its log,
	// which logs --previous reads by the ID in lastTerm.
	c.containerID = "containerd://" + randomHex()
	c.finished, c.exitCode, c.startError, c.exitReported = nil, 0, "", false
	c.nextRestart = time.Time{}
	for _, key := range []string{"pulling", "pulled", "created", "started", "output", "backoff-wait"} {
		delete(c.events, key)
	}
}

// kill stops the containers of a deleted pod at its deletion deadline
// (killContainersWithSyncResult: SIGTERM, then SIGKILL when the grace
// period ends; the images' PID 1 ignores SIGTERM). It returns the
// containers that get the "Killing" event: those running now. Call with
// k.mu held.
func (st *podState) kill(pod *corev1.Pod, now time.Time) []*ctrState {
	// The kubelet counts the grace period from when it starts killing
	// (deletionGracePeriodSeconds), not from deletionTimestamp, which the
	// API rounds to the second.
	deadline := now
	if g := pod.DeletionGracePeriodSeconds; g != nil && *g > 0 {
		deadline = now.Add(time.Duration(*g) * time.Second)
	}
	var running []*ctrState
	for _, c := range orderedContainers(pod, st) {
		if c == nil {
			continue
		}
		t := c.timeline()
		if !t.finished.IsZero() && !now.Before(t.finished) {
			continue // already stopped
		}
		at := deadline
		c.killAt = &at
		c.nextRestart = time.Time{}
		if !t.started.IsZero() && !now.Before(t.started) {
			running = append(running, c)
		}
	}
	return running
}
