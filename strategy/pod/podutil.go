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
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/warning"
)

// This file mirrors the parts of k8s.io/kubernetes/pkg/api/pod/util.go and
// pkg/registry/core/pod/strategy.go that mutate pods on create and update,
// evaluated with the kube-apiserver v1.37.2 default feature gates.

// visitAllContainers calls fn for every init, regular and ephemeral container
// (upstream VisitContainers with AllContainers).
func visitAllContainers(spec *corev1.PodSpec, fn func(c *corev1.Container)) {
	for i := range spec.InitContainers {
		fn(&spec.InitContainers[i])
	}
	for i := range spec.Containers {
		fn(&spec.Containers[i])
	}
	for i := range spec.EphemeralContainers {
		fn((*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon))
	}
}

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

// anyContainer reports whether pred holds for some init, regular or
// ephemeral container.
func anyContainer(spec *corev1.PodSpec, pred func(c *corev1.Container) bool) bool {
	found := false
	visitAllContainers(spec, func(c *corev1.Container) {
		if !found && pred(c) {
			found = true
		}
	})
	return found
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
		if _, ok := annotations[k]; ok {
			delete(annotations, k)
		}
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

// updatePodGeneration mirrors strategy.go's updatePodGeneration: the
// generation goes up by one iff the spec changed semantically.
func updatePodGeneration(newPod, oldPod *corev1.Pod) {
	if !apiequality.Semantic.DeepEqual(newPod.Spec, oldPod.Spec) {
		newPod.Generation++
	}
}

// applySchedulingGatedCondition mirrors strategy.go: a pod created with
// scheduling gates gets a PodScheduled=False/SchedulingGated condition.
func applySchedulingGatedCondition(pod *corev1.Pod) {
	if len(pod.Spec.SchedulingGates) == 0 {
		return
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			return
		}
	}
	pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{
		Type:               corev1.PodScheduled,
		Status:             corev1.ConditionFalse,
		Reason:             corev1.PodReasonSchedulingGated,
		Message:            "Scheduling is blocked due to non-empty scheduling gates",
		LastTransitionTime: metav1.Now(),
	})
}

func applyLabelKeys(sel *metav1.LabelSelector, keys []string, op metav1.LabelSelectorOperator, podLabels map[string]string) {
	for _, key := range keys {
		if value, ok := podLabels[key]; ok {
			sel.MatchExpressions = append(sel.MatchExpressions, metav1.LabelSelectorRequirement{
				Key: key, Operator: op, Values: []string{value},
			})
		}
	}
}

func applyAffinityTermLabelKeys(term *corev1.PodAffinityTerm, podLabels map[string]string) {
	if (len(term.MatchLabelKeys) == 0 && len(term.MismatchLabelKeys) == 0) || term.LabelSelector == nil {
		return
	}
	applyLabelKeys(term.LabelSelector, term.MatchLabelKeys, metav1.LabelSelectorOpIn, podLabels)
	applyLabelKeys(term.LabelSelector, term.MismatchLabelKeys, metav1.LabelSelectorOpNotIn, podLabels)
}

// mutatePodAffinity mirrors strategy.go (MatchLabelKeysInPodAffinity is GA):
// matchLabelKeys/mismatchLabelKeys are merged into the label selectors.
func mutatePodAffinity(pod *corev1.Pod) {
	if pod.Spec.Affinity == nil {
		return
	}
	if a := pod.Spec.Affinity.PodAffinity; a != nil {
		for i := range a.PreferredDuringSchedulingIgnoredDuringExecution {
			applyAffinityTermLabelKeys(&a.PreferredDuringSchedulingIgnoredDuringExecution[i].PodAffinityTerm, pod.Labels)
		}
		for i := range a.RequiredDuringSchedulingIgnoredDuringExecution {
			applyAffinityTermLabelKeys(&a.RequiredDuringSchedulingIgnoredDuringExecution[i], pod.Labels)
		}
	}
	if a := pod.Spec.Affinity.PodAntiAffinity; a != nil {
		for i := range a.PreferredDuringSchedulingIgnoredDuringExecution {
			applyAffinityTermLabelKeys(&a.PreferredDuringSchedulingIgnoredDuringExecution[i].PodAffinityTerm, pod.Labels)
		}
		for i := range a.RequiredDuringSchedulingIgnoredDuringExecution {
			applyAffinityTermLabelKeys(&a.RequiredDuringSchedulingIgnoredDuringExecution[i], pod.Labels)
		}
	}
}

// mutateTopologySpreadConstraints mirrors strategy.go (both
// MatchLabelKeysInPodTopologySpread gates are on in 1.37).
func mutateTopologySpreadConstraints(pod *corev1.Pod) {
	for i := range pod.Spec.TopologySpreadConstraints {
		c := &pod.Spec.TopologySpreadConstraints[i]
		if len(c.MatchLabelKeys) == 0 || c.LabelSelector == nil {
			continue
		}
		applyLabelKeys(c.LabelSelector, c.MatchLabelKeys, metav1.LabelSelectorOpIn, pod.Labels)
	}
}

