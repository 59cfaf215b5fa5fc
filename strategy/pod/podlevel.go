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
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Pod-level resource defaulting run by podStrategy.PrepareForCreate, mirroring
// podutil.DefaultPodLevelResources (pkg/api/pod/util.go) with PodLevelResources
// and PodLevelResourcesFixDefaulting on (both default in 1.37). Container
// aggregation mirrors k8s.io/component-helpers/resource
// AggregateContainerRequests/Limits with default options (spec values only).

func isPodLevelResource(name corev1.ResourceName) bool {
	return name == corev1.ResourceCPU || name == corev1.ResourceMemory || isHugePages(name)
}

func isHugePages(name corev1.ResourceName) bool {
	return strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix)
}

// defaultPodLevelResources mirrors DefaultPodLevelResources.
func defaultPodLevelResources(pod *corev1.Pod) {
	r := pod.Spec.Resources
	if r == nil || (len(r.Requests) == 0 && len(r.Limits) == 0) {
		return
	}
	// Ephemeral containers are excluded from the aggregation, as upstream.
	containerLimits := aggregateContainers(pod.Spec.Containers, pod.Spec.InitContainers, func(c *corev1.Container) corev1.ResourceList { return c.Resources.Limits })
	containerRequests := aggregateContainers(pod.Spec.Containers, pod.Spec.InitContainers, func(c *corev1.Container) corev1.ResourceList { return c.Resources.Requests })

	// 1. Hugepage limits from the container sum, unless a pod-level request exists.
	limits := r.Limits
	if limits == nil {
		limits = corev1.ResourceList{}
	}
	for name, q := range containerLimits {
		if !isHugePages(name) {
			continue
		}
		if _, ok := r.Requests[name]; ok {
			continue
		}
		if _, ok := limits[name]; !ok {
			limits[name] = q
		}
	}
	if len(limits) > 0 {
		r.Limits = limits
	}

	// 2. Requests: overcommittable resources (cpu, memory) from the container
	// sum, then anything with a pod-level limit from that limit.
	requests := r.Requests
	if requests == nil {
		requests = corev1.ResourceList{}
	}
	for name, q := range containerRequests {
		if _, ok := requests[name]; !ok && (name == corev1.ResourceCPU || name == corev1.ResourceMemory) {
			requests[name] = q
		}
	}
	for name, q := range r.Limits {
		if _, ok := requests[name]; !ok && isPodLevelResource(name) {
			requests[name] = q.DeepCopy()
		}
	}
	if len(requests) > 0 {
		r.Requests = requests
	}

	// 3. Limits = max(pod request, container limit sum) for requested
	// resources without a pod-level limit that every container limits
	// (init, regular and ephemeral, as podutil.aggregateContainerLimits visits).
	candidates := map[corev1.ResourceName]bool{}
	for name := range r.Requests {
		if _, ok := r.Limits[name]; !ok && isPodLevelResource(name) {
			candidates[name] = true
		}
	}
	visitAllContainers(&pod.Spec, func(c *corev1.Container) {
		for name := range candidates {
			if _, ok := c.Resources.Limits[name]; !ok {
				delete(candidates, name)
			}
		}
	})
	if len(candidates) == 0 {
		return
	}
	for name := range candidates {
		val, ok := containerLimits[name]
		if !ok {
			continue
		}
		podReq := r.Requests[name]
		if podReq.Cmp(val) > 0 {
			val = podReq
		}
		if r.Limits == nil {
			r.Limits = corev1.ResourceList{}
		}
		r.Limits[name] = val
	}
}

// aggregateContainers mirrors aggregateContainerResourcesByFn: the sum over
// regular containers and restartable (sidecar) init containers, raised to the
// peak usage while any init container runs (itself plus earlier sidecars).
func aggregateContainers(containers, initContainers []corev1.Container, get func(*corev1.Container) corev1.ResourceList) corev1.ResourceList {
	result := corev1.ResourceList{}
	for i := range containers {
		addResources(result, get(&containers[i]))
	}
	sidecars := corev1.ResourceList{}
	initPeak := corev1.ResourceList{}
	for i := range initContainers {
		c := &initContainers[i]
		res := get(c)
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			addResources(result, res)
			addResources(sidecars, res)
			res = sidecars
		} else {
			combined := corev1.ResourceList{}
			addResources(combined, res)
			addResources(combined, sidecars)
			res = combined
		}
		maxResources(initPeak, res)
	}
	maxResources(result, initPeak)
	return result
}

func addResources(list, add corev1.ResourceList) {
	for name, q := range add {
		if v, ok := list[name]; ok {
			v.Add(q)
			list[name] = v
		} else {
			list[name] = q.DeepCopy()
		}
	}
}

func maxResources(list, other corev1.ResourceList) {
	for name, q := range other {
		if v, ok := list[name]; !ok || q.Cmp(v) > 0 {
			list[name] = q.DeepCopy()
		}
	}
}
