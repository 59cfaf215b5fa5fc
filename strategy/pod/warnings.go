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
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// podWarnings mirrors the pod-create part of podutil.GetWarningsForPod
// (pkg/api/pod/warnings.go, warningsForPodSpecAndMeta), in upstream order.
// Not reproduced: deprecated node labels in nodeSelector / node affinity /
// topologyKey (pkg/api/node) and ephemeral-volume PVC spec warnings. The negative
// terminationGracePeriodSeconds warning cannot fire for pods (defaulting
// turns it into 1 first) and is left out.
func podWarnings(pod *corev1.Pod) []string {
	var warnings []string
	spec := &pod.Spec
	specPath := field.NewPath("spec")

	for i, t := range spec.TopologySpreadConstraints {
		if t.LabelSelector == nil {
			warnings = append(warnings, fmt.Sprintf("%s: a null labelSelector results in matching no pod", specPath.Child("topologySpreadConstraints").Index(i).Child("labelSelector")))
		}
	}

	annPath := field.NewPath("metadata", "annotations")
	for _, d := range []struct{ key, msg string }{
		{"scheduler.alpha.kubernetes.io/critical-pod", `non-functional in v1.16+; use the "priorityClassName" field instead`},
		{"security.alpha.kubernetes.io/sysctls", `non-functional in v1.11+; use the "sysctls" field instead`},
		{"security.alpha.kubernetes.io/unsafe-sysctls", `non-functional in v1.11+; use the "sysctls" field instead`},
	} {
		if _, ok := pod.Annotations[d.key]; ok {
			warnings = append(warnings, fmt.Sprintf("%s: %s", annPath.Key(d.key), d.msg))
		}
	}

	for i, v := range spec.Volumes {
		p := specPath.Child("volumes").Index(i)
		add := func(child, msg string) { warnings = append(warnings, fmt.Sprintf("%s: %s", p.Child(child), msg)) }
		if v.PhotonPersistentDisk != nil {
			add("photonPersistentDisk", "deprecated in v1.11, non-functional in v1.16+")
		}
		if v.GitRepo != nil { // GitRepoVolumeDriver is off (locked) in 1.37
			add("gitRepo", "deprecated in v1.11, and disabled by default in v1.33+")
		}
		if v.ScaleIO != nil {
			add("scaleIO", "deprecated in v1.16, non-functional in v1.22+")
		}
		if v.Flocker != nil {
			add("flocker", "deprecated in v1.22, non-functional in v1.25+")
		}
		if v.StorageOS != nil {
			add("storageOS", "deprecated in v1.22, non-functional in v1.25+")
		}
		if v.Quobyte != nil {
			add("quobyte", "deprecated in v1.22, non-functional in v1.25+")
		}
		if v.Glusterfs != nil {
			add("glusterfs", "deprecated in v1.25, non-functional in v1.26+")
		}
		if v.CephFS != nil {
			add("cephfs", "deprecated in v1.28, non-functional in v1.31+")
		}
		if v.RBD != nil {
			add("rbd", "deprecated in v1.28, non-functional in v1.31+")
		}
	}

	warnings = append(warnings, volumePathWarnings(spec.Volumes)...)

	if len(spec.HostAliases) > 1 {
		seen := map[string]bool{}
		for i, a := range spec.HostAliases {
			if seen[a.IP] {
				warnings = append(warnings, fmt.Sprintf("%s: duplicate ip %q", specPath.Child("hostAliases").Index(i).Child("ip"), a.IP))
			}
			seen[a.IP] = true
		}
	}
	if len(spec.ImagePullSecrets) > 1 {
		seen := map[string]bool{}
		for i, s := range spec.ImagePullSecrets {
			if seen[s.Name] {
				warnings = append(warnings, fmt.Sprintf("%s: duplicate name %q", specPath.Child("imagePullSecrets").Index(i).Child("name"), s.Name))
			}
			seen[s.Name] = true
		}
	}
	for i, s := range spec.ImagePullSecrets {
		if len(s.Name) == 0 {
			warnings = append(warnings, fmt.Sprintf("%s: invalid empty name %q", specPath.Child("imagePullSecrets").Index(i).Child("name"), s.Name))
		}
	}

	fractional := func(list corev1.ResourceList, name corev1.ResourceName, p *field.Path) {
		if v, ok := list[name]; ok && v.MilliValue()%1000 != 0 {
			warnings = append(warnings, fmt.Sprintf("%s: fractional byte value %q is invalid, must be an integer", p.Key(string(name)), v.String()))
		}
	}
	fractional(spec.Overhead, corev1.ResourceMemory, specPath.Child("overhead"))
	fractional(spec.Overhead, corev1.ResourceEphemeralStorage, specPath.Child("overhead"))

	if spec.SecurityContext == nil || spec.SecurityContext.SeccompProfile == nil {
		if _, ok := pod.Annotations[corev1.SeccompPodAnnotationKey]; ok {
			warnings = append(warnings, fmt.Sprintf(`%s: non-functional in v1.27+; use the "seccompProfile" field instead`, annPath.Key(corev1.SeccompPodAnnotationKey)))
		}
	}

	visitContainersWithPath(spec, func(c *corev1.Container, p *field.Path) {
		if c.SecurityContext == nil || c.SecurityContext.SeccompProfile == nil {
			key := corev1.SeccompContainerAnnotationKeyPrefix + c.Name
			if _, ok := pod.Annotations[key]; ok {
				warnings = append(warnings, fmt.Sprintf(`%s: non-functional in v1.27+; use the "seccompProfile" field instead`, annPath.Key(key)))
			}
		}
		// (AppArmor annotation warnings are emitted by applyAppArmorVersionSkew for pods.)
		fractional(c.Resources.Limits, corev1.ResourceMemory, p.Child("resources", "limits"))
		fractional(c.Resources.Requests, corev1.ResourceMemory, p.Child("resources", "requests"))
		fractional(c.Resources.Limits, corev1.ResourceEphemeralStorage, p.Child("resources", "limits"))
		fractional(c.Resources.Requests, corev1.ResourceEphemeralStorage, p.Child("resources", "requests"))
		if len(c.Env) > 1 {
			seen := map[string]bool{}
			for i, e := range c.Env {
				if !seen[e.Name] {
					seen[e.Name] = true
					continue
				}
				ref := fmt.Sprintf("$(%s)", e.Name)
				if e.ValueFrom != nil || e.Value == ref || !strings.Contains(e.Value, ref) {
					warnings = append(warnings, fmt.Sprintf("%s: hides previous definition of %q, which may be dropped when using apply", p.Child("env").Index(i), e.Name))
				}
			}
		}
	})

	type portBlock struct {
		path *field.Path
		port corev1.ContainerPort
	}
	allPorts := map[string][]portBlock{}
	visitContainersWithPath(spec, func(c *corev1.Container, p *field.Path) {
		for i, port := range c.Ports {
			pp := p.Child("ports").Index(i)
			if port.HostIP != "" && port.HostPort == 0 {
				warnings = append(warnings, fmt.Sprintf("%s: hostIP set without hostPort: %+v", pp, port))
			}
			k := fmt.Sprintf("%d/%s", port.ContainerPort, port.Protocol)
			for _, other := range allPorts[k] {
				a, b := port.HostIP == "", other.port.HostIP == ""
				switch {
				case port.HostIP == other.port.HostIP && port.HostPort == other.port.HostPort:
					warnings = append(warnings, fmt.Sprintf("%s: duplicate port definition with %s", pp, other.path))
				case port.HostPort == 0 || other.port.HostPort == 0:
					warnings = append(warnings, fmt.Sprintf("%s: overlapping port definition with %s", pp, other.path))
				case port.HostPort == other.port.HostPort && (a || b) && !(a && b):
					warnings = append(warnings, fmt.Sprintf("%s: dangerously ambiguous port definition with %s", pp, other.path))
				}
			}
			allPorts[k] = append(allPorts[k], portBlock{pp, port})
		}
	})

	portNames := map[string]*field.Path{}
	visitContainersWithPath(spec, func(c *corev1.Container, p *field.Path) {
		for i, port := range c.Ports {
			if port.Name == "" {
				continue
			}
			pp := p.Child("ports").Index(i)
			if other, ok := portNames[port.Name]; ok {
				warnings = append(warnings, fmt.Sprintf("%s: duplicate port name %q with %s, services and probes that select ports by name will use %s", pp, port.Name, other, other))
			} else {
				portNames[port.Name] = pp
			}
		}
	})

	if a := spec.Affinity; a != nil {
		nullSel := func(p *field.Path) {
			warnings = append(warnings, fmt.Sprintf("%s: a null labelSelector results in matching no pod", p))
		}
		terms := func(req []corev1.PodAffinityTerm, pref []corev1.WeightedPodAffinityTerm, p *field.Path) {
			for i, t := range req {
				if t.LabelSelector == nil {
					nullSel(p.Child("requiredDuringSchedulingIgnoredDuringExecution").Index(i).Child("labelSelector"))
				}
			}
			for i, t := range pref {
				if t.PodAffinityTerm.LabelSelector == nil {
					nullSel(p.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i).Child("podAffinityTerm", "labelSelector"))
				}
			}
		}
		if pa := a.PodAffinity; pa != nil {
			terms(pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution, specPath.Child("affinity", "podAffinity"))
		}
		if pa := a.PodAntiAffinity; pa != nil {
			terms(pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution, specPath.Child("affinity", "podAntiAffinity"))
		}
	}

	if spec.DNSConfig != nil {
		for i, ns := range spec.DNSConfig.Nameservers {
			warnings = append(warnings, utilvalidation.GetWarningsForIP(specPath.Child("dnsConfig", "nameservers").Index(i), ns)...)
		}
	}
	for i, a := range spec.HostAliases {
		warnings = append(warnings, utilvalidation.GetWarningsForIP(specPath.Child("hostAliases").Index(i).Child("ip"), a.IP)...)
	}
	return warnings
}

// visitContainersWithPath mirrors pods.VisitContainersWithPath: init, regular,
// then ephemeral containers, with their field paths.
func visitContainersWithPath(spec *corev1.PodSpec, fn func(c *corev1.Container, p *field.Path)) {
	specPath := field.NewPath("spec")
	for i := range spec.InitContainers {
		fn(&spec.InitContainers[i], specPath.Child("initContainers").Index(i))
	}
	for i := range spec.Containers {
		fn(&spec.Containers[i], specPath.Child("containers").Index(i))
	}
	for i := range spec.EphemeralContainers {
		fn((*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon), specPath.Child("ephemeralContainers").Index(i))
	}
}
