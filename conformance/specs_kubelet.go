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
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Kubelet tier: needs pods to actually run (kind or a real cluster). Skipped
// with "target has no kubelet" on envtest and Ephemera. Mirrors the upstream
// e2e test/e2e/common/node/ephemeral_containers.go.

// runningPod creates a pod whose single container sleeps, with a shared PID
// namespace off, and waits until it runs. Pod creation is retried while the
// namespace's default ServiceAccount does not exist yet (fresh clusters).
func (f *F) runningPod() *corev1.Pod {
	GinkgoHelper()
	p := basePod(podName)
	p.Spec.InitContainers = nil
	p.Spec.TerminationGracePeriodSeconds = ptrInt64(1)
	Eventually(func() error {
		_, err := f.Client.CoreV1().Pods(f.NS).Create(f.Ctx, p, metav1.CreateOptions{})
		return err
	}).WithTimeout(30 * time.Second).WithPolling(500 * time.Millisecond).Should(Succeed())
	var out *corev1.Pod
	Eventually(func(g Gomega) {
		var err error
		out, err = f.Client.CoreV1().Pods(f.NS).Get(f.Ctx, podName, metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out.Status.Phase).To(Equal(corev1.PodRunning))
	}).WithTimeout(2 * time.Minute).WithPolling(500 * time.Millisecond).Should(Succeed())
	return out
}

func ptrInt64(v int64) *int64 { return &v }

