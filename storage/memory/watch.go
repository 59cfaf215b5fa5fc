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
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/features"
	"k8s.io/apiserver/pkg/storage"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	utilflowcontrol "k8s.io/apiserver/pkg/util/flowcontrol"
	"k8s.io/klog/v2"
)

const (
	// resultBufferSize is the capacity of a watch's result channel (etcd3's
	// outgoingBufSize). A consumer that does not read only stalls its own
	// watch goroutine, never a writer.
	resultBufferSize = 100
	// eventBatch is how many log events a watcher copies per lock hold.
	eventBatch = 256
)

// Watch implements storage.Interface.Watch.
func (s *store) Watch(ctx context.Context, key string, opts storage.ListOptions) (watch.Interface, error) {
	preparedKey, err := s.prepareKey(key, opts.Recursive)
	if err != nil {
		return nil, err
	}
	rev, err := s.versioner.ParseResourceVersion(opts.ResourceVersion)
	if err != nil {
		return nil, err
	}
	return s.watch(ctx, preparedKey, int64(rev), opts)
}

// RequestWatchProgress asks every watch of this resource opened with
// ProgressNotify to send a progress bookmark as soon as it is caught up (the
// watch cache uses it to learn how fresh it is).
func (s *store) RequestWatchProgress(context.Context) error {
	s.progressMu.Lock()
	defer s.progressMu.Unlock()
	close(s.progress)
	s.progress = make(chan struct{})
	return nil
}

func (s *store) progressRequested() <-chan struct{} {
	s.progressMu.Lock()
	defer s.progressMu.Unlock()
	return s.progress
}

// watcher is one watch: a goroutine (run) that pulls the backend's event log
// past the last revision it delivered, decodes, filters and sends to result.
type watcher struct {
	s         *store
	key       string
	recursive bool
	pred      storage.SelectionPredicate
	progress  bool // ProgressNotify: periodic and requested progress bookmarks
	bookmarks bool // AllowWatchBookmarks: watch-cache style bookmarks

	ctx    context.Context
	cancel context.CancelFunc
	result chan watch.Event
}

func (w *watcher) Stop()                          { w.cancel() }
func (w *watcher) ResultChan() <-chan watch.Event { return w.result }

// watch mirrors etcd3's watcher.Watch: it decides where the watch starts and
// whether initial events and the end-of-initial-events bookmark are sent.
func (s *store) watch(ctx context.Context, key string, rev int64, opts storage.ListOptions) (watch.Interface, error) {
	if opts.Recursive && !strings.HasSuffix(key, "/") {
		return nil, fmt.Errorf(`recursive key needs to end with "/"`)
	}
	if opts.ProgressNotify && s.newFunc == nil {
		return nil, apierrors.NewInternalError(errors.New("progressNotify for watch is unsupported by the etcd storage because no newFunc was provided"))
	}
	startRev, err := s.startWatchResourceVersion(rev, opts)
	if err != nil {
		return nil, err
	}
	w := &watcher{
		s:         s,
		key:       key,
		recursive: opts.Recursive,
		pred:      opts.Predicate,
		progress:  opts.ProgressNotify,
		bookmarks: opts.Predicate.AllowWatchBookmarks,
		result:    make(chan watch.Event, resultBufferSize),
	}
	if w.pred.Empty() {
		w.pred = storage.Everything
	}
	w.ctx, w.cancel = context.WithCancel(ctx)
	// Subscribe to progress requests before returning, so that none made
	// after Watch returns is missed.
	progressCh := w.progressChan()
	go w.run(startRev, isInitialEventsEndBookmarkRequired(opts), areInitialEventsRequired(rev, opts), progressCh)
	utilflowcontrol.WatchInitialized(ctx)
	return w, nil
}

// startWatchResourceVersion mirrors etcd3's getStartWatchResourceVersion: a
// watch at RV 0 that asked for no initial events starts at the current
// revision.
func (s *store) startWatchResourceVersion(rev int64, opts storage.ListOptions) (int64, error) {
	if rev > 0 {
		return rev, nil
	}
	if !utilfeature.DefaultFeatureGate.Enabled(features.WatchList) {
		return 0, nil
	}
	if opts.SendInitialEvents == nil || *opts.SendInitialEvents {
		return 0, nil
	}
	cur, err := s.GetCurrentResourceVersion(context.Background())
	return int64(cur), err
}

func isInitialEventsEndBookmarkRequired(opts storage.ListOptions) bool {
	if !utilfeature.DefaultFeatureGate.Enabled(features.WatchList) {
		return false
	}
	return opts.SendInitialEvents != nil && *opts.SendInitialEvents && opts.Predicate.AllowWatchBookmarks
}

