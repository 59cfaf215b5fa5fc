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
)

// The drops of fields whose feature gate is off by default in kube-apiserver
// v1.37.2 (DropDisabledPodFields in k8s.io/kubernetes/pkg/api/pod/util.go).

// disabledSpecField is one PodSpec field guarded by a feature gate that is
// off by default: drop removes it, inUse reports whether a spec sets it.
type disabledSpecField struct {
	drop  func(spec *corev1.PodSpec)
	inUse func(spec *corev1.PodSpec) bool
}

// disabledSpecFields lists, for every feature gate that is off by default in
// kube-apiserver v1.37.2 and guards a PodSpec field, the drop that
// dropDisabledFields (pkg/api/pod/util.go) performs and its "in use" test.
// Gates that are on by default (InPlacePodVerticalScaling,
// ContainerRestartRules, RecursiveReadOnlyMounts, EnvFiles, ImageVolume,
// DynamicResourceAllocation, ProcMountType, UserNamespacesSupport,
// SupplementalGroupsPolicy, PodLevelResources, HostnameOverride,
// MatchLabelKeys*, NodeInclusionPolicy*, ClusterTrustBundleProjection,
// PodCertificateRequest, SELinuxChangePolicy) drop nothing.
var disabledSpecFields = []disabledSpecField{
	{dropAtomicWriteVolumeUserFields, atomicWriteVolumeUserFieldsInUse},                             // AtomicWriteVolumeUserFields (alpha)
	{dropSchedulingGroup, func(s *corev1.PodSpec) bool { return s.SchedulingGroup != nil }},         // GenericWorkload (beta, off)
	{dropGRPCProbeMode, grpcProbeModeInUse},                                                         // GRPCContainerProbeTLS (alpha)
	{dropEvictionResponders, func(s *corev1.PodSpec) bool { return len(s.EvictionResponders) > 0 }}, // EvictionRequestAPI (alpha)
	{dropEmptyDirMode, emptyDirModeInUse},                                                           // EmptyDirVolumeMode (alpha)
	{dropBindMountOptions, bindMountOptionsInUse},                                                   // VolumeBindMountOptions (alpha)
	{dropStopSignals, stopSignalsInUse},                                                             // ContainerStopSignals (alpha)
	{dropHTTPGetProtocol, httpGetProtocolInUse},                                                     // H2CContainerProbe (alpha)
}

// dropDisabledPodFields mirrors podutil.DropDisabledPodFields: a disabled
// field is dropped unless the old pod already uses it.
func dropDisabledPodFields(pod, oldPod *corev1.Pod) {
	for _, f := range disabledSpecFields {
		if oldPod != nil && f.inUse(&oldPod.Spec) {
			continue
		}
		f.drop(&pod.Spec)
	}
	dropInitContainerAnnotations(pod.Annotations)
	var oldStatus *corev1.PodStatus
	if oldPod != nil {
		oldStatus = &oldPod.Status
	}
	dropDisabledPodStatusFields(&pod.Status, oldStatus)
}

func grpcProbeModeInUse(spec *corev1.PodSpec) bool {
	return anyContainer(spec, func(c *corev1.Container) bool {
		for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			if p != nil && p.GRPC != nil && p.GRPC.Mode != nil {
				return true
			}
		}
		return false
	})
}

func emptyDirModeInUse(spec *corev1.PodSpec) bool {
	for _, v := range spec.Volumes {
		if v.EmptyDir != nil && v.EmptyDir.Mode != nil {
			return true
		}
	}
	return false
}

func bindMountOptionsInUse(spec *corev1.PodSpec) bool {
	return anyContainer(spec, func(c *corev1.Container) bool {
		for _, m := range c.VolumeMounts {
			if len(m.BindMountOptions) > 0 {
				return true
			}
		}
		return false
	})
}

func stopSignalsInUse(spec *corev1.PodSpec) bool {
	return anyContainer(spec, func(c *corev1.Container) bool {
		return c.Lifecycle != nil && c.Lifecycle.StopSignal != nil
	})
}

