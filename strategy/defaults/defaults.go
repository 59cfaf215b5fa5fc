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

// Package defaults holds the defaulting kube-apiserver applies to core/v1
// objects when it decodes them (pkg/apis/core/v1/defaults.go, SetDefaults_*),
// registered on the scheme so every decode applies it.
package defaults

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/ephemera-dev/ephemera/internal/imageref"
)

// Defaulting of the v1 objects Ephemera serves. It mirrors the generated
// SetObjectDefaults_* functions of k8s.io/kubernetes/pkg/apis/core/v1
// (zz_generated.defaults.go) and the hand-written SetDefaults_* functions they
// call (pkg/apis/core/v1/defaults.go), with the kube-apiserver v1.37.2 default
// feature gates baked in:
//   - H2CContainerProbe (alpha, off): httpGet.protocol is not defaulted.
//   - ImageVolume (GA): image volumes get a pullPolicy.
//   - PodLevelResources on + PodLevelResourcesFixDefaulting on: pod-level
//     requests/limits are not defaulted here but in PrepareForCreate upstream.
//   - PodLogsQuerySplitStreams (alpha, off): PodLogOptions are not defaulted.
// ServiceAccount and Event have no defaulting functions upstream.

// RegisterDefaults adds the defaulting functions for the served types to scheme.
func RegisterDefaults(scheme *runtime.Scheme) error {
	scheme.AddTypeDefaultingFunc(&corev1.Pod{}, func(obj interface{}) { DefaultPod(obj.(*corev1.Pod)) })
	scheme.AddTypeDefaultingFunc(&corev1.PodList{}, func(obj interface{}) {
		list := obj.(*corev1.PodList)
		for i := range list.Items {
			DefaultPod(&list.Items[i])
		}
	})
	scheme.AddTypeDefaultingFunc(&corev1.Namespace{}, func(obj interface{}) { DefaultNamespace(obj.(*corev1.Namespace)) })
	scheme.AddTypeDefaultingFunc(&corev1.NamespaceList{}, func(obj interface{}) {
		list := obj.(*corev1.NamespaceList)
		for i := range list.Items {
			DefaultNamespace(&list.Items[i])
		}
	})
	registerServiceDefaults(scheme)
	return nil
}

// DefaultNamespace mirrors SetObjectDefaults_Namespace: the
// kubernetes.io/metadata.name label (only for named namespaces) and the
// Active phase.
func DefaultNamespace(ns *corev1.Namespace) {
	if len(ns.Name) > 0 {
		if ns.Labels == nil {
			ns.Labels = map[string]string{}
		}
		ns.Labels[corev1.LabelMetadataName] = ns.Name
	}
	if ns.Status.Phase == "" {
		ns.Status.Phase = corev1.NamespaceActive
	}
}

// DefaultPod mirrors SetObjectDefaults_Pod: SetDefaults_Pod, SetDefaults_PodSpec,
// then the per-field defaults of volumes, init containers, containers,
// ephemeral containers, pod-level resource lists and the status.
func DefaultPod(pod *corev1.Pod) {
	defaultPodObject(pod)
	defaultPodSpec(&pod.Spec)
	for i := range pod.Spec.Volumes {
		defaultVolume(&pod.Spec.Volumes[i])
	}
	for i := range pod.Spec.InitContainers {
		defaultContainer(&pod.Spec.InitContainers[i])
	}
	for i := range pod.Spec.Containers {
		defaultContainer(&pod.Spec.Containers[i])
	}
	for i := range pod.Spec.EphemeralContainers {
		// SetDefaults_EphemeralContainer converts to Container; the field set
		// of EphemeralContainerCommon is identical, so the same rules apply.
		defaultContainer((*corev1.Container)(&pod.Spec.EphemeralContainers[i].EphemeralContainerCommon))
	}
	roundResourceList(pod.Spec.Overhead)
	if pod.Spec.Resources != nil {
		roundResourceList(pod.Spec.Resources.Limits)
		roundResourceList(pod.Spec.Resources.Requests)
	}
	defaultPodStatus(&pod.Status)
}

