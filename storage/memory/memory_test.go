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
	"k8s.io/utils/ptr"
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

// A watcher that does not keep up is ended with 410 once the history it
// still needs is compacted, and writers are never blocked by it.
func TestSlowWatcherGetsExpiredNotSilentDrops(t *testing.T) {
	ctx, s, b := testSetup(t, withBackendOptions(WithMaxEvents(50)))
	w, err := s.Watch(ctx, "/pods/", storage.ListOptions{ResourceVersion: strconv.FormatInt(b.Revision(), 10), Recursive: true, Predicate: storage.Everything})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	// Nobody reads w: the writes below must still complete promptly.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 1000; i++ {
			mustCreate(t, ctx, s, "ns", fmt.Sprintf("p%04d", i))
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("writers blocked by a slow watcher")
	}
	// The watcher delivered a contiguous prefix of the events, then a 410.
	var last int64
	for e := range w.ResultChan() {
		if e.Type == watch.Error {
			status, ok := e.Object.(*metav1.Status)
			if !ok || status.Code != 410 || status.Reason != metav1.StatusReasonExpired || status.Message != "The resourceVersion for the provided watch is too old." {
				t.Fatalf("unexpected error event %#v", e.Object)
			}
			return
		}
		rv, _ := strconv.ParseInt(e.Object.(*example.Pod).ResourceVersion, 10, 64)
		if last != 0 && rv != last+1 {
			t.Fatalf("event gap: %d after %d", rv, last)
		}
		last = rv
	}
	t.Fatal("watch ended without an error event")
}