func areInitialEventsRequired(rev int64, opts storage.ListOptions) bool {
	if opts.SendInitialEvents == nil && rev == 0 {
		return true // legacy: RV 0 means "current state, then changes"
	}
	if !utilfeature.DefaultFeatureGate.Enabled(features.WatchList) {
		return false
	}
	return opts.SendInitialEvents != nil && *opts.SendInitialEvents
}

func (w *watcher) run(startRev int64, endBookmark, initialEvents bool, progressCh <-chan struct{}) {
	defer close(w.result)
	defer w.cancel()
	b := w.s.backend

	if startRev > 0 && initialEvents {
		if cur := b.Revision(); startRev > cur {
			// kube-apiserver's watch cache answers at once with retry-after
			// 1 s; bare etcd3 (watcher.go startWatching) with a jittered 1-4 s.
			retry := 1
			if b.etcd3Reads {
				retry = int(wait.Jitter(1*time.Second, 3).Seconds())
			}
			w.sendError(storage.NewTooLargeResourceVersionError(uint64(startRev), uint64(cur), retry))
			return
		}
	}
	lastRev := startRev // everything up to lastRev has been delivered
	if initialEvents {
		kvs, rev, err := b.snapshot(w.key, w.recursive)
		if err != nil {
			w.sendError(err)
			return
		}
		for _, item := range kvs {
			e := &event{rev: item.modRev, key: item.key, value: item.value}
			if !w.deliver(e) {
				return
			}
		}
		lastRev = rev
	}
	if endBookmark {
		if !w.sendBookmark(lastRev, true) {
			return
		}
	}

	// The watch's own starting point: bookmarks below never repeat it.
	startedAt := lastRev

	var ticker <-chan time.Time
	if w.progress {
		t := time.NewTicker(b.progressInterval)
		defer t.Stop()
		ticker = t.C
	}
	// Watches that allow bookmarks get them the way the watch cache sends
	// them (cacher's cacheWatcher.nextBookmarkTime): roughly every minute and
	// 2 s before the request's deadline.
	var bookmarkTimer *time.Timer
	var bookmarkC <-chan time.Time
	lastBookmark := time.Now()
	if w.bookmarks {
		bookmarkTimer = time.NewTimer(w.nextBookmark(lastBookmark))
		defer bookmarkTimer.Stop()
		bookmarkC = bookmarkTimer.C
	}
	progressPending, bookmarkPending := false, false
	for {
		evs, scannedTo, changed, closed, compacted := b.eventsSince(lastRev+1, w.key, w.recursive, eventBatch)
		if compacted {
			w.sendError(apierrors.NewResourceExpired(expiredWatchMsg))
			return
		}
		for _, e := range evs {
			if !w.deliver(e) {
				return
			}
			lastRev = e.rev
		}
		if scannedTo > lastRev {
			lastRev = scannedTo
		}
		if len(evs) == eventBatch {
			continue
		}
		// Caught up through lastRev (unless the watch starts in the future,
		// where etcd sends no progress either).
		if progressPending && lastRev <= scannedTo {
			if !w.sendBookmark(lastRev, false) {
				return
			}
			progressPending = false
			if lastRev > startedAt {
				bookmarkPending = false // that bookmark serves both
			}
		}
		// Watch-cache style bookmarks are only sent once the revision has
		// moved past the watch's start (cache_watcher.go process: "only send
		// events newer than resourceVersion").
		if bookmarkPending && lastRev <= scannedTo && lastRev > startedAt {
			if !w.sendBookmark(lastRev, false) {
				return
			}
			bookmarkPending = false
		}
		if closed {
			return
		}
		select {
		case <-changed:
		case <-w.ctx.Done():
			return
		case <-ticker:
			progressPending = true
		case <-bookmarkC:
			bookmarkPending = true
			lastBookmark = time.Now()
			bookmarkTimer.Reset(w.nextBookmark(lastBookmark))
		case <-progressCh:
			progressPending = true
			progressCh = w.progressChan()
		}
	}
}

// bookmarkFrequency is the watch cache's defaultBookmarkFrequency.
const bookmarkFrequency = time.Minute

// nextBookmark returns how long to wait, from the last bookmark at last,
// until the next one.
func (w *watcher) nextBookmark(last time.Time) time.Duration {
	next := last.Add(bookmarkFrequency)
	if deadline, ok := w.ctx.Deadline(); ok {
		if pre := deadline.Add(-2 * time.Second); pre.After(last) && pre.Before(next) {
			next = pre
		}
	}
	return time.Until(next)
}