// defaultPodObject mirrors SetDefaults_Pod (defaults.go).
func defaultPodObject(pod *corev1.Pod) {
	// Negative grace periods become 1 on a Pod (not on templates).
	if pod.Spec.TerminationGracePeriodSeconds != nil && *pod.Spec.TerminationGracePeriodSeconds < 0 {
		pod.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1)
	}
	// Requests default to limits for regular and init containers only; the
	// ephemeral containers are left alone.
	defaultRequestsFromLimits(pod.Spec.Containers)
	defaultRequestsFromLimits(pod.Spec.InitContainers)

	if pod.Spec.EnableServiceLinks == nil {
		pod.Spec.EnableServiceLinks = ptr.To(corev1.DefaultEnableServiceLinks)
	}
	// With host networking, container ports default their hostPort.
	if pod.Spec.HostNetwork {
		defaultHostNetworkPorts(pod.Spec.Containers)
		defaultHostNetworkPorts(pod.Spec.InitContainers)
	}
}

func defaultRequestsFromLimits(containers []corev1.Container) {
	for i := range containers {
		res := &containers[i].Resources
		if res.Limits == nil {
			continue
		}
		if res.Requests == nil {
			res.Requests = make(corev1.ResourceList)
		}
		for name, q := range res.Limits {
			if _, ok := res.Requests[name]; !ok {
				res.Requests[name] = q.DeepCopy()
			}
		}
	}
}

func defaultHostNetworkPorts(containers []corev1.Container) {
	for i := range containers {
		for j := range containers[i].Ports {
			if containers[i].Ports[j].HostPort == 0 {
				containers[i].Ports[j].HostPort = containers[i].Ports[j].ContainerPort
			}
		}
	}
}

// defaultPodSpec mirrors SetDefaults_PodSpec.
func defaultPodSpec(spec *corev1.PodSpec) {
	// serviceAccount is the deprecated alias of serviceAccountName; the
	// latter wins when both are set.
	if len(spec.ServiceAccountName) == 0 {
		spec.ServiceAccountName = spec.DeprecatedServiceAccount
	}
	spec.DeprecatedServiceAccount = spec.ServiceAccountName
	if spec.DNSPolicy == "" {
		spec.DNSPolicy = corev1.DNSClusterFirst
	}
	if spec.RestartPolicy == "" {
		spec.RestartPolicy = corev1.RestartPolicyAlways
	}
	if spec.SecurityContext == nil {
		spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	if spec.TerminationGracePeriodSeconds == nil {
		spec.TerminationGracePeriodSeconds = ptr.To[int64](corev1.DefaultTerminationGracePeriodSeconds)
	}
	if spec.SchedulerName == "" {
		spec.SchedulerName = corev1.DefaultSchedulerName
	}
}

// defaultContainer mirrors SetDefaults_Container plus the generated
// per-field defaults for a container (ports, env, resources, probes,
// lifecycle handlers).
func defaultContainer(c *corev1.Container) {
	if c.ImagePullPolicy == "" {
		if imageref.DefaultsToAlways(c.Image) {
			c.ImagePullPolicy = corev1.PullAlways
		} else {
			c.ImagePullPolicy = corev1.PullIfNotPresent
		}
	}
	if c.TerminationMessagePath == "" {
		c.TerminationMessagePath = corev1.TerminationMessagePathDefault
	}
	if c.TerminationMessagePolicy == "" {
		c.TerminationMessagePolicy = corev1.TerminationMessageReadFile
	}
	for j := range c.Ports {
		if c.Ports[j].Protocol == "" {
			c.Ports[j].Protocol = corev1.ProtocolTCP
		}
	}
	for j := range c.Env {
		vf := c.Env[j].ValueFrom
		if vf == nil {
			continue
		}
		if vf.FieldRef != nil {
			defaultObjectFieldSelector(vf.FieldRef)
		}
		if vf.FileKeyRef != nil && vf.FileKeyRef.Optional == nil {
			vf.FileKeyRef.Optional = ptr.To(false)
		}
	}
	roundResourceList(c.Resources.Limits)
	roundResourceList(c.Resources.Requests)
	defaultProbe(c.LivenessProbe)
	defaultProbe(c.ReadinessProbe)
	defaultProbe(c.StartupProbe)
	if c.Lifecycle != nil {
		if c.Lifecycle.PostStart != nil && c.Lifecycle.PostStart.HTTPGet != nil {
			defaultHTTPGet(c.Lifecycle.PostStart.HTTPGet)
		}
		if c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.HTTPGet != nil {
			defaultHTTPGet(c.Lifecycle.PreStop.HTTPGet)
		}
	}
}

// defaultProbe mirrors SetDefaults_Probe and the handler defaults.
func defaultProbe(p *corev1.Probe) {
	if p == nil {
		return
	}
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = 1
	}
	if p.PeriodSeconds == 0 {
		p.PeriodSeconds = 10
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = 1
	}
	if p.FailureThreshold == 0 {
		p.FailureThreshold = 3
	}
	if p.HTTPGet != nil {
		defaultHTTPGet(p.HTTPGet)
	}
	if p.GRPC != nil && p.GRPC.Service == nil {
		p.GRPC.Service = ptr.To("")
	}
}