// Watch-list (SendInitialEvents=true, as client-go 0.37 uses by default):
// initial ADDED events, then a bookmark annotated
// k8s.io/initial-events-end=true at the list revision, then live events.
func TestWatchListInitialEventsEndBookmark(t *testing.T) {
	ctx, s, b := testSetup(t)
	mustCreate(t, ctx, s, "ns", "a")
	mustCreate(t, ctx, s, "ns", "b")
	listRev := b.Revision()
	pred := storage.Everything
	pred.AllowWatchBookmarks = true
	w, err := s.Watch(ctx, "/pods/", storage.ListOptions{Recursive: true, Predicate: pred, SendInitialEvents: ptr.To(true), ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for _, name := range []string{"a", "b"} {
		e := nextEvent(t, w)
		if e.Type != watch.Added || e.Object.(*example.Pod).Name != name {
			t.Fatalf("got %s %v, want ADDED %s", e.Type, e.Object, name)
		}
	}
	e := nextEvent(t, w)
	if e.Type != watch.Bookmark {
		t.Fatalf("got %s, want BOOKMARK", e.Type)
	}
	bm := e.Object.(*example.Pod)
	if bm.Annotations[metav1.InitialEventsAnnotationKey] != "true" || bm.ResourceVersion != strconv.FormatInt(listRev, 10) {
		t.Fatalf("bad end-of-initial-events bookmark: %#v", bm.ObjectMeta)
	}
	mustCreate(t, ctx, s, "ns", "c")
	if e := nextEvent(t, w); e.Type != watch.Added || e.Object.(*example.Pod).Name != "c" {
		t.Fatalf("got %s %v, want ADDED c", e.Type, e.Object)
	}
}

// A continue token whose revision was compacted gets etcd3's 410 with a
// fresh continue token for an inconsistent continuation.
func TestContinueTokenTooOld(t *testing.T) {
	ctx, s, b := testSetup(t)
	for i := 0; i < 3; i++ {
		mustCreate(t, ctx, s, "ns", fmt.Sprintf("p%d", i))
	}
	pred := storage.Everything
	pred.Limit = 1
	page := &example.PodList{}
	if err := s.GetList(ctx, "/pods/", storage.ListOptions{Recursive: true, Predicate: pred}, page); err != nil {
		t.Fatal(err)
	}
	if page.Continue == "" || page.RemainingItemCount == nil || *page.RemainingItemCount != 2 {
		t.Fatalf("first page: continue %q remaining %v", page.Continue, page.RemainingItemCount)
	}
	mustCreate(t, ctx, s, "ns", "p9")
	if err := b.Compact(b.Revision()); err != nil {
		t.Fatal(err)
	}
	pred.Continue = page.Continue
	err := s.GetList(ctx, "/pods/", storage.ListOptions{Recursive: true, Predicate: pred}, &example.PodList{})
	status, ok := err.(apierrors.APIStatus)
	if !ok || status.Status().Code != 410 || status.Status().ListMeta.Continue == "" ||
		status.Status().Message != inconsistentCont {
		t.Fatalf("got %v, want 410 with an inconsistent-continue token", err)
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

// Close ends open watches.
func TestCloseEndsWatches(t *testing.T) {
	ctx, s, b := testSetup(t)
	w, err := s.Watch(ctx, "/pods/", storage.ListOptions{ResourceVersion: "1", Recursive: true, Predicate: storage.Everything})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	select {
	case _, ok := <-w.ResultChan():
		if ok {
			t.Fatal("unexpected event")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch not closed by Backend.Close")
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

// History is bounded by event count: old revisions become unreadable with
// etcd3's 410 messages, and CompactRevision reports the cut.
func TestAutomaticCompactionByCount(t *testing.T) {
	ctx, s, b := testSetup(t, withBackendOptions(WithMaxEvents(10)))
	first := mustCreate(t, ctx, s, "ns", "p0")
	for i := 1; i < 30; i++ {
		mustCreate(t, ctx, s, "ns", fmt.Sprintf("p%d", i))
	}
	if s.CompactRevision() == 0 || len(b.events) > 10+10/8 {
		t.Fatalf("no compaction: compactRev %d, %d events kept", s.CompactRevision(), len(b.events))
	}
	err := s.GetList(ctx, "/pods/", storage.ListOptions{Recursive: true, Predicate: storage.Everything, ResourceVersion: first.ResourceVersion, ResourceVersionMatch: metav1.ResourceVersionMatchExact}, &example.PodList{})
	if !apierrors.IsResourceExpired(err) || err.Error() != "The resourceVersion for the provided list is too old." {
		t.Fatalf("list at compacted RV: %v", err)
	}
	w, err := s.Watch(ctx, "/pods/", storage.ListOptions{ResourceVersion: first.ResourceVersion, Recursive: true, Predicate: storage.Everything})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	e := nextEvent(t, w)
	if status, ok := e.Object.(*metav1.Status); e.Type != watch.Error || !ok || status.Code != 410 || status.Message != "The resourceVersion for the provided watch is too old." {
		t.Fatalf("watch at compacted RV: %s %#v", e.Type, e.Object)
	}
	// The current state is complete.
	list := &example.PodList{}
	if err := s.GetList(ctx, "/pods/", storage.ListOptions{Recursive: true, Predicate: storage.Everything}, list); err != nil || len(list.Items) != 30 {
		t.Fatalf("list after compaction: %d items, %v", len(list.Items), err)
	}
	// A watch from a recent revision replays what is kept.
	recent := strconv.FormatInt(b.Revision()-3, 10)
	w2, err := s.Watch(ctx, "/pods/", storage.ListOptions{ResourceVersion: recent, Recursive: true, Predicate: storage.Everything})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Stop()
	for i := 0; i < 3; i++ {
		if e := nextEvent(t, w2); e.Type != watch.Added {
			t.Fatalf("replay event %d: %s", i, e.Type)
		}
	}
}

// History is bounded by age too.
func TestAutomaticCompactionByAge(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ctx, s, b := testSetup(t, withBackendOptions(WithClock(clock), WithRetention(time.Minute)))
	mustCreate(t, ctx, s, "ns", "old")
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	recent := mustCreate(t, ctx, s, "ns", "new")
	rv, _ := strconv.ParseInt(recent.ResourceVersion, 10, 64)
	if got := b.CompactRevision(); got != rv-1 {
		t.Fatalf("CompactRevision = %d, want %d (everything before the recent write)", got, rv-1)
	}
	if len(b.events) != 1 || b.events[0].rev != rv {
		t.Fatalf("kept events %v, want only rev %d", b.events, rv)
	}
}

// RequestWatchProgress makes ProgressNotify watches send a bookmark at the
// current revision.
func TestRequestWatchProgress(t *testing.T) {
	ctx, s, b := testSetup(t, withBackendOptions(WithProgressNotifyInterval(time.Hour)))
	mustCreate(t, ctx, s, "ns", "a")
	w, err := s.Watch(ctx, "/pods/", storage.ListOptions{ResourceVersion: strconv.FormatInt(b.Revision(), 10), Recursive: true, Predicate: storage.Everything, ProgressNotify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	// A write to another resource moves the revision on.
	increaseRV(b)(ctx, t)
	if err := s.RequestWatchProgress(ctx); err != nil {
		t.Fatal(err)
	}
	e := nextEvent(t, w)
	if e.Type != watch.Bookmark || e.Object.(*example.Pod).ResourceVersion != strconv.FormatInt(b.Revision(), 10) {
		t.Fatalf("got %s %#v, want BOOKMARK at %d", e.Type, e.Object, b.Revision())
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

// AllowWatchBookmarks: like the watch cache, a bookmark is sent 2 s before
// the request deadline, but only once the revision has moved past the
// watch's start.
func TestWatchBookmarksBeforeDeadline(t *testing.T) {
	for _, advance := range []bool{false, true} {
		ctx, s, b := testSetup(t)
		mustCreate(t, ctx, s, "ns", "a")
		pred := storage.Everything
		pred.AllowWatchBookmarks = true
		wctx, cancel := context.WithTimeout(ctx, 2500*time.Millisecond)
		w, err := s.Watch(wctx, "/pods/", storage.ListOptions{ResourceVersion: strconv.FormatInt(b.Revision(), 10), Recursive: true, Predicate: pred})
		if err != nil {
			t.Fatal(err)
		}
		if advance {
			increaseRV(b)(ctx, t)
		}
		var got []watch.Event
		for e := range w.ResultChan() {
			got = append(got, e)
		}
		cancel()
		if !advance && len(got) != 0 {
			t.Fatalf("revision unchanged: got %v, want no events", got)
		}
		if advance && (len(got) != 1 || got[0].Type != watch.Bookmark || got[0].Object.(*example.Pod).ResourceVersion != strconv.FormatInt(b.Revision(), 10)) {
			t.Fatalf("revision advanced: got %v, want one bookmark at %d", got, b.Revision())
		}
	}
}

// Compaction drops superseded versions and deleted keys entirely, and keeps
// what is visible at the compacted revision readable.
func TestCompactDropsDeadVersions(t *testing.T) {
	ctx, s, b := testSetup(t)
	mustCreate(t, ctx, s, "ns", "gone")
	mustCreate(t, ctx, s, "ns", "kept")
	if err := s.GuaranteedUpdate(ctx, podKey("ns", "kept"), &example.Pod{}, false, nil, storage.SimpleUpdate(func(obj runtime.Object) (runtime.Object, error) {
		obj.(*example.Pod).Spec.NodeName = "n1"
		return obj, nil
	}), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, podKey("ns", "gone"), &example.Pod{}, nil, storage.ValidateAllObjectFunc, nil, storage.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	rev := b.Revision()
	if err := b.Compact(rev); err != nil {
		t.Fatal(err)
	}
	if len(b.keys) != 1 || b.keys[0] != podKey("ns", "kept") || len(b.history[podKey("ns", "kept")]) != 1 || len(b.shrinkable) != 0 {
		t.Fatalf("after compaction: keys %v, history %v, shrinkable %v", b.keys, b.history, b.shrinkable)
	}
	list := &example.PodList{}
	if err := s.GetList(ctx, "/pods/", storage.ListOptions{Recursive: true, Predicate: storage.Everything, ResourceVersion: strconv.FormatInt(rev, 10), ResourceVersionMatch: metav1.ResourceVersionMatchExact}, list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].Spec.NodeName != "n1" {
		t.Fatalf("list at compacted revision: %+v", list.Items)
	}
	if err := b.Compact(rev + 1); err == nil {
		t.Fatal("compacting a future revision should fail")
	}
}
