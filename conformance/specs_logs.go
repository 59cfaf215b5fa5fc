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
	"errors"
	"io"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
)

// Kubelet tier: pods/log with each option, as the kubelet reads a
// container's log (pkg/kubelet/kuberuntime/logs via k8s.io/cri-client).

// logPod runs "app", which logs five lines, then after five seconds "late".
func (f *F) logPod() {
	GinkgoHelper()
	p := basePod(podName)
	p.Spec.InitContainers = nil
	p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1)
	p.Spec.Containers[0].Command = []string{"sh", "-c", "for i in 1 2 3 4 5; do echo line $i; done; sleep 5; echo late; exec sleep 3600"}
	f.createRunning(p)
	f.logUntil("app", "late")
}

// getLogs reads pods/log with options and records the answer: the log,
// or the error's message.
func (f *F) getLogs(step string, o *corev1.PodLogOptions) (string, error) {
	GinkgoHelper()
	q := url.Values{}
	params, err := scheme.ParameterCodec.EncodeParameters(o, corev1.SchemeGroupVersion)
	Expect(err).NotTo(HaveOccurred())
	for k, v := range params {
		q[k] = v
	}
	res := f.Do(Req{Method: "GET", Path: f.podPath(podName) + "/log?" + q.Encode(), Accept: "application/json", NoRecord: true})
	f.Note(step, map[string]any{"code": res.Code, "body": normOut(string(res.Body))})
	if res.Code >= 300 {
		if res.Status != nil {
			return "", errors.New(res.Status.Message)
		}
		return "", errors.New(string(res.Body))
	}
	return string(res.Body), nil
}

