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
	"encoding/json"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

// event is one kubelet event about a pod.
type event struct {
	reason, message, fieldPath string
	warning                    bool
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
		if c == nil {
			continue
		}
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
		if c.pullDelay() < 0 {
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
		if c.pullDelay() >= 0 {
			d := c.pullDelay().Truncate(time.Millisecond)
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
		if !t.finished.IsZero() && !now.Before(t.finished) {
			// doBackOff: a container that waits to be restarted.
			if !c.nextRestart.IsZero() && c.nextRestart.After(t.finished) {
				once("backoff-wait", t.finished, event{reason: "BackOff", warning: true,
					message: fmt.Sprintf("Back-off restarting failed container %s in pod %s", c.name, c.podRef)})
			}
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

// emit records an event as the kubelet's recorder does (client-go
// tools/record: name "<pod>.<hex nanos>", source and reporting component
// kubelet, host and reporting instance the node). An event repeating one
// already recorded (same object, reason, message, type and source: the
// correlator's key, without the resourceVersion) increments that event's
// count and lastTimestamp instead, as the recorder's correlator does. Like
// the recorder it never fails the caller: an event that cannot be written is
// logged and dropped.
func (k *Kubelet) emit(ctx context.Context, pod *corev1.Pod, e event) {
	now := metav1.NewTime(time.Now())
	typ := corev1.EventTypeNormal
	if e.warning {
		typ = corev1.EventTypeWarning
	}
	key := strings.Join([]string{"kubelet", k.opts.NodeName, "Pod", pod.Namespace, pod.Name, string(pod.UID), "v1", e.fieldPath, typ, e.reason, e.message}, "\x00")
	k.mu.Lock()
	seen, repeated := k.recorded[pod.UID][key]
	if repeated {
		seen.count++
		k.recorded[pod.UID][key] = seen
	}
	k.mu.Unlock()
	if repeated {
		patch, _ := json.Marshal(map[string]any{"count": seen.count, "lastTimestamp": now})
		if _, err := k.client.CoreV1().Events(pod.Namespace).Patch(ctx, seen.name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err == nil {
			return
		}
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
	if _, err := k.client.CoreV1().Events(pod.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		klog.V(2).InfoS("Simulated kubelet: event not recorded", "pod", klog.KObj(pod), "reason", e.reason, "err", err)
		return
	}
	k.mu.Lock()
	if k.recorded[pod.UID] == nil {
		k.recorded[pod.UID] = map[string]recordedEvent{}
	}
	k.recorded[pod.UID][key] = recordedEvent{name: ev.Name, count: 1}
	k.mu.Unlock()
}

// recordedEvent is an event the kubelet wrote, for the correlator.
type recordedEvent struct {
	name  string
	count int32
}
