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
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// event is one kubelet event about a pod.
type event struct {
	reason, message, fieldPath string
	warning                    bool
	scheduler                  bool
}

func fieldPath(c *ctrState) string {
	if c.ephemeral {
		return "spec.ephemeralContainers{" + c.name + "}"
	}
	return "spec.containers{" + c.name + "}"
}

// dueEvents returns the events whose moment has come and marks them sent.
// Call with k.mu held.
func (k *Kubelet) dueEvents(pod *corev1.Pod, st *podState, now time.Time) []event {
	var out []event
	for _, c := range orderedContainers(pod, st) {
		t := c.timeline()
		fp := fieldPath(c)
		once := func(key string, at time.Time, e event) {
			if c.events[key] || at.IsZero() || now.Before(at) {
				return
			}
			c.events[key] = true
			e.fieldPath = fp
			out = append(out, e)
		}
		o := c.outcome
		if o.pullDelay() < 0 {
			// images/image_manager.go: present image, pull policy not Always;
			// with the 1.37 pull-credential checks the message says the pod
			// may use it.
			once("pulled", c.seen, event{reason: "Pulled", message: fmt.Sprintf("Container image %q already present on machine and can be accessed by the pod", c.image)})
		} else {
			once("pulling", c.seen, event{reason: "Pulling", message: fmt.Sprintf("Pulling image %q", c.image)})
		}
		if o.PullError != "" {
			once("failed", t.pullFailed, event{reason: "Failed", warning: true, message: fmt.Sprintf("Failed to pull image %q: %s", c.image, o.PullError)})
			once("errimagepull", t.pullFailed, event{reason: "Failed", warning: true, message: "Error: ErrImagePull"})
			// The BackOff event is of type Normal (image_manager.go logIt).
			once("backoff", t.backOff, event{reason: "BackOff", message: fmt.Sprintf("Back-off pulling image %q", c.image)})
			once("imagepullbackoff", t.backOff, event{reason: "Failed", warning: true, message: "Error: ImagePullBackOff"})
			continue
		}
		if o.pullDelay() >= 0 {
			d := o.pullDelay().Truncate(time.Millisecond)
			once("pulled", t.pulled, event{reason: "Pulled", message: fmt.Sprintf("Successfully pulled image %q in %v (%v including waiting). Image size: %v bytes.", c.image, d, d, o.imageSize())})
		}
		// kuberuntime_container.go startContainer: "Container created",
		// "Container started" (v1.37; older kubelets said "Created container: <name>").
		once("created", t.started, event{reason: "Created", message: "Container created"})
		if once("started", t.started, event{reason: "Started", message: "Container started"}); !c.events["output"] && !now.Before(t.started) {
			// The container's process starts in the runtime (runtime.go).
			c.events["output"] = true
			k.startContainer(pod, st, c)
		}
	}
	return out
}

func orderedContainers(pod *corev1.Pod, st *podState) []*ctrState {
	var out []*ctrState
	for _, c := range pod.Spec.InitContainers {
		out = append(out, st.ctrs[c.Name])
	}
	for _, c := range pod.Spec.Containers {
		out = append(out, st.ctrs[c.Name])
	}
	for _, c := range pod.Spec.EphemeralContainers {
		out = append(out, st.ctrs[c.Name])
	}
	return out
}

// emit creates an event as the kubelet's recorder does
// (client-go tools/record: name "<pod>.<hex nanos>", source and reporting
// component kubelet, host and reporting instance the node). Like the
// recorder it never fails the caller: an event that cannot be written is
// logged and dropped.
func (k *Kubelet) emit(ctx context.Context, pod *corev1.Pod, e event) {
	now := metav1.NewTime(time.Now())
	typ := corev1.EventTypeNormal
	if e.warning {
		typ = corev1.EventTypeWarning
	}
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%v.%x", pod.Name, now.UnixNano()), Namespace: pod.Namespace},
		InvolvedObject: corev1.ObjectReference{
			Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
			APIVersion: "v1", ResourceVersion: pod.ResourceVersion, FieldPath: e.fieldPath,
		},
		Reason: e.reason, Message: e.message, Type: typ,
		Source:         corev1.EventSource{Component: "kubelet", Host: k.opts.NodeName},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
		ReportingController: "kubelet", ReportingInstance: k.opts.NodeName,
	}
	if e.scheduler {
		// The Scheduled event comes from the scheduler, not the kubelet.
		ev.Source = corev1.EventSource{Component: "default-scheduler"}
		ev.ReportingController, ev.ReportingInstance = "default-scheduler", "default-scheduler"
		ev.InvolvedObject.ResourceVersion = ""
	}
	_, err := k.client.CoreV1().Events(pod.Namespace).Create(ctx, ev, metav1.CreateOptions{})
	if err != nil {
		klog.V(2).InfoS("Simulated kubelet: event not recorded", "pod", klog.KObj(pod), "reason", e.reason, "err", err)
	}
}
