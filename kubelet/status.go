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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// podStatus computes the pod's status as generateAPIPodStatus would, and
// when to look again. Call with k.mu held.
func (k *Kubelet) podStatus(pod *corev1.Pod, st *podState, now time.Time) (*corev1.PodStatus, time.Duration) {
	s := pod.Status.DeepCopy()
	var next time.Time
	soonest := func(t time.Time) {
		if !t.IsZero() && t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	statuses := func(list []corev1.Container) []corev1.ContainerStatus {
		var out []corev1.ContainerStatus
		for _, c := range list {
			cs, at := st.ctrs[c.Name].status(now)
			soonest(at)
			out = append(out, cs)
		}
		return out
	}
	s.InitContainerStatuses = statuses(pod.Spec.InitContainers)
	s.ContainerStatuses = statuses(pod.Spec.Containers)
	s.EphemeralContainerStatuses = nil
	for _, ec := range pod.Spec.EphemeralContainers {
		cs, at := st.ctrs[ec.Name].status(now)
		soonest(at)
		s.EphemeralContainerStatuses = append(s.EphemeralContainerStatuses, cs)
	}

	running, terminated, succeeded := 0, 0, 0
	var unready []string
	for _, cs := range s.ContainerStatuses {
		switch {
		case cs.State.Running != nil:
			running++
		case cs.State.Terminated != nil:
			terminated++
			if cs.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		}
		if !cs.Ready {
			unready = append(unready, cs.Name)
		}
	}
	// kubelet_pods.go getPhase, without restarts (never simulated).
	switch {
	case terminated == len(s.ContainerStatuses) && terminated > 0 && pod.Spec.RestartPolicy != corev1.RestartPolicyAlways:
		if succeeded == terminated {
			s.Phase = corev1.PodSucceeded
		} else {
			s.Phase = corev1.PodFailed
		}
	case running > 0 || terminated > 0:
		s.Phase = corev1.PodRunning
	default:
		s.Phase = corev1.PodPending
	}

	s.HostIP = k.opts.NodeIP
	s.HostIPs = []corev1.HostIP{{IP: k.opts.NodeIP}}
	s.PodIP = st.podIP
	s.PodIPs = []corev1.PodIP{{IP: st.podIP}}
	start := st.startTime
	s.StartTime = &start
	s.ObservedGeneration = pod.Generation

	// Conditions in the kubelet's order (generateAPIPodStatus):
	// PodReadyToStartContainers, Initialized, Ready, ContainersReady,
	// PodScheduled. Transition times are kept while the status holds.
	ready := corev1.PodCondition{Type: corev1.ContainersReady, Status: corev1.ConditionTrue}
	if len(unready) > 0 {
		ready.Status = corev1.ConditionFalse
		ready.Reason = "ContainersNotReady"
		ready.Message = fmt.Sprintf("containers with unready status: %s", unready)
	}
	if s.Phase == corev1.PodSucceeded {
		ready.Reason = "PodCompleted"
		ready.Message = ""
	}
	podReady := ready
	podReady.Type = corev1.PodReady
	conds := []corev1.PodCondition{
		{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue},
		podReady,
		ready,
	}
	if s.Phase == corev1.PodSucceeded || s.Phase == corev1.PodFailed {
		conds[0].Status = corev1.ConditionFalse // sandbox torn down
	}
	var others []corev1.PodCondition
	scheduled := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(st.seen.Truncate(time.Second))}
	for _, c := range pod.Status.Conditions {
		switch c.Type {
		case corev1.PodScheduled:
			scheduled = c
		case corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady:
		default:
			others = append(others, c)
		}
	}
	for i := range conds {
		conds[i].ObservedGeneration = pod.Generation
		conds[i].LastTransitionTime = metav1.NewTime(now.Truncate(time.Second))
		for _, old := range pod.Status.Conditions {
			if old.Type == conds[i].Type && old.Status == conds[i].Status {
				conds[i].LastTransitionTime = old.LastTransitionTime
			}
		}
	}
	scheduled.ObservedGeneration = pod.Generation
	s.Conditions = append(append(others, conds...), scheduled)

	var d time.Duration
	if !next.IsZero() {
		d = next.Sub(now) + time.Millisecond
	}
	return s, d
}