// defaultHTTPGet mirrors SetDefaults_HTTPGetAction.
func defaultHTTPGet(a *corev1.HTTPGetAction) {
	if a.Path == "" {
		a.Path = "/"
	}
	if a.Scheme == "" {
		a.Scheme = corev1.URISchemeHTTP
	}
}

// defaultObjectFieldSelector mirrors SetDefaults_ObjectFieldSelector.
func defaultObjectFieldSelector(s *corev1.ObjectFieldSelector) {
	if s.APIVersion == "" {
		s.APIVersion = "v1"
	}
}

// roundResourceList mirrors SetDefaults_ResourceList: quantities are rounded
// up to milli scale.
func roundResourceList(list corev1.ResourceList) {
	for name, q := range list {
		q.RoundUp(-3)
		list[name] = q
	}
}

// defaultVolume mirrors SetDefaults_Volume and the generated per-source defaults.
func defaultVolume(v *corev1.Volume) {
	if ptr.AllPtrFieldsNil(&v.VolumeSource) {
		v.VolumeSource = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
	}
	// ImageVolume is GA in 1.37: pullPolicy Always for latest, else IfNotPresent.
	if v.Image != nil && v.Image.PullPolicy == "" {
		if imageref.DefaultsToAlways(v.Image.Reference) {
			v.Image.PullPolicy = corev1.PullAlways
		} else {
			v.Image.PullPolicy = corev1.PullIfNotPresent
		}
	}
	src := &v.VolumeSource
	if src.HostPath != nil && src.HostPath.Type == nil {
		src.HostPath.Type = ptr.To(corev1.HostPathUnset)
	}
	if src.Secret != nil && src.Secret.DefaultMode == nil {
		src.Secret.DefaultMode = ptr.To(corev1.SecretVolumeSourceDefaultMode)
	}
	if src.ISCSI != nil && src.ISCSI.ISCSIInterface == "" {
		src.ISCSI.ISCSIInterface = "default"
	}
	if src.RBD != nil {
		if src.RBD.RBDPool == "" {
			src.RBD.RBDPool = "rbd"
		}
		if src.RBD.RadosUser == "" {
			src.RBD.RadosUser = "admin"
		}
		if src.RBD.Keyring == "" {
			src.RBD.Keyring = "/etc/ceph/keyring"
		}
	}
	if src.DownwardAPI != nil {
		if src.DownwardAPI.DefaultMode == nil {
			src.DownwardAPI.DefaultMode = ptr.To(corev1.DownwardAPIVolumeSourceDefaultMode)
		}
		for j := range src.DownwardAPI.Items {
			if src.DownwardAPI.Items[j].FieldRef != nil {
				defaultObjectFieldSelector(src.DownwardAPI.Items[j].FieldRef)
			}
		}
	}
	if src.ConfigMap != nil && src.ConfigMap.DefaultMode == nil {
		src.ConfigMap.DefaultMode = ptr.To(corev1.ConfigMapVolumeSourceDefaultMode)
	}
	if src.AzureDisk != nil {
		if src.AzureDisk.CachingMode == nil {
			src.AzureDisk.CachingMode = ptr.To(corev1.AzureDataDiskCachingReadWrite)
		}
		if src.AzureDisk.FSType == nil {
			src.AzureDisk.FSType = ptr.To("ext4")
		}
		if src.AzureDisk.ReadOnly == nil {
			src.AzureDisk.ReadOnly = ptr.To(false)
		}
		if src.AzureDisk.Kind == nil {
			src.AzureDisk.Kind = ptr.To(corev1.AzureSharedBlobDisk)
		}
	}
	if src.Projected != nil {
		if src.Projected.DefaultMode == nil {
			src.Projected.DefaultMode = ptr.To(corev1.ProjectedVolumeSourceDefaultMode)
		}
		for j := range src.Projected.Sources {
			ps := &src.Projected.Sources[j]
			if ps.DownwardAPI != nil {
				for k := range ps.DownwardAPI.Items {
					if ps.DownwardAPI.Items[k].FieldRef != nil {
						defaultObjectFieldSelector(ps.DownwardAPI.Items[k].FieldRef)
					}
				}
			}
			if ps.ServiceAccountToken != nil && ps.ServiceAccountToken.ExpirationSeconds == nil {
				ps.ServiceAccountToken.ExpirationSeconds = ptr.To[int64](3600)
			}
		}
	}
	if src.ScaleIO != nil {
		if src.ScaleIO.StorageMode == "" {
			src.ScaleIO.StorageMode = "ThinProvisioned"
		}
		if src.ScaleIO.FSType == "" {
			src.ScaleIO.FSType = "xfs"
		}
	}
	if src.Ephemeral != nil && src.Ephemeral.VolumeClaimTemplate != nil {
		spec := &src.Ephemeral.VolumeClaimTemplate.Spec
		if spec.VolumeMode == nil {
			spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
		}
		roundResourceList(spec.Resources.Limits)
		roundResourceList(spec.Resources.Requests)
	}
}

