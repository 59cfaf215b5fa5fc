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
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

// Defaulting of ephemeral containers: SetDefaults_EphemeralContainer and
// SetDefaults_Container in k8s.io/kubernetes pkg/apis/core/v1/defaults.go.
var _ = Describe("ephemeral container defaulting", func() {
	pullPolicies := []struct{ image, want string }{
		{"busybox", "Always"},
		{"busybox:latest", "Always"},
		{"busybox:1.36", "IfNotPresent"},
		{"busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000", "IfNotPresent"},
		{"busybox:latest@sha256:0000000000000000000000000000000000000000000000000000000000000000", "Always"},
		{"BusyBox", "IfNotPresent"},
		{"registry:5000/x", "Always"},
		{"registry:5000/x:v1", "IfNotPresent"},
	}
	for _, pp := range pullPolicies {
		API("defaulting/imagePullPolicy for "+pp.image, func(f *F) {
			f.CreatePod(podName)
			out := f.AddEC(podName, EC("dbg", "image", pp.image)).OK()
			Expect(string(out.Spec.EphemeralContainers[0].ImagePullPolicy)).To(Equal(pp.want))
		})
	}

	API("defaulting/explicit imagePullPolicy is kept", func(f *F) {
		f.CreatePod(podName)
		out := f.AddEC(podName, EC("dbg", "image", "busybox", "imagePullPolicy", "Never")).OK()
		Expect(out.Spec.EphemeralContainers[0].ImagePullPolicy).To(Equal(corev1.PullNever))
	})

	API("defaulting/terminationMessagePath, policy and empty resources", func(f *F) {
		f.CreatePod(podName)
		r := f.AddEC(podName, map[string]any{"name": "dbg", "image": "busybox"})
		r.OK()
		var raw struct {
			Spec struct {
				EphemeralContainers []json.RawMessage `json:"ephemeralContainers"`
			} `json:"spec"`
		}
		Expect(json.Unmarshal(r.Body, &raw)).To(Succeed())
		Expect(raw.Spec.EphemeralContainers).To(HaveLen(1))
		Expect(string(raw.Spec.EphemeralContainers[0])).To(Equal(
			`{"name":"dbg","image":"busybox","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Always"}`))
	})

	API("defaulting/explicit terminationMessagePath and policy are kept", func(f *F) {
		f.CreatePod(podName)
		out := f.AddEC(podName, EC("dbg", "terminationMessagePath", "/tmp/msg", "terminationMessagePolicy", "FallbackToLogsOnError")).OK()
		Expect(out.Spec.EphemeralContainers[0].TerminationMessagePath).To(Equal("/tmp/msg"))
		Expect(out.Spec.EphemeralContainers[0].TerminationMessagePolicy).To(Equal(corev1.TerminationMessageFallbackToLogsOnError))
	})

	API("defaulting/env fieldRef apiVersion defaults to v1", func(f *F) {
		f.CreatePod(podName)
		out := f.AddEC(podName, EC("dbg", "env", []any{map[string]any{"name": "N", "valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": "metadata.name"}}}})).OK()
		Expect(out.Spec.EphemeralContainers[0].Env[0].ValueFrom.FieldRef.APIVersion).To(Equal("v1"))
	})

	API("defaulting/securityContext is not defaulted", func(f *F) {
		f.CreatePod(podName)
		out := f.AddEC(podName, EC("dbg", "securityContext", map[string]any{})).OK()
		Expect(out.Spec.EphemeralContainers[0].SecurityContext).To(Equal(&corev1.SecurityContext{}))
	})
})

