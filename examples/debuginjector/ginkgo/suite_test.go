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

// Package ginkgo_test tests the debug injector as a Ginkgo suite: each spec
// gets its own Ephemera server in cluster mode (pods run, ephemeral
// containers start), with the request log, from ephemeratest.Start(GinkgoT()).
package ginkgo_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ephemera-dev/ephemera/ephemeratest"
	"github.com/ephemera-dev/ephemera/examples/debuginjector"
	"github.com/ephemera-dev/ephemera/faults"
	"github.com/ephemera-dev/ephemera/requestlog"
)

func TestDebugInjector(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "debug injector")
}

var _ = Describe("the debug injector", func() {
	var (
		srv *ephemeratest.Server
		ctx context.Context
	)
	web := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
	}
	debugger := corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "debugger", Image: "busybox:1.36", Stdin: true, TTY: true}}

	BeforeEach(func() {
		srv = ephemeratest.Start(GinkgoT(), ephemeratest.WithCluster(), ephemeratest.WithObjects(web), ephemeratest.WithRequestLog())
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
		DeferCleanup(cancel)
		Expect(srv.WaitForPodRunning(ctx, "default", "web")).Error().NotTo(HaveOccurred())
	})

	It("injects a debugger that runs", func() {
		_, err := debuginjector.Inject(ctx, srv.Clientset, "default", "web", debugger)
		Expect(err).NotTo(HaveOccurred())
		pod, err := debuginjector.WaitRunning(ctx, srv.Clientset, "default", "web", "debugger")
		Expect(err).NotTo(HaveOccurred())
		Expect(pod.Status.EphemeralContainerStatuses).To(ContainElement(HaveField("Name", "debugger")))
		Expect(srv.RequestLog().Requests(requestlog.Verb("patch"), requestlog.Resource("pods/ephemeralcontainers"), requestlog.Code(200))).To(HaveLen(1))
	})

	It("keeps waiting when its watch expires (410) and relists", func() {
		Expect(srv.Faults).To(BeNil(), "no fault set without WithFaults")
		// A server of this spec's own, with a fault: the first watch of the
		// pod by name (the waits watch with metadata.name=web; the
		// simulated kubelet watches its node's pods) expires with 410 after
		// its first event, as a watch on a compacted revision does.
		srv = ephemeratest.Start(GinkgoT(), ephemeratest.WithCluster(), ephemeratest.WithObjects(web), ephemeratest.WithRequestLog(),
			ephemeratest.WithFaults(faults.Rule{Name: "compacted", Times: 1, WatchExpired: &faults.WatchExpiredFault{AfterEvents: 1},
				Match: faults.Match{Verbs: []string{"watch"}, Resources: []string{"pods"}, Names: []string{"web"}}}))
		Expect(srv.WaitForPodRunning(ctx, "default", "web")).Error().NotTo(HaveOccurred())
		_, err := debuginjector.Inject(ctx, srv.Clientset, "default", "web", debugger)
		Expect(err).NotTo(HaveOccurred())

		_, err = debuginjector.WaitRunning(ctx, srv.Clientset, "default", "web", "debugger")
		Expect(err).NotTo(HaveOccurred())

		// The first watch expired; the waits (client-go reflectors) started
		// new ones.
		rule, _ := srv.Faults.Get("compacted")
		Expect(rule.Fired).To(Equal(1))
		started := srv.RequestLog().Events(requestlog.Verb("watch"), requestlog.Resource("pods"), requestlog.Name("web"),
			requestlog.Stage("ResponseStarted"))
		Expect(len(started)).To(BeNumerically(">=", 2))
		Expect(started[0].Annotations).To(HaveKeyWithValue(faults.AnnotationKind, "WatchExpired"))
	})
})
