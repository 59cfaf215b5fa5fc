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

package pod

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ephemera-dev/ephemera/registry/table"
)

var podColumns = []metav1.TableColumnDefinition{
	table.NameColumn,
	{Name: "Ready", Type: "string", Description: "The aggregate readiness state of this pod for accepting traffic."},
	{Name: "Status", Type: "string", Description: "The aggregate status of the containers in this pod."},
	{Name: "Restarts", Type: "string", Description: "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."},
	table.AgeColumn,
	{Name: "IP", Type: "string", Priority: 1, Description: corev1.PodStatus{}.SwaggerDoc()["podIP"]},
	{Name: "Node", Type: "string", Priority: 1, Description: corev1.PodSpec{}.SwaggerDoc()["nodeName"]},
	{Name: "Nominated Node", Type: "string", Priority: 1, Description: corev1.PodStatus{}.SwaggerDoc()["nominatedNodeName"]},
	{Name: "Readiness Gates", Type: "string", Priority: 1, Description: corev1.PodSpec{}.SwaggerDoc()["readinessGates"]},
}

// newTableConvertor renders pods as `kubectl get pods` shows them. Columns and
// the STATUS/READY/RESTARTS rules follow printPod in
// k8s.io/kubernetes/pkg/printers/internalversion/printers.go.
func newTableConvertor() table.Convertor {
	return table.Convertor{Columns: podColumns, Row: podRow}
}

func podRow(obj runtime.Object) ([]interface{}, []metav1.TableRowCondition, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil, fmt.Errorf("expected *v1.Pod, got %T", obj)
	}
	s := summarize(pod)

	var conditions []metav1.TableRowCondition
	switch pod.Status.Phase {
	case corev1.PodSucceeded:
		conditions = []metav1.TableRowCondition{{Type: metav1.RowCompleted, Status: metav1.ConditionTrue, Reason: string(corev1.PodSucceeded), Message: "The pod has completed successfully."}}
	case corev1.PodFailed:
		conditions = []metav1.TableRowCondition{{Type: metav1.RowCompleted, Status: metav1.ConditionTrue, Reason: string(corev1.PodFailed), Message: "The pod failed."}}
	}

	restarts := strconv.Itoa(s.restarts)
	if s.restarts != 0 && !s.lastRestart.IsZero() {
		restarts = fmt.Sprintf("%d (%s ago)", s.restarts, table.Age(s.lastRestart))
	}
	podIP := "<none>"
	if len(pod.Status.PodIPs) > 0 && pod.Status.PodIPs[0].IP != "" {
		podIP = pod.Status.PodIPs[0].IP
	}
	gates := "<none>"
	if n := len(pod.Spec.ReadinessGates); n > 0 {
		trueGates := 0
		for _, g := range pod.Spec.ReadinessGates {
			if c := findCondition(pod.Status.Conditions, g.ConditionType); c != nil && c.Status == corev1.ConditionTrue {
				trueGates++
			}
		}
		gates = fmt.Sprintf("%d/%d", trueGates, n)
	}
	cells := []interface{}{
		pod.Name,
		fmt.Sprintf("%d/%d", s.ready, s.total),
		s.reason,
		restarts,
		table.Age(pod.CreationTimestamp),
		podIP,
		orNone(pod.Spec.NodeName),
		orNone(pod.Status.NominatedNodeName),
		gates,
	}
	return cells, conditions, nil
}

// podSummary is what the READY, STATUS and RESTARTS columns show.
type podSummary struct {
	ready, total int
	reason       string
	restarts     int
	lastRestart  metav1.Time
}

