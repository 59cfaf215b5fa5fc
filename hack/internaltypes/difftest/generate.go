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

package main

import (
	"math/rand"

	corev1 "k8s.io/api/core/v1"
	k8sv1 "k8s.io/kubernetes/pkg/apis/core/v1"
	"sigs.k8s.io/randfill"
)

// genConfig says how a mode's filler generates values.
type genConfig struct {
	nilChance float64
	// names are the strings random strings are drawn from.
	names []string
	// emptyResourceLists makes random resource lists nil or empty.
	emptyResourceLists bool
}

// specNames are the strings random pod specs draw from: names, enum
// values, paths and invalid values.
var specNames = []string{"", "app", "init", "vol", "blk", "dbg", "Bad", "x", "/p", "../x", "a/b", "cpu", "memory", "TCP", "File", "Always", "Never", "OnFailure", "IfNotPresent", "ClusterFirst", "None", "Localhost", "RuntimeDefault", "Unmasked", "Default", " busybox", "busybox", "linux", "windows", "NoExecute", "Exists", "Equal", "v1", "metadata.name", "c"}

// createNames adds addresses and dotted names for the create test.
var createNames = append([]string{"1.2.3.4", "::1", "010.0.0.1", "a_b.c", "."}, specNames...)

// ecNames is the smaller set the ephemeral container test draws from.
var ecNames = []string{"", "app", "init", "vol", "blk", "dbg", "Bad", "x", "/p", "../x", "a/b", "cpu", "memory", "TCP", "File", "Always", "Never", "IfNotPresent", "Localhost", "RuntimeDefault", "Unmasked", "Default", " busybox", "busybox"}

func newFiller(r *rand.Rand, g genConfig) *randfill.Filler {
	funcs := []interface{}{
		func(s *string, c randfill.Continue) { *s = g.names[c.Intn(len(g.names))] },
		func(v *int64, c randfill.Continue) { *v = int64(c.Intn(5)) - 1 },
		func(v *int32, c randfill.Continue) { *v = int32(c.Intn(5)) - 1 },
	}
	if g.emptyResourceLists {
		funcs = append(funcs, func(v *corev1.ResourceList, c randfill.Continue) {
			if c.Intn(3) == 0 {
				*v = nil
				return
			}
			*v = corev1.ResourceList{}
		})
	}
	return randfill.New().RandSource(r).NilChance(g.nilChance).NumElements(0, 2).Funcs(funcs...)
}

// genPod returns a defaulted pod with a random spec, minus the areas
// Ephemera does not cover (listed in the report). clear, if given, clears
// more before defaulting.
func genPod(f *randfill.Filler, clear ...func(*corev1.PodSpec)) *corev1.Pod {
	p := &corev1.Pod{}
	p.Name, p.Namespace = "p", "ns"
	f.Fill(&p.Spec)
	for _, c := range clear {
		c(&p.Spec)
	}
	p.Spec.TopologySpreadConstraints = nil
	p.Spec.SchedulingGroup, p.Spec.EvictionResponders = nil, nil
	p.Spec.ResourceClaims = nil
	if p.Spec.SecurityContext != nil {
		p.Spec.SecurityContext.SELinuxChangePolicy = nil
	}
	for k := range p.Spec.Volumes {
		vs := &p.Spec.Volumes[k].VolumeSource
		keep := corev1.VolumeSource{EmptyDir: vs.EmptyDir, HostPath: vs.HostPath, Secret: vs.Secret, ConfigMap: vs.ConfigMap,
			PersistentVolumeClaim: vs.PersistentVolumeClaim, DownwardAPI: vs.DownwardAPI, Image: vs.Image}
		if vs.Projected != nil {
			keep.Projected = vs.Projected
			for s := range keep.Projected.Sources {
				keep.Projected.Sources[s].ClusterTrustBundle = nil
				keep.Projected.Sources[s].PodCertificate = nil
			}
		}
		if vs.Ephemeral != nil {
			keep.Ephemeral = &corev1.EphemeralVolumeSource{}
		}
		*vs = keep
	}
	p.Spec.EphemeralContainers = nil
	k8sv1.SetObjectDefaults_Pod(p)
	return p
}

// clearCreateOnly clears the areas only the create test covers.
func clearCreateOnly(s *corev1.PodSpec) {
	s.Affinity, s.HostAliases, s.Overhead, s.DNSConfig, s.Resources = nil, nil, nil, nil, nil
}

// basePod is the valid pod the ephemeral container test starts from.
func basePod() *corev1.Pod {
	p := &corev1.Pod{}
	p.Name, p.Namespace, p.ResourceVersion = "p", "ns", "1"
	p.Spec.Containers = []corev1.Container{{Name: "app", Image: "busybox"}}
	p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox"}}
	p.Spec.Volumes = []corev1.Volume{
		{Name: "vol", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: "blk", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "c"}}},
	}
	k8sv1.SetObjectDefaults_Pod(p)
	return p
}

func ptr[T any](v T) *T { return &v }
