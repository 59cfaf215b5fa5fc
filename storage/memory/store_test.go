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

package memory

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/apis/example"
	examplev1 "k8s.io/apiserver/pkg/apis/example/v1"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
)

func podKey(ns, name string) string { return "/pods/" + ns + "/" + name }

func mustCreate(t testing.TB, ctx context.Context, s storage.Interface, ns, name string) *example.Pod {
	t.Helper()
	out := &example.Pod{}
	in := &example.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if err := s.Create(ctx, podKey(ns, name), in, out, 0); err != nil {
		t.Fatalf("Create: %v", err)
	}
	return out
}

func nextEvent(t *testing.T, w watch.Interface) watch.Event {
	t.Helper()
	select {
	case e, ok := <-w.ResultChan():
		if !ok {
			t.Fatalf("watch closed unexpectedly")
		}
		return e
	case <-time.After(10 * time.Second):
		t.Fatalf("no watch event within 10s")
	}
	return watch.Event{}
}

// Many concurrent GuaranteedUpdates of one key: every increment must land
// exactly once (no lost update), and the final resourceVersion must account
// for every write. Run with -race.
func TestConcurrentGuaranteedUpdateLosesNothing(t *testing.T) {
	ctx, s, b := testSetup(t)
	mustCreate(t, ctx, s, "ns", "counter")
	startRev := b.Revision()
	const workers, perWorker = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				err := s.GuaranteedUpdate(ctx, podKey("ns", "counter"), &example.Pod{}, false, nil,
					storage.SimpleUpdate(func(obj runtime.Object) (runtime.Object, error) {
						pod := obj.(*example.Pod)
						n, _ := strconv.Atoi(pod.Labels["n"])
						if pod.Labels == nil {
							pod.Labels = map[string]string{}
						}
						pod.Labels["n"] = strconv.Itoa(n + 1)
						return pod, nil
					}), nil)
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("GuaranteedUpdate: %v", err)
	}
	got := &example.Pod{}
	if err := s.Get(ctx, podKey("ns", "counter"), storage.GetOptions{}, got); err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa(workers * perWorker); got.Labels["n"] != want {
		t.Fatalf("counter = %s, want %s (updates lost)", got.Labels["n"], want)
	}
	if want := strconv.FormatInt(startRev+workers*perWorker, 10); got.ResourceVersion != want {
		t.Fatalf("resourceVersion = %s, want %s", got.ResourceVersion, want)
	}
}

// Objects handed out are always freshly decoded: mutating them changes
// nothing stored.
func TestNoAliasingOfStoredState(t *testing.T) {
	ctx, s, _ := testSetup(t)
	created := mustCreate(t, ctx, s, "ns", "p")
	created.Labels = map[string]string{"mutated": "yes"}
	got := &example.Pod{}
	if err := s.Get(ctx, podKey("ns", "p"), storage.GetOptions{}, got); err != nil {
		t.Fatal(err)
	}
	got.Spec.NodeName = "mutated"
	again := &example.Pod{}
	if err := s.Get(ctx, podKey("ns", "p"), storage.GetOptions{}, again); err != nil {
		t.Fatal(err)
	}
	if again.Labels != nil || again.Spec.NodeName != "" {
		t.Fatalf("stored object was changed through a returned object: %+v", again)
	}
}

// A GuaranteedUpdate that changes nothing writes nothing (etcd3 semantics).
func TestUnchangedUpdateDoesNotWrite(t *testing.T) {
	ctx, s, b := testSetup(t)
	created := mustCreate(t, ctx, s, "ns", "p")
	rev := b.Revision()
	out := &example.Pod{}
	if err := s.GuaranteedUpdate(ctx, podKey("ns", "p"), out, false, nil,
		storage.SimpleUpdate(func(obj runtime.Object) (runtime.Object, error) { return obj, nil }), nil); err != nil {
		t.Fatal(err)
	}
	if b.Revision() != rev || out.ResourceVersion != created.ResourceVersion {
		t.Fatalf("no-op update wrote: revision %d -> %d, rv %s -> %s", rev, b.Revision(), created.ResourceVersion, out.ResourceVersion)
	}
}

