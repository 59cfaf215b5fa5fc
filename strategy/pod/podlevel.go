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
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/sets"
	resourcehelper "k8s.io/component-helpers/resource"
	kubectlresource "k8s.io/kubectl/pkg/util/resource"
)

// Pod-level resource defaulting run by podStrategy.PrepareForCreate, mirroring
// podutil.DefaultPodLevelResources (pkg/api/pod/util.go) with PodLevelResources
// and PodLevelResourcesFixDefaulting on (both default in 1.37). Upstream
// aggregates container resources with k8s.io/component-helpers/resource
// (AggregateContainerRequests/Limits, default options: spec values only);
// so does Ephemera.

// defaultPodLevelResources mirrors DefaultPodLevelResources: the three steps
// run in upstream's order, each on the result of the previous one.
func defaultPodLevelResources(pod *corev1.Pod) {
	r := pod.Spec.Resources
	if r == nil || (len(r.Requests) == 0 && len(r.Limits) == 0) {
		return
	}
	// Ephemeral containers are excluded from the aggregation, as upstream:
	// it converts only containers and init containers.
	containers := &corev1.Pod{Spec: corev1.PodSpec{Containers: pod.Spec.Containers, InitContainers: pod.Spec.InitContainers}}
	defaultHugePagePodLevelLimits(r, containers)
	defaultPodLevelRequests(r, containers)
	defaultPodLevelLimits(r, &pod.Spec, containers)
}

// defaultHugePagePodLevelLimits mirrors defaultHugePagePodLevelLimits:
// hugepage limits come from the container sum unless a pod-level request for
// them exists. cpu and memory are overcommittable and left to the next steps.
func defaultHugePagePodLevelLimits(r *corev1.ResourceRequirements, containers *corev1.Pod) {
	limits := r.Limits
	if limits == nil {
		limits = corev1.ResourceList{}
	}
	for name, q := range resourcehelper.AggregateContainerLimits(containers, resourcehelper.PodResourcesOptions{}) {
		if !resourcehelper.IsSupportedPodLevelResource(name) || !kubectlresource.IsHugePageResourceName(name) {
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
}

// defaultPodLevelRequests mirrors defaultPodLevelRequests: overcommittable
// resources (of the supported cpu, memory and hugepages-*, that is cpu and
// memory: helper.IsOvercommitAllowed excludes hugepages) from the container
// sum, then anything with a pod-level limit from that limit.
func defaultPodLevelRequests(r *corev1.ResourceRequirements, containers *corev1.Pod) {
	requests := r.Requests
	if requests == nil {
		requests = corev1.ResourceList{}
	}
	for name, q := range resourcehelper.AggregateContainerRequests(containers, resourcehelper.PodResourcesOptions{}) {
		if _, ok := requests[name]; !ok && resourcehelper.IsSupportedPodLevelResource(name) && !kubectlresource.IsHugePageResourceName(name) {
			requests[name] = q
		}
	}
	for name, q := range r.Limits {
		if _, ok := requests[name]; !ok && resourcehelper.IsSupportedPodLevelResource(name) {
			requests[name] = q.DeepCopy()
		}
	}
	if len(requests) > 0 {
		r.Requests = requests
	}
}

// defaultPodLevelLimits mirrors defaultPodLevelLimits: a requested resource
// without a pod-level limit gets max(pod request, container limit sum) when
// every container limits it (init, regular and ephemeral, as upstream's
// aggregateContainerLimits visits AllContainers).
func defaultPodLevelLimits(r *corev1.ResourceRequirements, spec *corev1.PodSpec, containers *corev1.Pod) {
	candidates := sets.New[corev1.ResourceName]()
	for name := range r.Requests {
		if _, ok := r.Limits[name]; !ok && resourcehelper.IsSupportedPodLevelResource(name) {
			candidates.Insert(name)
		}
	}
	visitAllContainers(spec, func(c *corev1.Container) {
		for name := range candidates {
			if _, ok := c.Resources.Limits[name]; !ok {
				candidates.Delete(name)
			}
		}
	})
	if candidates.Len() == 0 {
		return
	}
	containerLimits := resourcehelper.AggregateContainerLimits(containers, resourcehelper.PodResourcesOptions{})
	for name := range candidates {
		val, ok := containerLimits[name]
		if !ok {
			continue
		}
		var podReq resource.Quantity
		if r.Requests != nil {
			podReq = r.Requests[name]
		}
		// A pod-level request above the containers' limits raises the
		// limit, so that requests <= limits still validates.
		if podReq.Cmp(val) > 0 {
			val = podReq
		}
		if r.Limits == nil {
			r.Limits = corev1.ResourceList{}
		}
		r.Limits[name] = val
	}
}
