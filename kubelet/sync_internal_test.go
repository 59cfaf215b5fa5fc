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
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
)

// An ephemeral container added to a pod just before its deletion, both
// seen by the kubelet at once, is never started and is reported in the
// default waiting state in the pod's final status (the kubelet panicked
// on the container it had no record of, seen once in a cluster-mode
// conformance run).
func TestDeletedPodWithUnseenEphemeralContainer(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default", UID: "uid-p"},
		Spec: corev1.PodSpec{NodeName: DefaultNodeName,
			Containers: []corev1.Container{{Name: "app", Image: "busybox:1.36", Command: []string{"sleep", "3600"}}}},
	}
	client := fake.NewClientset(pod.DeepCopy())
	k := New(Options{})
	k.client = client
	defer k.node.rt.Shutdown()
	k.mu.Lock()
	k.podState(pod, time.Now().Add(-time.Minute))
	k.mu.Unlock()

	deleted := pod.DeepCopy()
	deleted.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: "busybox:1.36"}}}
	now := metav1.Now()
	zero := int64(0)
	deleted.DeletionTimestamp, deleted.DeletionGracePeriodSeconds = &now, &zero
	if _, err := k.syncDeleted(context.Background(), deleted); err != nil {
		t.Fatal(err)
	}
	var final *corev1.Pod
	for _, a := range client.Actions() {
		if u, ok := a.(clienttesting.UpdateAction); ok && a.GetSubresource() == "status" {
			final = u.GetObject().(*corev1.Pod)
		}
	}
	if final == nil {
		t.Fatalf("no final status written: %v", client.Actions())
	}
	ecs := final.Status.EphemeralContainerStatuses
	if len(ecs) != 1 || ecs[0].Name != "dbg" || ecs[0].State.Waiting == nil || ecs[0].State.Waiting.Reason != "ContainerCreating" {
		t.Errorf("ephemeral container status: %+v", ecs)
	}
}