// Resource versions are global across resources sharing one backend.
func TestRevisionSharedAcrossResources(t *testing.T) {
	ctx, pods, b := testSetup(t)
	other, err := b.newStore(codecs.LegacyCodec(examplev1.SchemeGroupVersion), newPod, newPodList, "", "/others/", schema.GroupResource{Resource: "others"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p1 := mustCreate(t, ctx, pods, "ns", "a")
	o := &example.Pod{}
	if err := other.Create(ctx, "/others/ns/a", &example.Pod{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns"}}, o, 0); err != nil {
		t.Fatal(err)
	}
	p2 := mustCreate(t, ctx, pods, "ns", "b")
	r1, _ := strconv.Atoi(p1.ResourceVersion)
	ro, _ := strconv.Atoi(o.ResourceVersion)
	r2, _ := strconv.Atoi(p2.ResourceVersion)
	if !(r1 < ro && ro < r2) {
		t.Fatalf("resourceVersions not global: pods %d, other %d, pods %d", r1, ro, r2)
	}
	list := &example.PodList{}
	if err := pods.GetList(ctx, "/pods/", storage.ListOptions{Recursive: true, Predicate: storage.Everything}, list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 {
		t.Fatalf("pods list has %d items, want 2 (other resource leaked in?)", len(list.Items))
	}
}

// Objects created with a TTL disappear, and watchers see DELETED; the TTL
// timer re-arms for objects created after an expiry.
func TestTTLExpiryEmitsDeleted(t *testing.T) {
	ctx, s, _ := testSetup(t)
	for _, name := range []string{"ev1", "ev2"} {
		out := &example.Pod{}
		if err := s.Create(ctx, podKey("ns", name), &example.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}}, out, 1); err != nil {
			t.Fatal(err)
		}
		w, err := s.Watch(ctx, podKey("ns", name), storage.ListOptions{ResourceVersion: out.ResourceVersion, Predicate: storage.Everything})
		if err != nil {
			t.Fatal(err)
		}
		if e := nextEvent(t, w); e.Type != watch.Deleted {
			t.Fatalf("%s: got %s, want DELETED", name, e.Type)
		}
		w.Stop()
		err = s.Get(ctx, podKey("ns", name), storage.GetOptions{}, &example.Pod{})
		if !storage.IsNotFound(err) {
			t.Fatalf("Get after expiry: %v, want NotFound", err)
		}
	}
	// An update without TTL makes an object permanent, as in etcd.
	out := &example.Pod{}
	if err := s.Create(ctx, podKey("ns", "keep"), &example.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "keep"}}, out, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.GuaranteedUpdate(ctx, podKey("ns", "keep"), out, false, nil, storage.SimpleUpdate(func(obj runtime.Object) (runtime.Object, error) {
		obj.(*example.Pod).Spec.NodeName = "n"
		return obj, nil
	}), nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := s.Get(ctx, podKey("ns", "keep"), storage.GetOptions{}, &example.Pod{}); err != nil {
		t.Fatalf("object updated without TTL expired: %v", err)
	}
}

// The decorator wires config.Prefix + resourcePrefix and config.Codec.
func TestDecorator(t *testing.T) {
	b := NewBackend()
	defer b.Close()
	cfg := storagebackend.NewDefaultConfig("/registry", codecs.LegacyCodec(examplev1.SchemeGroupVersion)).ForResource(schema.GroupResource{Resource: "pods"})
	s, destroy, err := b.Decorator()(cfg, "/pods", nil, newPod, newPodList, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer destroy()
	ctx := context.Background()
	mustCreate(t, ctx, s, "ns", "p")
	if _, ok, _, _ := b.get("/registry/pods/ns/p", 0); !ok {
		t.Fatalf("object not stored under /registry/pods/ns/p; keys: %v", b.keys)
	}
	if err := s.ReadinessCheck(); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if err := s.ReadinessCheck(); err == nil {
		t.Fatal("ReadinessCheck after Close should fail")
	}
}

func BenchmarkCreate(b *testing.B) {
	ctx, s, _ := testSetup(b)
	pod := &example.Pod{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pod.ObjectMeta = metav1.ObjectMeta{Namespace: "ns", Name: "p" + strconv.Itoa(i)}
		if err := s.Create(ctx, podKey("ns", pod.Name), pod, nil, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGuaranteedUpdate(b *testing.B) {
	ctx, s, _ := testSetup(b)
	mustCreate(b, ctx, s, "ns", "p")
	out := &example.Pod{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := s.GuaranteedUpdate(ctx, podKey("ns", "p"), out, false, nil,
			storage.SimpleUpdate(func(obj runtime.Object) (runtime.Object, error) {
				pod := obj.(*example.Pod)
				pod.Spec.NodeName = strconv.Itoa(i)
				return pod, nil
			}), nil)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// Reads at a future resourceVersion wait for it like the watch cache does,
// then fail with "Too large resource version" and retry-after 1 s.
func TestFutureRevisionWait(t *testing.T) {
	ctx, s, b := testSetup(t, withBackendOptions(WithFutureRevisionWait(300*time.Millisecond)))
	mustCreate(t, ctx, s, "ns", "a")
	future := strconv.FormatInt(b.Revision()+1, 10)

	start := time.Now()
	err := s.Get(ctx, podKey("ns", "a"), storage.GetOptions{ResourceVersion: future}, &example.Pod{})
	if !storage.IsTooLargeResourceVersion(err) {
		t.Fatalf("Get at future RV: %v, want too large resource version", err)
	}
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Fatalf("Get failed after %v, before the 300ms wait", waited)
	}
	status := err.(apierrors.APIStatus).Status()
	if status.Details == nil || status.Details.RetryAfterSeconds != 1 || status.Code != 504 {
		t.Fatalf("unexpected status %#v", status)
	}
	err = s.GetList(ctx, "/pods/", storage.ListOptions{Recursive: true, Predicate: storage.Everything, ResourceVersion: future, ResourceVersionMatch: metav1.ResourceVersionMatchExact}, &example.PodList{})
	if !storage.IsTooLargeResourceVersion(err) || err.(apierrors.APIStatus).Status().Details.RetryAfterSeconds != 1 {
		t.Fatalf("List exact at future RV: %v", err)
	}

	// A write arriving while the read waits lets it succeed.
	go func() {
		time.Sleep(50 * time.Millisecond)
		if err := s.Create(ctx, podKey("ns", "b"), &example.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "b"}}, nil, 0); err != nil {
			t.Errorf("Create: %v", err)
		}
	}()
	list := &example.PodList{}
	if err := s.GetList(ctx, "/pods/", storage.ListOptions{Recursive: true, Predicate: storage.Everything, ResourceVersion: future, ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan}, list); err != nil {
		t.Fatalf("List not older than a soon-written RV: %v", err)
	}
	if list.ResourceVersion != future || len(list.Items) != 2 {
		t.Fatalf("list at RV %s with %d items, want RV %s with 2", list.ResourceVersion, len(list.Items), future)
	}
}

// Like kube-apiserver's watch cache, a list at resourceVersion "0" ignores
// limit; with WithEtcd3Reads it pages like etcd3.
func TestListRV0IgnoresLimit(t *testing.T) {
	for _, etcd3 := range []bool{false, true} {
		var opts []setupOpt
		if etcd3 {
			opts = append(opts, withBackendOptions(WithEtcd3Reads()))
		}
		ctx, s, _ := testSetup(t, opts...)
		for i := 0; i < 3; i++ {
			mustCreate(t, ctx, s, "ns", fmt.Sprintf("p%d", i))
		}
		pred := storage.Everything
		pred.Limit = 1
		list := &example.PodList{}
		if err := s.GetList(ctx, "/pods/", storage.ListOptions{Recursive: true, Predicate: pred, ResourceVersion: "0"}, list); err != nil {
			t.Fatal(err)
		}
		wantItems, wantContinue := 3, false
		if etcd3 {
			wantItems, wantContinue = 1, true
		}
		if len(list.Items) != wantItems || (list.Continue != "") != wantContinue {
			t.Fatalf("etcd3=%v: %d items, continue %q; want %d items, continue=%v", etcd3, len(list.Items), list.Continue, wantItems, wantContinue)
		}
	}
}
