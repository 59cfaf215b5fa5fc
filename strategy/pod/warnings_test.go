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
	"strings"
	"testing"

	"github.com/ephemera-dev/ephemera/strategy/defaults"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func warnPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "warn.pod", Annotations: map[string]string{
			"scheduler.alpha.kubernetes.io/critical-pod":     "",
			corev1.SeccompPodAnnotationKey:                   "runtime/default",
			corev1.SeccompContainerAnnotationKeyPrefix + "b": "runtime/default",
		}},
		Spec: corev1.PodSpec{
			ImagePullSecrets:          []corev1.LocalObjectReference{{Name: "s"}, {Name: "s"}},
			HostAliases:               []corev1.HostAlias{{IP: "10.0.0.1", Hostnames: []string{"a"}}, {IP: "10.0.0.1", Hostnames: []string{"b"}}},
			TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: corev1.ScheduleAnyway}},
			ServiceAccountName:        "default", // a token projection needs one
			// Items that overwrite each other in one volume (the same path,
			// or one a directory of the other, trailing slashes aside), and a
			// projected volume's empty source.
			Volumes: []corev1.Volume{
				{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
					LocalObjectReference: corev1.LocalObjectReference{Name: "conf"},
					Items:                []corev1.KeyToPath{{Key: "k1", Path: "a"}, {Key: "k2", Path: "a/b"}, {Key: "k3", Path: "c"}, {Key: "k4", Path: "ab"}}}}},
				{Name: "sec", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s",
					Items: []corev1.KeyToPath{{Key: "k1", Path: "x/"}, {Key: "k2", Path: "x"}, {Key: "k3", Path: "x/y"}}}}},
				{Name: "down", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
					Items: []corev1.DownwardAPIVolumeFile{
						{Path: "p/q", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}},
						{Path: "p", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}}},
				{Name: "proj", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
					{},
					{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "conf"}, Items: []corev1.KeyToPath{{Key: "k", Path: "t"}}}},
					{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Items: []corev1.KeyToPath{{Key: "k", Path: "t/u"}}}},
					{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "t/u/token"}},
					{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "d", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}},
					{},
				}}}},
			},
			Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{TopologyKey: "zone"}}}},
			Containers: []corev1.Container{
				{Name: "a", Image: "busybox", Env: []corev1.EnvVar{{Name: "X", Value: "1"}, {Name: "X", Value: "2"}, {Name: "Y", Value: "1"}, {Name: "Y", Value: "a$(Y)"}},
					Ports:     []corev1.ContainerPort{{Name: "http", ContainerPort: 80}, {ContainerPort: 81, HostIP: "10.0.0.1"}},
					Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("100.5")}}},
				{Name: "b", Image: "busybox", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 80}, {ContainerPort: 82, HostPort: 82}, {ContainerPort: 82, HostPort: 82, HostIP: "10.0.0.1"}}},
			},
		},
	}
}

// The expected list is what kube-apiserver v1.37.2 returned for the same
// pod (envtest_compare_test.go compares the two live), with the repeats its
// warning filter drops.
func TestPodWarningsOnCreate(t *testing.T) {
	ctx := context.Background()
	p := warnPod()
	defaults.DefaultPod(p)
	s := NewStrategy(nil)
	s.PrepareForCreate(ctx, p)
	got := strings.Join(s.WarningsOnCreate(ctx, p), "\n")
	want := strings.Join([]string{
		"metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]",
		"spec.topologySpreadConstraints[0].labelSelector: a null labelSelector results in matching no pod",
		"metadata.annotations[scheduler.alpha.kubernetes.io/critical-pod]: non-functional in v1.16+; use the \"priorityClassName\" field instead",
		"volume \"cm\" (ConfigMap \"conf\"): overlapping paths: \"a/b\" with \"a\"",
		"volume \"sec\" (Secret \"s\"): overlapping paths: \"x\" with \"x\"",
		// "x/y" overlaps both earlier items, which are "x" once trimmed; the
		// server's warning filter sends the text once.
		"volume \"sec\" (Secret \"s\"): overlapping paths: \"x/y\" with \"x\"",
		"volume \"sec\" (Secret \"s\"): overlapping paths: \"x/y\" with \"x\"",
		"volume \"down\" (DownwardAPI): overlapping paths: \"p\" with \"p/q\"",
		"volume \"proj\" (Projected) has no sources provided",
		"volume \"proj\" (Projected): overlapping paths: \"t/u\" (Secret \"s\") with \"t\" (ConfigMap \"conf\")",
		"volume \"proj\" (Projected): overlapping paths: \"t/u/token\" (ServiceAccountToken) with \"t\" (ConfigMap \"conf\")",
		"volume \"proj\" (Projected): overlapping paths: \"t/u/token\" (ServiceAccountToken) with \"t/u\" (Secret \"s\")",
		// Each empty source where it stands; the filter sends the text once.
		"volume \"proj\" (Projected) has no sources provided",
		"spec.hostAliases[1].ip: duplicate ip \"10.0.0.1\"",
		"spec.imagePullSecrets[1].name: duplicate name \"s\"",
		"metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: non-functional in v1.27+; use the \"seccompProfile\" field instead",
		"spec.containers[0].resources.limits[memory]: fractional byte value \"100500m\" is invalid, must be an integer",
		"spec.containers[0].resources.requests[memory]: fractional byte value \"100500m\" is invalid, must be an integer",
		"spec.containers[0].env[1]: hides previous definition of \"X\", which may be dropped when using apply",
		"metadata.annotations[container.seccomp.security.alpha.kubernetes.io/b]: non-functional in v1.27+; use the \"seccompProfile\" field instead",
		"spec.containers[0].ports[1]: hostIP set without hostPort: {Name: HostPort:0 ContainerPort:81 Protocol:TCP HostIP:10.0.0.1}",
		"spec.containers[1].ports[0]: duplicate port definition with spec.containers[0].ports[0]",
		"spec.containers[1].ports[2]: dangerously ambiguous port definition with spec.containers[1].ports[1]",
		"spec.containers[1].ports[0]: duplicate port name \"http\" with spec.containers[0].ports[0], services and probes that select ports by name will use spec.containers[0].ports[0]",
		"spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector: a null labelSelector results in matching no pod",
	}, "\n")
	if got != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
	}
}