// Watch and informers (k8s.io/apiserver watch handlers; client-go reflector).
var _ = Describe("watch", func() {
	API("watch/a watcher sees MODIFIED with the new EC", func(f *F) {
		p := f.CreatePod(podName)
		ctx, cancel := context.WithTimeout(f.Ctx, 20*time.Second)
		defer cancel()
		w, err := f.Client.CoreV1().Pods(f.NS).Watch(ctx, metav1.ListOptions{ResourceVersion: p.ResourceVersion, FieldSelector: "metadata.name=" + podName})
		Expect(err).NotTo(HaveOccurred())
		defer w.Stop()
		f.AddEC(podName, EC("dbg")).OK()
		var ev watch.Event
		Eventually(w.ResultChan()).WithTimeout(10 * time.Second).Should(Receive(&ev))
		Expect(ev.Type).To(Equal(watch.Modified))
		got := ev.Object.(*corev1.Pod)
		Expect(ecNames(got)).To(Equal([]string{"dbg"}))
		Expect(got.Generation).To(BeEquivalentTo(2))
		f.Record("watch event", map[string]any{"type": ev.Type, "object": got}, nil)
	})

	API("watch/watch-list with sendInitialEvents ends with a bookmark", func(f *F) {
		f.CreatePod(podName)
		f.AddEC(podName, EC("dbg")).OK()
		ctx, cancel := context.WithTimeout(f.Ctx, 20*time.Second)
		defer cancel()
		w, err := f.Client.CoreV1().Pods(f.NS).Watch(ctx, metav1.ListOptions{
			SendInitialEvents: ptr.To(true), ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan, AllowWatchBookmarks: true,
			FieldSelector: "metadata.name=" + podName,
		})
		Expect(err).NotTo(HaveOccurred())
		defer w.Stop()
		var ev watch.Event
		Eventually(w.ResultChan()).WithTimeout(10 * time.Second).Should(Receive(&ev))
		Expect(ev.Type).To(Equal(watch.Added))
		Expect(ecNames(ev.Object.(*corev1.Pod))).To(Equal([]string{"dbg"}))
		Eventually(w.ResultChan()).WithTimeout(10 * time.Second).Should(Receive(&ev))
		Expect(ev.Type).To(Equal(watch.Bookmark))
		Expect(ev.Object.(*corev1.Pod).Annotations).To(HaveKeyWithValue(metav1.InitialEventsAnnotationKey, "true"))
		f.Note("watch-list", []string{string(watch.Added), string(watch.Bookmark)})
	})

	API("watch/an informer (watch-list) sees the EC being added", func(f *F) {
		f.CreatePod(podName)
		ctx, cancel := context.WithCancel(f.Ctx)
		defer cancel()
		factory := informers.NewSharedInformerFactoryWithOptions(f.Client, 0, informers.WithNamespace(f.NS),
			informers.WithTweakListOptions(func(o *metav1.ListOptions) {
				o.FieldSelector = fields.OneTermEqualSelector("metadata.name", podName).String()
			}))
		inf := factory.Core().V1().Pods().Informer()
		seen := make(chan []string, 10)
		_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			UpdateFunc: func(_, obj any) { seen <- ecNames(obj.(*corev1.Pod)) },
		})
		Expect(err).NotTo(HaveOccurred())
		factory.Start(ctx.Done())
		// Shutdown waits for the informers, which stop only once ctx is done.
		defer func() { cancel(); factory.Shutdown() }()
		// Polled more often than cache.WaitForCacheSync's 100 ms.
		Eventually(inf.HasSynced).WithTimeout(20 * time.Second).WithPolling(5 * time.Millisecond).Should(BeTrue())
		Expect(inf.GetStore().ListKeys()).To(Equal([]string{f.NS + "/" + podName}))
		f.AddEC(podName, EC("dbg")).OK()
		Eventually(seen).WithTimeout(10 * time.Second).Should(Receive(Equal([]string{"dbg"})))
	})
})

// conflictBackoff allows enough retries for eight writers racing on one pod
// (retry.DefaultRetry's 5 steps can run out under that contention).
var conflictBackoff = wait.Backoff{Steps: 100, Duration: 5 * time.Millisecond, Factor: 1.1, Jitter: 0.5, Cap: 200 * time.Millisecond}

// Concurrency: optimistic concurrency on the subresource.
var _ = Describe("concurrency", func() {
	API("concurrency/eight clients add ECs with RetryOnConflict", func(f *F) {
		const n = 8
		f.CreatePod(podName)
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer GinkgoRecover()
				defer wg.Done()
				c, err := kubernetes.NewForConfig(f.Config)
				if err != nil {
					errs[i] = err
					return
				}
				errs[i] = retry.RetryOnConflict(conflictBackoff, func() error {
					p, err := c.CoreV1().Pods(f.NS).Get(f.Ctx, podName, metav1.GetOptions{})
					if err != nil {
						return err
					}
					p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{
						EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: fmt.Sprintf("c%d", i), Image: testImage()}})
					_, err = c.CoreV1().Pods(f.NS).UpdateEphemeralContainers(f.Ctx, podName, p, metav1.UpdateOptions{})
					return err
				})
			}(i)
		}
		wg.Wait()
		for i := range errs {
			Expect(errs[i]).NotTo(HaveOccurred(), "client %d", i)
		}
		p := f.GetPod(podName).OK()
		names := ecNames(p)
		sort.Strings(names)
		Expect(names).To(Equal([]string{"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"}))
		Expect(p.Generation).To(BeEquivalentTo(1 + n))
		// The order of ECs depends on scheduling; record only sorted facts.
		f.rec.Observations = f.rec.Observations[:1]
		f.Note("final", map[string]any{"names": names, "generation": p.Generation})
	})
})