// appArmorFieldForAnnotation mirrors podutil.ApparmorFieldForAnnotation,
// combined with the ValidateAppArmorProfileField check applyAppArmorVersionSkew
// performs (a localhost profile padded with whitespace or longer than 4095
// bytes is not copied).
func appArmorFieldForAnnotation(annotation string) *corev1.AppArmorProfile {
	switch {
	case annotation == corev1.DeprecatedAppArmorBetaProfileNameUnconfined:
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
	case annotation == corev1.DeprecatedAppArmorBetaProfileRuntimeDefault:
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}
	case strings.HasPrefix(annotation, corev1.DeprecatedAppArmorBetaProfileNamePrefix):
		p := strings.TrimPrefix(annotation, corev1.DeprecatedAppArmorBetaProfileNamePrefix)
		if p == "" || strings.TrimSpace(p) != p || len(p) > 4095 {
			return nil
		}
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: &p}
	}
	return nil
}

// applyAppArmorVersionSkew mirrors strategy.go: the deprecated per-container
// AppArmor annotations are copied to securityContext.appArmorProfile on
// create, with a deprecation warning.
func applyAppArmorVersionSkew(ctx context.Context, pod *corev1.Pod) {
	if pod.Spec.OS != nil && pod.Spec.OS.Name == corev1.Windows {
		return
	}
	var podProfile *corev1.AppArmorProfile
	if pod.Spec.SecurityContext != nil {
		podProfile = pod.Spec.SecurityContext.AppArmorProfile
	}
	visitAllContainers(&pod.Spec, func(c *corev1.Container) {
		key := corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix + c.Name
		annotation, ok := pod.Annotations[key]
		if !ok || (c.SecurityContext != nil && c.SecurityContext.AppArmorProfile != nil) {
			return
		}
		newField := appArmorFieldForAnnotation(annotation)
		warn := newField == nil
		if newField != nil && !apiequality.Semantic.DeepEqual(newField, podProfile) {
			if c.SecurityContext == nil {
				c.SecurityContext = &corev1.SecurityContext{}
			}
			c.SecurityContext.AppArmorProfile = newField
			warn = true
		}
		if warn {
			warning.AddWarning(ctx, "", fmt.Sprintf(`metadata.annotations[%s]: deprecated since v1.30; use the "appArmorProfile" field instead`, key))
		}
	})
}

// computePodQOS mirrors qos.ComputePodQOS (pkg/apis/core/helper/qos) with
// PodLevelResources and PodLevelResourcesFixKubeletQOSClass on: pod-level
// resources decide when they name a supported resource (cpu, memory,
// hugepages-*); otherwise init and regular containers are combined.
// Ephemeral containers never count.
func computePodQOS(pod *corev1.Pod) corev1.PodQOSClass {
	if podLevelResourcesSet(pod) {
		return requirementsQOS(pod.Spec.Resources)
	}
	var podQOS corev1.PodQOSClass
	all := make([]*corev1.Container, 0, len(pod.Spec.InitContainers)+len(pod.Spec.Containers))
	for i := range pod.Spec.InitContainers {
		all = append(all, &pod.Spec.InitContainers[i])
	}
	for i := range pod.Spec.Containers {
		all = append(all, &pod.Spec.Containers[i])
	}
	for _, c := range all {
		q := requirementsQOS(&c.Resources)
		switch {
		case q == corev1.PodQOSBurstable:
			return q
		case podQOS == "":
			podQOS = q
		case podQOS != q:
			return corev1.PodQOSBurstable
		}
	}
	if podQOS == "" {
		podQOS = corev1.PodQOSBestEffort
	}
	return podQOS
}

func podLevelResourcesSet(pod *corev1.Pod) bool {
	r := pod.Spec.Resources
	if r == nil {
		return false
	}
	for _, list := range []corev1.ResourceList{r.Requests, r.Limits} {
		for name := range list {
			if name == corev1.ResourceCPU || name == corev1.ResourceMemory || strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix) {
				return true
			}
		}
	}
	return false
}

// requirementsQOS mirrors qos.requirementsQOS over cpu and memory.
func requirementsQOS(r *corev1.ResourceRequirements) corev1.PodQOSClass {
	if len(r.Requests) == 0 && len(r.Limits) == 0 {
		return corev1.PodQOSBestEffort
	}
	var q corev1.PodQOSClass
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		rq := resourceQOS(r, name)
		switch {
		case rq == corev1.PodQOSBurstable:
			return rq
		case q == "":
			q = rq
		case q != rq:
			return corev1.PodQOSBurstable
		}
	}
	return q
}

func resourceQOS(r *corev1.ResourceRequirements, name corev1.ResourceName) corev1.PodQOSClass {
	var req, lim resource.Quantity
	if v, ok := r.Requests[name]; ok {
		req = v
	}
	if v, ok := r.Limits[name]; ok {
		lim = v
	}
	switch {
	case !req.Equal(lim):
		return corev1.PodQOSBurstable
	case req.IsZero():
		return corev1.PodQOSBestEffort
	default:
		return corev1.PodQOSGuaranteed
	}
}
