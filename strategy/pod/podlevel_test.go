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
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Expected values were confirmed on kube-apiserver v1.37.2 by the same pods
// in envtest_compare_test.go.
func TestDefaultPodLevelResources(t *testing.T) {
	q := resource.MustParse
	always := corev1.ContainerRestartPolicyAlways
	check := func(name string, got corev1.ResourceList, want map[corev1.ResourceName]string) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
		for k, v := range want {
			g, ok := got[k]
			if !ok || g.Cmp(q(v)) != 0 {
				t.Errorf("%s[%s] = %s, want %s", name, k, g.String(), v)
			}
		}
	}

	p := &corev1.Pod{Spec: corev1.PodSpec{
		Resources: &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: q("2"), corev1.ResourceMemory: q("1Gi")}},
		Containers: []corev1.Container{
			{Name: "a", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("500m")}}},
			{Name: "b"},
		}}}
	defaultPodLevelResources(p)
	check("limits-only requests", p.Spec.Resources.Requests, map[corev1.ResourceName]string{"cpu": "500m", "memory": "1Gi"})

	p = &corev1.Pod{Spec: corev1.PodSpec{
		Resources: &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("500m")}},
		Containers: []corev1.Container{
			{Name: "a", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("100m")}, Limits: corev1.ResourceList{corev1.ResourceCPU: q("1")}}},
			{Name: "b", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("100m")}, Limits: corev1.ResourceList{corev1.ResourceCPU: q("2")}}},
		}}}
	defaultPodLevelResources(p)
	check("limit from containers", p.Spec.Resources.Limits, map[corev1.ResourceName]string{"cpu": "3"})

	p = &corev1.Pod{Spec: corev1.PodSpec{
		Resources: &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: q("200Mi")}},
		InitContainers: []corev1.Container{
			{Name: "side", RestartPolicy: &always, Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: q("50Mi")}, Limits: corev1.ResourceList{corev1.ResourceMemory: q("50Mi")}}},
			{Name: "init", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: q("10Mi")}, Limits: corev1.ResourceList{corev1.ResourceMemory: q("400Mi")}}},
		},
		Containers: []corev1.Container{
			{Name: "a", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{"hugepages-2Mi": q("4Mi"), corev1.ResourceMemory: q("100Mi")},
				Limits:   corev1.ResourceList{"hugepages-2Mi": q("4Mi"), corev1.ResourceMemory: q("100Mi")}}},
		}}}
	defaultPodLevelResources(p)
	// Limits: hugepages from the container sum; memory = max(200Mi, peak
	// of init 400Mi + sidecar 50Mi = 450Mi).
	check("hugepages limits", p.Spec.Resources.Limits, map[corev1.ResourceName]string{"hugepages-2Mi": "4Mi", "memory": "450Mi"})
	check("hugepages requests", p.Spec.Resources.Requests, map[corev1.ResourceName]string{"hugepages-2Mi": "4Mi", "memory": "200Mi"})

	none := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a"}}}}
	defaultPodLevelResources(none)
	if none.Spec.Resources != nil {
		t.Errorf("no pod-level resources must stay nil")
	}
}