// defaultPodStatus mirrors SetDefaults_PodStatus (podIP/podIPs kept in sync,
// podIP authoritative) and the rounding of the status resource lists.
func defaultPodStatus(s *corev1.PodStatus) {
	hasIP, hasIPs := len(s.PodIP) > 0, len(s.PodIPs) > 0
	switch {
	case hasIP && !hasIPs:
		s.PodIPs = []corev1.PodIP{{IP: s.PodIP}}
	case !hasIP && hasIPs:
		s.PodIP = s.PodIPs[0].IP
	case hasIP && hasIPs && s.PodIPs[0].IP != s.PodIP:
		s.PodIPs = []corev1.PodIP{{IP: s.PodIP}}
	}
	for _, list := range [][]corev1.ContainerStatus{s.InitContainerStatuses, s.ContainerStatuses, s.EphemeralContainerStatuses} {
		for i := range list {
			roundResourceList(list[i].AllocatedResources)
			if list[i].Resources != nil {
				roundResourceList(list[i].Resources.Limits)
				roundResourceList(list[i].Resources.Requests)
			}
		}
	}
	roundResourceList(s.AllocatedResources)
	if s.Resources != nil {
		roundResourceList(s.Resources.Limits)
		roundResourceList(s.Resources.Requests)
	}
}
