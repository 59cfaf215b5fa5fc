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

// Package debuginjector is an example tool: it adds an ephemeral container
// to a running pod, as kubectl debug does, and survives what real servers
// do to such a tool — conflicting writers, throttling, transient errors,
// watches that expire. Its tests (in this directory and ginkgo/) show how
// to test such a tool with Ephemera.
package debuginjector

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Backoff is how often and how long the injector retries.
var Backoff = wait.Backoff{Steps: 6, Duration: 20 * time.Millisecond, Factor: 2, Jitter: 0.1}

// Retryable reports whether a failed write is worth repeating: a conflict
// (someone else changed the pod), throttling, or a transient server error.
func Retryable(err error) bool {
	return apierrors.IsConflict(err) || apierrors.IsTooManyRequests(err) || apierrors.IsServerTimeout(err) ||
		apierrors.IsServiceUnavailable(err) || apierrors.IsTimeout(err) || apierrors.IsInternalError(err)
}

// Inject adds ec to the pod, unless a container of that name is there
// already, and returns the pod as the server returned it. It sends what
// kubectl debug sends: a strategic merge patch of the pod, computed from
// the pod it read, to pods/ephemeralcontainers; each retry reads the pod
// again.
func Inject(ctx context.Context, cs kubernetes.Interface, namespace, pod string, ec corev1.EphemeralContainer) (*corev1.Pod, error) {
	var out *corev1.Pod
	err := retry.OnError(Backoff, Retryable, func() error {
		current, err := cs.CoreV1().Pods(namespace).Get(ctx, pod, metav1.GetOptions{})
		if err != nil {
			return err
		}
		patch, done, err := debugPatch(current, ec)
		if err != nil || done {
			out = current
			return err
		}
		out, err = cs.CoreV1().Pods(namespace).Patch(ctx, pod, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "ephemeralcontainers")
		return err
	})
	return out, err
}

// InjectWithClient is Inject through a controller-runtime client.
func InjectWithClient(ctx context.Context, c client.Client, namespace, pod string, ec corev1.EphemeralContainer) (*corev1.Pod, error) {
	out := &corev1.Pod{}
	err := retry.OnError(Backoff, Retryable, func() error {
		current := &corev1.Pod{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: pod}, current); err != nil {
			return err
		}
		patch, done, err := debugPatch(current, ec)
		if err != nil || done {
			out = current
			return err
		}
		out = current.DeepCopy()
		return c.SubResource("ephemeralcontainers").Patch(ctx, out, client.RawPatch(types.StrategicMergePatchType, patch))
	})
	return out, err
}

// debugPatch returns the strategic merge patch from the pod to the pod with
// ec added, as kubectl debug computes it; done when ec is there already.
func debugPatch(pod *corev1.Pod, ec corev1.EphemeralContainer) ([]byte, bool, error) {
	for _, existing := range pod.Spec.EphemeralContainers {
		if existing.Name == ec.Name {
			return nil, true, nil
		}
	}
	before, err := json.Marshal(pod)
	if err != nil {
		return nil, false, err
	}
	changed := pod.DeepCopy()
	changed.Spec.EphemeralContainers = append(changed.Spec.EphemeralContainers, ec)
	after, err := json.Marshal(changed)
	if err != nil {
		return nil, false, err
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(before, after, pod)
	return patch, false, err
}

// WaitRunning waits until the pod's ephemeral container runs, with a list
// and watch that survives watches ending or expiring (it relists), and
// fails if the container terminates first.
func WaitRunning(ctx context.Context, cs kubernetes.Interface, namespace, pod, container string) (*corev1.Pod, error) {
	selector := fields.OneTermEqualSelector("metadata.name", pod).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			opts.FieldSelector = selector
			return cs.CoreV1().Pods(namespace).List(ctx, opts)
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			opts.FieldSelector = selector
			return cs.CoreV1().Pods(namespace).Watch(ctx, opts)
		},
	}
	ev, err := watchtools.UntilWithSync(ctx, lw, &corev1.Pod{}, nil, func(ev watch.Event) (bool, error) {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok {
			return false, nil
		}
		for _, st := range p.Status.EphemeralContainerStatuses {
			if st.Name != container {
				continue
			}
			if st.State.Terminated != nil {
				return false, fmt.Errorf("ephemeral container %s terminated: %s", container, st.State.Terminated.Reason)
			}
			return st.State.Running != nil, nil
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return ev.Object.(*corev1.Pod), nil
}