// progressChan returns the store's progress-request broadcast for watches
// opened with ProgressNotify, and nil (never ready) otherwise.
func (w *watcher) progressChan() <-chan struct{} {
	if !w.progress {
		return nil
	}
	return w.s.progressRequested()
}

// deliver transforms one log event into a watch event (etcd3's
// watchChan.transform) and sends it. It returns false when the watch ended.
func (w *watcher) deliver(e *event) bool {
	res, err := w.transform(e)
	if err != nil {
		w.sendError(err)
		return false
	}
	if res == nil {
		return true
	}
	return w.send(*res)
}

func (w *watcher) decode(key string, data []byte, rev int64) (runtime.Object, error) {
	s := w.s
	if obj := s.decoded.get(data, rev); obj != nil {
		return obj, nil
	}
	plain, _, err := s.transformer.TransformFromStorage(w.ctx, data, authenticatedData(key))
	if err != nil {
		return nil, err
	}
	obj, err := runtime.Decode(s.codec, plain)
	if err != nil {
		return nil, err
	}
	if err := s.versioner.UpdateObject(obj, uint64(rev)); err != nil {
		return nil, fmt.Errorf("failure to version api object (%d) %#v: %v", rev, obj, err)
	}
	s.decoded.put(data, rev, obj)
	return obj, nil
}

func (w *watcher) matches(obj runtime.Object) bool {
	if w.pred.Empty() {
		return true
	}
	ok, err := w.pred.Matches(obj)
	return err == nil && ok
}

// transform mirrors etcd3's watchChan.transform: objects entering the
// selector are ADDED, objects leaving it are DELETED, and a DELETED event
// carries the last state stamped with the deletion revision.
func (w *watcher) transform(e *event) (*watch.Event, error) {
	var cur, old runtime.Object
	var err error
	if !e.isDeleted() {
		if cur, err = w.decode(e.key, e.value, e.rev); err != nil {
			return nil, err
		}
	}
	if e.prevValue != nil && (e.isDeleted() || !w.pred.Empty()) {
		if old, err = w.decode(e.key, e.prevValue, e.rev); err != nil {
			return nil, err
		}
	}
	switch {
	case e.isDeleted():
		if !w.matches(old) {
			return nil, nil
		}
		return &watch.Event{Type: watch.Deleted, Object: old}, nil
	case e.isCreated():
		if !w.matches(cur) {
			return nil, nil
		}
		return &watch.Event{Type: watch.Added, Object: cur}, nil
	}
	if w.pred.Empty() {
		return &watch.Event{Type: watch.Modified, Object: cur}, nil
	}
	curOK, oldOK := w.matches(cur), w.matches(old)
	switch {
	case curOK && oldOK:
		return &watch.Event{Type: watch.Modified, Object: cur}, nil
	case curOK:
		return &watch.Event{Type: watch.Added, Object: cur}, nil
	case oldOK:
		return &watch.Event{Type: watch.Deleted, Object: old}, nil
	}
	return nil, nil
}

// sendBookmark sends a progress bookmark at rev: an empty object of the
// resource's type carrying only the resourceVersion (and, for the end of the
// initial events, the k8s.io/initial-events-end annotation).
func (w *watcher) sendBookmark(rev int64, initialEventsEnd bool) bool {
	if w.s.newFunc == nil {
		w.sendError(errors.New("bookmarks are unsupported because no newFunc was provided"))
		return false
	}
	obj := w.s.newFunc()
	if err := w.s.versioner.UpdateObject(obj, uint64(rev)); err != nil {
		w.sendError(fmt.Errorf("failed to propagate object resource version: %w", err))
		return false
	}
	if initialEventsEnd {
		if err := storage.AnnotateInitialEventsEndBookmark(obj); err != nil {
			w.sendError(fmt.Errorf("error while accessing object's metadata gr: %v, obj: %#v, err: %w", w.s.groupResource, obj, err))
			return false
		}
	}
	return w.send(watch.Event{Type: watch.Bookmark, Object: obj})
}

func (w *watcher) send(e watch.Event) bool {
	select {
	case w.result <- e:
		return true
	case <-w.ctx.Done():
		return false
	}
}

// sendError ends the watch with an ERROR event, like etcd3's sendError and
// transformErrorToEvent. Cancellation is not reported.
func (w *watcher) sendError(err error) {
	defer w.cancel()
	if errors.Is(err, context.Canceled) {
		return
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		klog.V(4).Infof("watch chan error: %v", err)
		status = apierrors.NewInternalError(err)
	}
	st := status.Status()
	select {
	case w.result <- watch.Event{Type: watch.Error, Object: &st}:
	case <-w.ctx.Done():
	}
}