// ecStatus waits until the EC has a status matching match and returns it.
func (f *F) ecStatus(name string, match func(g Gomega, s corev1.ContainerStatus)) corev1.ContainerStatus {
	GinkgoHelper()
	var st corev1.ContainerStatus
	Eventually(func(g Gomega) {
		p, err := f.Client.CoreV1().Pods(f.NS).Get(f.Ctx, podName, metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		var found bool
		for _, s := range p.Status.EphemeralContainerStatuses {
			if s.Name == name {
				st, found = s, true
			}
		}
		g.Expect(found).To(BeTrue(), "no status for %s yet", name)
		match(g, st)
	}).WithTimeout(2 * time.Minute).WithPolling(500 * time.Millisecond).Should(Succeed())
	return st
}

func (f *F) logs(container string) string {
	GinkgoHelper()
	raw, err := f.Client.CoreV1().Pods(f.NS).GetLogs(podName, &corev1.PodLogOptions{Container: container}).DoRaw(f.Ctx)
	Expect(err).NotTo(HaveOccurred())
	return string(raw)
}

var _ = Describe("kubelet", func() {
	Kubelet("kubelet/EC reaches state.running", func(f *F) {
		f.runningPod()
		f.AddEC(podName, EC("dbg", "command", []string{"sleep", "3600"})).OK()
		st := f.ecStatus("dbg", func(g Gomega, s corev1.ContainerStatus) { g.Expect(s.State.Running).NotTo(BeNil()) })
		Expect(st.Image).NotTo(BeEmpty())
	})

	Kubelet("kubelet/EC logs are readable", func(f *F) {
		f.runningPod()
		f.AddEC(podName, EC("dbg", "command", []string{"sh", "-c", "echo hello-from-ec; sleep 3600"})).OK()
		f.ecStatus("dbg", func(g Gomega, s corev1.ContainerStatus) { g.Expect(s.State.Running).NotTo(BeNil()) })
		Eventually(func() string { return f.logs("dbg") }).WithTimeout(30 * time.Second).WithPolling(500 * time.Millisecond).
			Should(ContainSubstring("hello-from-ec"))
	})

	Kubelet("kubelet/targetContainerName sees the target's processes", func(f *F) {
		f.runningPod()
		// The target runs "sleep 3600"; the EC itself never mentions that
		// string, so seeing it in ps output proves the shared PID namespace.
		f.AddEC(podName, EC("dbg", "targetContainerName", "app", "command", []string{"sh", "-c", "ps -o args; exec sleep 3599"})).OK()
		f.ecStatus("dbg", func(g Gomega, s corev1.ContainerStatus) { g.Expect(s.State.Running).NotTo(BeNil()) })
		Eventually(func() string { return f.logs("dbg") }).WithTimeout(30 * time.Second).WithPolling(500 * time.Millisecond).
			Should(ContainSubstring("sleep 3600"))
	})

	Kubelet("kubelet/without targetContainerName the target's processes are not visible", func(f *F) {
		f.runningPod()
		f.AddEC(podName, EC("dbg", "command", []string{"sh", "-c", "ps -o args; echo PS-DONE; exec sleep 3599"})).OK()
		f.ecStatus("dbg", func(g Gomega, s corev1.ContainerStatus) { g.Expect(s.State.Running).NotTo(BeNil()) })
		Eventually(func() string { return f.logs("dbg") }).WithTimeout(30 * time.Second).WithPolling(500 * time.Millisecond).
			Should(ContainSubstring("PS-DONE"))
		Expect(f.logs("dbg")).NotTo(ContainSubstring("sleep 3600"))
	})

	Kubelet("kubelet/an exited EC is terminated and never restarted", func(f *F) {
		f.runningPod()
		f.AddEC(podName, EC("dbg", "command", []string{"sh", "-c", "exit 3"})).OK()
		st := f.ecStatus("dbg", func(g Gomega, s corev1.ContainerStatus) { g.Expect(s.State.Terminated).NotTo(BeNil()) })
		Expect(st.State.Terminated.ExitCode).To(BeEquivalentTo(3))
		Consistently(func(g Gomega) {
			p, err := f.Client.CoreV1().Pods(f.NS).Get(f.Ctx, podName, metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			for _, s := range p.Status.EphemeralContainerStatuses {
				if s.Name == "dbg" {
					g.Expect(s.RestartCount).To(BeZero())
					g.Expect(s.State.Terminated).NotTo(BeNil())
				}
			}
		}).WithTimeout(5 * time.Second).WithPolling(time.Second).Should(Succeed())
	})

	Kubelet("kubelet/an unpullable image waits with the kubelet's reason", func(f *F) {
		f.runningPod()
		f.AddEC(podName, EC("dbg", "image", "ephemera.invalid/does-not-exist:v0", "imagePullPolicy", "Always")).OK()
		st := f.ecStatus("dbg", func(g Gomega, s corev1.ContainerStatus) {
			g.Expect(s.State.Waiting).NotTo(BeNil())
			g.Expect(s.State.Waiting.Reason).To(BeElementOf("ErrImagePull", "ImagePullBackOff"))
		})
		Expect(st.State.Waiting.Message).NotTo(BeEmpty())
	})
})

var _ = Describe("kubelet: statuses and events", func() {
	Kubelet("kubelet/a running EC's status has the kubelet's fields", func(f *F) {
		f.runningPod()
		f.AddEC(podName, EC("dbg", "command", []string{"sleep", "3600"})).OK()
		st := f.ecStatus("dbg", func(g Gomega, s corev1.ContainerStatus) { g.Expect(s.State.Running).NotTo(BeNil()) })
		Expect(st.ContainerID).To(MatchRegexp(`^containerd://[0-9a-f]{64}$`))
		Expect(st.Ready).To(BeFalse(), "ephemeral containers are never ready")
		Expect(st.RestartCount).To(BeZero())
		// Only the prober sets started, and it never probes ephemeral
		// containers (pkg/kubelet/prober/prober_manager.go).
		Expect(st.Started).To(BeNil())
		// convertToAPIContainerStatuses: the resources the runtime applied
		// (none asked for) and the user the container runs as (root).
		Expect(st.Resources).To(Equal(&corev1.ResourceRequirements{}))
		Expect(st.AllocatedResources).To(BeNil())
		Expect(st.User).To(Equal(&corev1.ContainerUser{Linux: &corev1.LinuxContainerUser{UID: 0, GID: 0, SupplementalGroups: []int64{0}}}))
		Expect(st.VolumeMounts).To(BeEmpty())
	})

	Kubelet("kubelet/EC events use the kubelet's reasons, source and field path", func(f *F) {
		f.runningPod()
		f.AddEC(podName, EC("dbg", "command", []string{"sleep", "3600"})).OK()
		f.ecStatus("dbg", func(g Gomega, s corev1.ContainerStatus) { g.Expect(s.State.Running).NotTo(BeNil()) })
		Eventually(func(g Gomega) {
			evs, err := f.Client.CoreV1().Events(f.NS).List(f.Ctx, metav1.ListOptions{FieldSelector: "involvedObject.fieldPath=spec.ephemeralContainers{dbg}"})
			g.Expect(err).NotTo(HaveOccurred())
			messages := map[string]string{}
			for _, e := range evs.Items {
				g.Expect(e.Source.Component).To(Equal("kubelet"))
				messages[e.Reason] = e.Message
			}
			// pkg/kubelet/kuberuntime/kuberuntime_container.go (v1.37.2).
			g.Expect(messages).To(HaveKeyWithValue("Created", "Container created"))
			g.Expect(messages).To(HaveKeyWithValue("Started", "Container started"))
		}).WithTimeout(time.Minute).WithPolling(500 * time.Millisecond).Should(Succeed())
	})
})
