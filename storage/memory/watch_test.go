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
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/apis/example"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/utils/ptr"
)

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