func httpGetProtocolInUse(spec *corev1.PodSpec) bool {
	return anyContainer(spec, func(c *corev1.Container) bool {
		for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			if p != nil && p.HTTPGet != nil && p.HTTPGet.Protocol != nil {
				return true
			}
		}
		if c.Lifecycle != nil {
			for _, h := range []*corev1.LifecycleHandler{c.Lifecycle.PostStart, c.Lifecycle.PreStop} {
				if h != nil && h.HTTPGet != nil && h.HTTPGet.Protocol != nil {
					return true
				}
			}
		}
		return false
	})
}

func keyToPathUsersSet(items []corev1.KeyToPath) bool {
	for _, it := range items {
		if it.User != nil {
			return true
		}
	}
	return false
}

func downwardAPIFileUsersSet(items []corev1.DownwardAPIVolumeFile) bool {
	for _, it := range items {
		if it.User != nil {
			return true
		}
	}
	return false
}

// atomicWriteVolumeUserFieldsInUse mirrors util.go's check of the same name.
func atomicWriteVolumeUserFieldsInUse(spec *corev1.PodSpec) bool {
	for i := range spec.Volumes {
		v := &spec.Volumes[i].VolumeSource
		switch {
		case v.Secret != nil:
			if v.Secret.DefaultUser != nil || keyToPathUsersSet(v.Secret.Items) {
				return true
			}
		case v.ConfigMap != nil:
			if v.ConfigMap.DefaultUser != nil || keyToPathUsersSet(v.ConfigMap.Items) {
				return true
			}
		case v.DownwardAPI != nil:
			if v.DownwardAPI.DefaultUser != nil || downwardAPIFileUsersSet(v.DownwardAPI.Items) {
				return true
			}
		case v.Projected != nil:
			if v.Projected.DefaultUser != nil {
				return true
			}
			for j := range v.Projected.Sources {
				s := &v.Projected.Sources[j]
				switch {
				case s.Secret != nil:
					if keyToPathUsersSet(s.Secret.Items) {
						return true
					}
				case s.DownwardAPI != nil:
					if downwardAPIFileUsersSet(s.DownwardAPI.Items) {
						return true
					}
				case s.ConfigMap != nil:
					if keyToPathUsersSet(s.ConfigMap.Items) {
						return true
					}
				case s.ServiceAccountToken != nil:
					if s.ServiceAccountToken.User != nil {
						return true
					}
				case s.ClusterTrustBundle != nil:
					if s.ClusterTrustBundle.User != nil {
						return true
					}
				case s.PodCertificate != nil:
					if s.PodCertificate.User != nil {
						return true
					}
				}
			}
		}
	}
	return false
}

// dropDisabledPodStatusFields mirrors the status half of
// DropDisabledPodFields for the gates off by default in 1.37:
// DRANodeAllocatableResources, ImageVolumeWithDigest and CSIVolumeHealth.
func dropDisabledPodStatusFields(status, oldStatus *corev1.PodStatus) {
	if oldStatus == nil || len(oldStatus.NodeAllocatableResourceClaimStatuses) == 0 {
		status.NodeAllocatableResourceClaimStatuses = nil
	}
	if oldStatus == nil || !imageVolumeStatusInUse(oldStatus) {
		for _, list := range [][]corev1.ContainerStatus{status.ContainerStatuses, status.InitContainerStatuses, status.EphemeralContainerStatuses} {
			for i := range list {
				for j := range list[i].VolumeMounts {
					list[i].VolumeMounts[j].VolumeStatus = nil
				}
			}
		}
	}
	if oldStatus == nil || len(oldStatus.VolumeHealth) == 0 {
		status.VolumeHealth = nil
	}
}

func imageVolumeStatusInUse(s *corev1.PodStatus) bool {
	for _, list := range [][]corev1.ContainerStatus{s.ContainerStatuses, s.InitContainerStatuses, s.EphemeralContainerStatuses} {
		for _, cs := range list {
			for _, vm := range cs.VolumeMounts {
				if vm.VolumeStatus != nil {
					return true
				}
			}
		}
	}
	return false
}

// initContainerAnnotations are the legacy init-container annotations that
// DropInitContainerAnnotations always removes.
var initContainerAnnotations = []string{
	"pod.beta.kubernetes.io/init-containers",
	"pod.alpha.kubernetes.io/init-containers",
	"pod.beta.kubernetes.io/init-container-statuses",
	"pod.alpha.kubernetes.io/init-container-statuses",
}

