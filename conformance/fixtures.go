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

package conformance

import (
	"os"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// testImage is the EC/container image. Kubelet-tier specs need it to be
// pullable (or preloaded) on the cluster: EPHEMERA_CONFORMANCE_IMAGE.
func testImage() string {
	if img := os.Getenv("EPHEMERA_CONFORMANCE_IMAGE"); img != "" {
		return img
	}
	return "busybox:1.36"
}

const podName = "p1"

// basePod is the pod every scenario starts from: one container "app", one
// init container "init", one emptyDir volume "vol".
func basePod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "conformance"}},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "init", Image: testImage(), Command: []string{"true"}}},
			Containers:     []corev1.Container{{Name: "app", Image: testImage(), Command: []string{"sleep", "3600"}}},
			Volumes:        []corev1.Volume{{Name: "vol", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
		},
	}
}

// keepOffNodes makes an API-tier pod stay exactly as its scenario writes it
// on a cluster with a scheduler and kubelets (kind, a real cluster): a
// scheduler would bind it and a kubelet would write its status, changing its
// resourceVersion under the scenario (409s, extra watch events), and the
// ServiceAccount admission plugin, which envtest turns off, would add a token
// volume and mounts that shift the lines of upstream's diffs. So the pod names
// a scheduler that does not exist and opts out of the token. Neither field
// takes part in any scenario's expectations, and the line numbers of the
// captured diffs do not change (the values sit on lines of their own).
func keepOffNodes(p *corev1.Pod) {
	p.Spec.SchedulerName = "ephemera-conformance-unscheduled"
	p.Spec.AutomountServiceAccountToken = ptr.To(false)
}

// CreatePod creates an API-tier pod: basePod(name), kept off nodes, after
// applying mutators; it records the answer.
func (f *F) CreatePod(name string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	GinkgoHelper()
	p := basePod(name)
	keepOffNodes(p)
	for _, m := range mutate {
		m(p)
	}
	out, err := f.Client.CoreV1().Pods(f.NS).Create(f.Ctx, p, metav1.CreateOptions{})
	f.Record("create pod "+name, out, err)
	Expect(err).NotTo(HaveOccurred())
	return out
}

// EC builds an ephemeral container as a JSON map: name, image and the given
// extra key/value pairs (maps keep "empty but set" values like "ports": []).
func EC(name string, kv ...any) map[string]any {
	m := map[string]any{"name": name, "image": testImage()}
	if name == "" {
		delete(m, "name")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(m, k)
			continue
		}
		m[k] = kv[i+1]
	}
	return m
}

// ecs returns the ECs of a pod by name for assertions.
func ecNames(p *corev1.Pod) []string {
	var n []string
	for _, e := range p.Spec.EphemeralContainers {
		n = append(n, e.Name)
	}
	return n
}

func fieldEC(i int, rest string) string {
	s := "spec.ephemeralContainers[" + strconv.Itoa(i) + "]"
	if rest != "" {
		s += "." + rest
	}
	return s
}
