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

package benchmarks_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// Every request benchmark works in a namespace of its own on its target's
// shared server.
func namespaceFor(b *testing.B, cs kubernetes.Interface, name string) string {
	b.Helper()
	_, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		b.Fatal(err)
	}
	return name
}

func testPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "bench"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
	}
}

// debugPatch is the strategic merge patch kubectl v1.37 debug sends to
// pods/ephemeralcontainers.
var debugPatch = []byte(`{"spec":{"ephemeralContainers":[{"name":"debugger","image":"busybox","terminationMessagePolicy":"File","resources":{},"securityContext":{"capabilities":{"add":["SYS_PTRACE"]}}}]}}`)

// BenchmarkEphemeralContainerPatch measures one round trip of kubectl debug's
// request. Each iteration patches a fresh pod (created with the timer
// stopped) so that every request does the same work.
func BenchmarkEphemeralContainerPatch(b *testing.B) {
	for _, target := range targets {
		b.Run(target, func(b *testing.B) {
			cs := kubernetes.NewForConfigOrDie(sharedServer(b, target))
			ctx := context.Background()
			ns := namespaceFor(b, cs, "bench-ec")
			pods := cs.CoreV1().Pods(ns)
			prefix := fmt.Sprintf("n%d-", b.N)
			samples := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				name := fmt.Sprintf("%s%d", prefix, i)
				if _, err := pods.Create(ctx, testPod(name), metav1.CreateOptions{}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				t0 := time.Now()
				if _, err := pods.Patch(ctx, name, types.StrategicMergePatchType, debugPatch, metav1.PatchOptions{}, "ephemeralcontainers"); err != nil {
					b.Fatal(err)
				}
				samples = append(samples, time.Since(t0))
			}
			b.StopTimer()
			reportLatencies(b, "EC patch (kubectl debug)", target, samples)
		})
	}
}

// BenchmarkPodGet measures a GET of one pod.
func BenchmarkPodGet(b *testing.B) {
	for _, target := range targets {
		b.Run(target, func(b *testing.B) {
			cs := kubernetes.NewForConfigOrDie(sharedServer(b, target))
			ctx := context.Background()
			pods := cs.CoreV1().Pods(namespaceFor(b, cs, "bench-get"))
			if _, err := pods.Create(ctx, testPod("web"), metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				b.Fatal(err)
			}
			samples := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, err := pods.Get(ctx, "web", metav1.GetOptions{}); err != nil {
					b.Fatal(err)
				}
				samples = append(samples, time.Since(t0))
			}
			b.StopTimer()
			reportLatencies(b, "pod GET", target, samples)
		})
	}
}

const listSize = 1000

// BenchmarkPodList measures a LIST of a namespace holding 1,000 pods
// (created once, with the timer stopped).
func BenchmarkPodList(b *testing.B) {
	for _, target := range targets {
		b.Run(target, func(b *testing.B) {
			cs := kubernetes.NewForConfigOrDie(sharedServer(b, target))
			ctx := context.Background()
			pods := cs.CoreV1().Pods(namespaceFor(b, cs, "bench-list"))
			existing, err := pods.List(ctx, metav1.ListOptions{})
			if err != nil {
				b.Fatal(err)
			}
			for i := len(existing.Items); i < listSize; i++ {
				if _, err := pods.Create(ctx, testPod(fmt.Sprintf("pod-%04d", i)), metav1.CreateOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			samples := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				list, err := pods.List(ctx, metav1.ListOptions{})
				if err != nil {
					b.Fatal(err)
				}
				samples = append(samples, time.Since(t0))
				if len(list.Items) != listSize {
					b.Fatalf("listed %d pods, want %d", len(list.Items), listSize)
				}
			}
			b.StopTimer()
			reportLatencies(b, "LIST of 1,000 pods", target, samples)
		})
	}
}

const watchers = 100

// BenchmarkWatchFanOut measures one event reaching 100 watchers: each
// iteration creates a pod and ends when every watcher has received its
// ADDED event.
func BenchmarkWatchFanOut(b *testing.B) {
	for _, target := range targets {
		b.Run(target, func(b *testing.B) {
			cs := kubernetes.NewForConfigOrDie(sharedServer(b, target))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ns := namespaceFor(b, cs, fmt.Sprintf("bench-watch-%d", b.N))
			pods := cs.CoreV1().Pods(ns)
			list, err := pods.List(ctx, metav1.ListOptions{})
			if err != nil {
				b.Fatal(err)
			}
			// Each watcher passes on the names of the pods it sees added.
			seen := make([]chan string, watchers)
			var wg sync.WaitGroup
			for w := range seen {
				seen[w] = make(chan string, 16)
				wi, err := pods.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
				if err != nil {
					b.Fatal(err)
				}
				wg.Add(1)
				go func(out chan<- string, wi watch.Interface) {
					defer wg.Done()
					defer wi.Stop()
					for ev := range wi.ResultChan() {
						if ev.Type != watch.Added {
							continue
						}
						select {
						case out <- ev.Object.(*corev1.Pod).Name:
						case <-ctx.Done():
							return
						}
					}
				}(seen[w], wi)
			}
			samples := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				name := fmt.Sprintf("pod-%d", i)
				t0 := time.Now()
				if _, err := pods.Create(ctx, testPod(name), metav1.CreateOptions{}); err != nil {
					b.Fatal(err)
				}
				for _, ch := range seen {
					select {
					case got := <-ch:
						if got != name {
							b.Fatalf("watcher saw %s, want %s", got, name)
						}
					case <-time.After(30 * time.Second):
						b.Fatalf("a watcher did not see %s within 30s", name)
					}
				}
				samples = append(samples, time.Since(t0))
			}
			b.StopTimer()
			cancel()
			wg.Wait()
			reportLatencies(b, fmt.Sprintf("watch: 1 event to %d watchers", watchers), target, samples)
		})
	}
}