func dropInitContainerAnnotations(annotations map[string]string) {
	for _, k := range initContainerAnnotations {
		delete(annotations, k)
	}
}

func dropSchedulingGroup(spec *corev1.PodSpec)    { spec.SchedulingGroup = nil }
func dropEvictionResponders(spec *corev1.PodSpec) { spec.EvictionResponders = nil }

func dropEmptyDirMode(spec *corev1.PodSpec) {
	for i := range spec.Volumes {
		if spec.Volumes[i].EmptyDir != nil {
			spec.Volumes[i].EmptyDir.Mode = nil
		}
	}
}

func dropBindMountOptions(spec *corev1.PodSpec) {
	visitAllContainers(spec, func(c *corev1.Container) {
		for j := range c.VolumeMounts {
			c.VolumeMounts[j].BindMountOptions = nil
		}
	})
}

// dropStopSignals mirrors dropContainerStopSignals: a lifecycle left empty
// by the drop becomes nil.
func dropStopSignals(spec *corev1.PodSpec) {
	visitAllContainers(spec, func(c *corev1.Container) {
		if c.Lifecycle == nil || c.Lifecycle.StopSignal == nil {
			return
		}
		c.Lifecycle.StopSignal = nil
		if c.Lifecycle.PostStart == nil && c.Lifecycle.PreStop == nil {
			c.Lifecycle = nil
		}
	})
}

func dropHTTPGetProtocol(spec *corev1.PodSpec) {
	visitAllContainers(spec, func(c *corev1.Container) {
		for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			if p != nil && p.HTTPGet != nil {
				p.HTTPGet.Protocol = nil
			}
		}
		if c.Lifecycle != nil {
			for _, h := range []*corev1.LifecycleHandler{c.Lifecycle.PostStart, c.Lifecycle.PreStop} {
				if h != nil && h.HTTPGet != nil {
					h.HTTPGet.Protocol = nil
				}
			}
		}
	})
}

func dropGRPCProbeMode(spec *corev1.PodSpec) {
	visitAllContainers(spec, func(c *corev1.Container) {
		for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			if p != nil && p.GRPC != nil {
				p.GRPC.Mode = nil
			}
		}
	})
}

func dropKeyToPathUsers(items []corev1.KeyToPath) {
	for j := range items {
		items[j].User = nil
	}
}

func dropDownwardAPIFileUsers(items []corev1.DownwardAPIVolumeFile) {
	for j := range items {
		items[j].User = nil
	}
}

// dropAtomicWriteVolumeUserFields mirrors dropDisabledAtomicWriteVolumeUserFields.
func dropAtomicWriteVolumeUserFields(spec *corev1.PodSpec) {
	for i := range spec.Volumes {
		v := &spec.Volumes[i].VolumeSource
		switch {
		case v.Secret != nil:
			v.Secret.DefaultUser = nil
			dropKeyToPathUsers(v.Secret.Items)
		case v.ConfigMap != nil:
			v.ConfigMap.DefaultUser = nil
			dropKeyToPathUsers(v.ConfigMap.Items)
		case v.DownwardAPI != nil:
			v.DownwardAPI.DefaultUser = nil
			dropDownwardAPIFileUsers(v.DownwardAPI.Items)
		case v.Projected != nil:
			v.Projected.DefaultUser = nil
			for j := range v.Projected.Sources {
				s := &v.Projected.Sources[j]
				switch {
				case s.Secret != nil:
					dropKeyToPathUsers(s.Secret.Items)
				case s.DownwardAPI != nil:
					dropDownwardAPIFileUsers(s.DownwardAPI.Items)
				case s.ConfigMap != nil:
					dropKeyToPathUsers(s.ConfigMap.Items)
				case s.ServiceAccountToken != nil:
					s.ServiceAccountToken.User = nil
				case s.ClusterTrustBundle != nil:
					s.ClusterTrustBundle.User = nil
				case s.PodCertificate != nil:
					s.PodCertificate.User = nil
				}
			}
		}
	}
}