// summarize computes the columns kubectl shows for a pod: the phase (or
// status.reason), overridden by the first unfinished init container, then by
// the regular containers' waiting/terminated reasons, and "Terminating" for a
// pod being deleted. Sidecars (restartable init containers) count as
// containers once started.
func summarize(pod *corev1.Pod) podSummary {
	s := podSummary{total: len(pod.Spec.Containers), reason: string(pod.Status.Phase)}
	if pod.Status.Reason != "" {
		s.reason = pod.Status.Reason
	}
	// Any PodScheduled condition with reason SchedulingGated (upstream loops
	// over them all).
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonSchedulingGated {
			s.reason = corev1.PodReasonSchedulingGated
		}
	}

	sidecars := map[string]bool{}
	for _, c := range pod.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecars[c.Name] = true
			s.total++
		}
	}

	// Init containers: every restart counts while initializing; afterwards
	// only the sidecars' restarts do.
	var sidecarRestarts int
	var lastSidecarRestart metav1.Time
	initializing := false
	for i, st := range pod.Status.InitContainerStatuses {
		s.restarts += int(st.RestartCount)
		s.lastRestart = later(s.lastRestart, st.LastTerminationState)
		if sidecars[st.Name] {
			sidecarRestarts += int(st.RestartCount)
			lastSidecarRestart = later(lastSidecarRestart, st.LastTerminationState)
		}
		if t := st.State.Terminated; t != nil && t.ExitCode == 0 {
			continue
		}
		if sidecars[st.Name] && st.Started != nil && *st.Started {
			if st.Ready {
				s.ready++
			}
			continue
		}
		initializing = true
		switch {
		case st.State.Terminated != nil:
			t := st.State.Terminated
			switch {
			case t.Reason != "":
				s.reason = "Init:" + t.Reason
			case t.Signal != 0:
				s.reason = fmt.Sprintf("Init:Signal:%d", t.Signal)
			default:
				s.reason = fmt.Sprintf("Init:ExitCode:%d", t.ExitCode)
			}
		case st.State.Waiting != nil && st.State.Waiting.Reason != "" && st.State.Waiting.Reason != "PodInitializing":
			s.reason = "Init:" + st.State.Waiting.Reason
		default:
			s.reason = fmt.Sprintf("Init:%d/%d", i, len(pod.Spec.InitContainers))
		}
		break
	}

	initialized := false
	if c := findCondition(pod.Status.Conditions, corev1.PodInitialized); c != nil {
		initialized = c.Status == corev1.ConditionTrue
	}
	if !initializing || initialized {
		s.restarts, s.lastRestart = sidecarRestarts, lastSidecarRestart
		hasRunning := false
		errorReason := ""
		// Walk backwards so the first container's reason wins, as kubectl does.
		for i := len(pod.Status.ContainerStatuses) - 1; i >= 0; i-- {
			st := pod.Status.ContainerStatuses[i]
			s.restarts += int(st.RestartCount)
			s.lastRestart = later(s.lastRestart, st.LastTerminationState)
			switch {
			case st.State.Waiting != nil && st.State.Waiting.Reason != "":
				s.reason = st.State.Waiting.Reason
			case st.State.Terminated != nil:
				t := st.State.Terminated
				switch {
				case t.Reason != "":
					s.reason = t.Reason
				case t.Signal != 0:
					s.reason = fmt.Sprintf("Signal:%d", t.Signal)
				default:
					s.reason = fmt.Sprintf("ExitCode:%d", t.ExitCode)
				}
				if t.ExitCode != 0 {
					errorReason = s.reason
				}
			case st.Ready && st.State.Running != nil:
				hasRunning = true
				s.ready++
			}
		}
		if s.reason == "Completed" {
			// hasPodReadyCondition: any Ready condition that is True.
			podReady := false
			for _, c := range pod.Status.Conditions {
				podReady = podReady || (c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue)
			}
			switch {
			case hasRunning && podReady:
				s.reason = "Running"
			case errorReason != "":
				s.reason = errorReason
			case hasRunning:
				s.reason = "NotReady"
			}
		}
	}

	if pod.DeletionTimestamp != nil {
		switch {
		case pod.Status.Reason == "NodeLost":
			s.reason = "Unknown"
		case pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed:
			s.reason = "Terminating"
		}
	}
	return s
}

func later(t metav1.Time, last corev1.ContainerState) metav1.Time {
	if last.Terminated != nil && t.Before(&last.Terminated.FinishedAt) {
		return last.Terminated.FinishedAt
	}
	return t
}

func findCondition(conds []corev1.PodCondition, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
