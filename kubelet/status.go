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
// when to look again. terminal says the pod's containers will not run
// again (it was deleted and they stopped): the phase is then Succeeded or
// Failed whatever the restart policy. Call with k.mu held.
func (k *Kubelet) podStatus(pod *corev1.Pod, st *podState, now time.Time, terminal bool) (*corev1.PodStatus, time.Duration) {
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
	for _, c := range st.ctrs {
		soonest(c.nextRestart)
	}
	s.Phase = getPhase(pod, s.ContainerStatuses, terminal)

	s.HostIP = k.opts.NodeIP
	s.HostIPs = []corev1.HostIP{{IP: k.opts.NodeIP}}
	s.PodIP = st.podIP
	s.PodIPs = []corev1.PodIP{{IP: st.podIP}}
	start := st.startTime
	s.StartTime = &start
	s.ObservedGeneration = pod.Generation

	// Conditions in the kubelet's order (generateAPIPodStatus):
	// PodReadyToStartContainers, Initialized, Ready, ContainersReady,
	// PodScheduled (pkg/kubelet/status/generate.go). Transition times are
	// kept while the status holds.
	ready := containersReady(pod, s.ContainerStatuses, s.Phase)
	podReady := ready
	podReady.Type = corev1.PodReady
	sandbox := corev1.PodCondition{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue}
	if s.Phase == corev1.PodSucceeded || s.Phase == corev1.PodFailed || terminal {
		// The sandbox is torn down (PodSandboxChanged: not ready).
		sandbox.Status, sandbox.Reason, sandbox.Message = corev1.ConditionFalse, "PodSandboxNotReady", "pod sandbox is not ready"
	}
	initialized := corev1.PodCondition{Type: corev1.PodInitialized, Status: corev1.ConditionTrue}
	if s.Phase == corev1.PodSucceeded {
		initialized.Reason = "PodCompleted" // GeneratePodInitializedCondition
	}
	conds := []corev1.PodCondition{
		sandbox,
		initialized,
		podReady,
		ready,
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

// containersReady mirrors GenerateContainersReadyCondition: a terminal pod's
// containers are not ready (PodCompleted or PodFailed), otherwise those not
// ready are listed.
func containersReady(pod *corev1.Pod, statuses []corev1.ContainerStatus, phase corev1.PodPhase) corev1.PodCondition {
	c := corev1.PodCondition{Type: corev1.ContainersReady, Status: corev1.ConditionFalse}
	switch phase {
	case corev1.PodSucceeded:
		c.Reason = "PodCompleted"
		return c
	case corev1.PodFailed:
		c.Reason = "PodFailed"
		return c
	}
	var unready []string
	for _, cs := range statuses {
		if !cs.Ready {
			unready = append(unready, cs.Name)
		}
	}
	if len(unready) > 0 {
		c.Reason = "ContainersNotReady"
		c.Message = fmt.Sprintf("containers with unready status: %s", unready)
		return c
	}
	c.Status = corev1.ConditionTrue
	return c
}

// getPhase mirrors kubelet_pods.go getPhase for the regular containers (the
// simulation does not sequence init containers): a container waiting after
// an exit counts as stopped; a pod whose containers all stopped is Running
// while they will restart, else Succeeded when all succeeded, else Failed.
func getPhase(pod *corev1.Pod, info []corev1.ContainerStatus, terminal bool) corev1.PodPhase {
	running, waiting, stopped, succeeded, unknown := 0, 0, 0, 0, 0
	for _, c := range pod.Spec.Containers {
		var cs *corev1.ContainerStatus
		for i := range info {
			if info[i].Name == c.Name {
				cs = &info[i]
			}
		}
		switch {
		case cs == nil:
			unknown++
		case cs.State.Running != nil:
			running++
		case cs.State.Terminated != nil:
			stopped++
			if cs.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		case cs.State.Waiting != nil:
			if cs.LastTerminationState.Terminated != nil {
				stopped++
			} else {
				waiting++
			}
		default:
			unknown++
		}
	}
	switch {
	case waiting > 0:
		return corev1.PodPending
	case running > 0 && unknown == 0:
		return corev1.PodRunning
	case running == 0 && stopped > 0 && unknown == 0:
		if terminal {
			if stopped == succeeded {
				return corev1.PodSucceeded
			}
			return corev1.PodFailed
		}
		if pod.Spec.RestartPolicy == corev1.RestartPolicyAlways {
			return corev1.PodRunning
		}
		if stopped == succeeded {
			return corev1.PodSucceeded
		}
		if pod.Spec.RestartPolicy == corev1.RestartPolicyNever {
			return corev1.PodFailed
		}
		return corev1.PodRunning
	}
	return corev1.PodPending
}