var _ = Describe("kubelet: logs", func() {
	Kubelet("kubelet/a looping container's log grows every 2 s", func(f *F) {
		p := basePod(podName)
		p.Spec.InitContainers = nil
		p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1)
		p.Spec.Containers[0].Command = []string{"sh", "-c", "while true; do echo polo; sleep 2; done"}
		f.createRunning(p)
		first := f.logUntil("app", "polo\npolo\n")
		n := strings.Count(first, "polo")
		Eventually(func() int { return strings.Count(f.logs("app"), "polo") }).WithTimeout(10 * time.Second).WithPolling(500 * time.Millisecond).
			Should(BeNumerically(">", n))
		out, _ := f.getLogs("logs --tail=2", &corev1.PodLogOptions{TailLines: ptr.To[int64](2)})
		Expect(out).To(Equal("polo\npolo\n"))
		// The loop's sleep is a child of the shell, exec'd (ps shows its
		// own command line).
		r := f.execIn(podName, "app", "ps", "-o", "ppid,args")
		f.noteStream("ps", r)
		Expect(r.Stdout).To(MatchRegexp(`(?m)^ +1 sleep 2$`))
	})

	Kubelet("kubelet/logs with tailLines, limitBytes and timestamps", func(f *F) {
		f.logPod()
		out, err := f.getLogs("tailLines=2", &corev1.PodLogOptions{TailLines: ptr.To[int64](2)})
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal("line 5\nlate\n"))
		out, _ = f.getLogs("tailLines=0", &corev1.PodLogOptions{TailLines: ptr.To[int64](0)})
		Expect(out).To(BeEmpty())
		out, _ = f.getLogs("limitBytes=9", &corev1.PodLogOptions{LimitBytes: ptr.To[int64](9)})
		Expect(out).To(Equal("line 1\nli"))
		out, _ = f.getLogs("timestamps, tailLines=1", &corev1.PodLogOptions{Timestamps: true, TailLines: ptr.To[int64](1)})
		// The kubelet's fixed-width RFC 3339 (cri-client RFC3339NanoFixed).
		Expect(out).To(MatchRegexp(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z late\n$`))
		out, _ = f.getLogs("timestamps, limitBytes=10", &corev1.PodLogOptions{Timestamps: true, LimitBytes: ptr.To[int64](10)})
		Expect(out).To(MatchRegexp(`^\d{4}-\d\d-\d\d$`))
	})

	Kubelet("kubelet/logs with sinceSeconds and sinceTime", func(f *F) {
		f.logPod()
		out, _ := f.getLogs("sinceSeconds=3", &corev1.PodLogOptions{SinceSeconds: ptr.To[int64](3)})
		Expect(out).To(Equal("late\n"))
		stamped, _ := f.getLogs("timestamps", &corev1.PodLogOptions{Timestamps: true})
		lines := strings.Split(strings.TrimSpace(stamped), "\n")
		late, err := time.Parse(time.RFC3339Nano, strings.Fields(lines[len(lines)-1])[0])
		Expect(err).NotTo(HaveOccurred())
		// sinceTime travels with a second's precision (LogLocation formats
		// it as RFC 3339): from the second "late" was written in.
		since := metav1.NewTime(late.Truncate(time.Second))
		out, _ = f.getLogs("sinceTime", &corev1.PodLogOptions{SinceTime: &since})
		Expect(out).To(Equal("late\n"))
	})

	Kubelet("kubelet/logs follow until the container exits", func(f *F) {
		f.runningPod()
		f.AddEC(podName, EC("dbg", "command", []string{"sh", "-c", "echo a; sleep 2; echo b; exit 2"})).OK()
		f.waitState(podName, "dbg", func(s corev1.ContainerStatus) bool { return s.State.Waiting == nil })
		rc, err := f.Client.CoreV1().Pods(f.NS).GetLogs(podName, &corev1.PodLogOptions{Container: "dbg", Follow: true}).Stream(f.Ctx)
		Expect(err).NotTo(HaveOccurred())
		raw, err := io.ReadAll(rc)
		rc.Close()
		Expect(err).NotTo(HaveOccurred())
		f.Note("followed", string(raw))
		Expect(string(raw)).To(Equal("a\nb\n"))
		st := f.waitTerminated(podName, "dbg")
		Expect(st.State.Terminated.ExitCode).To(BeEquivalentTo(2))
	})

	Kubelet("kubelet/logs previous and container errors are the kubelet's and the API server's", func(f *F) {
		p := basePod(podName)
		p.Spec.InitContainers = nil
		p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1)
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "side", Image: testImage(), Command: []string{"sleep", "3599"}})
		f.createRunning(p)
		_, err := f.getLogs("previous", &corev1.PodLogOptions{Container: "app", Previous: true})
		Expect(err).To(MatchError(`previous terminated container "app" in pod "p1" not found`))
		_, err = f.getLogs("no container", &corev1.PodLogOptions{})
		Expect(err).To(MatchError("a container name must be specified for pod p1, choose one of: [app side]"))
		out, err := f.getLogs("container side", &corev1.PodLogOptions{Container: "side"})
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(BeEmpty())
	})

	Kubelet("kubelet/logs of a waiting container and of a pod without a node", func(f *F) {
		f.runningPod()
		f.AddEC(podName, EC("dbg", "image", "ephemera.invalid/does-not-exist:v0", "imagePullPolicy", "Always")).OK()
		f.waitState(podName, "dbg", func(s corev1.ContainerStatus) bool {
			return s.State.Waiting != nil && s.State.Waiting.Reason == "ImagePullBackOff"
		})
		_, err := f.getLogs("waiting", &corev1.PodLogOptions{Container: "dbg"})
		Expect(err).To(MatchError(`container "dbg" in pod "p1" is waiting to start: trying and failing to pull image`))
		gated := basePod("gated")
		gated.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "ephemera.dev/hold"}}
		Eventually(func() error {
			_, err := f.Client.CoreV1().Pods(f.NS).Create(f.Ctx, gated, metav1.CreateOptions{})
			return err
		}).WithTimeout(30 * time.Second).Should(Succeed())
		res := f.Do(Req{Method: "GET", Path: f.podPath("gated") + "/log?container=app"})
		Expect(res.Code).To(Equal(204))
	})
})
