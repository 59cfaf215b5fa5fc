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
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/apis/example"
	"k8s.io/apiserver/pkg/storage"
)

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
