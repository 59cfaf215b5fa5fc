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

// Package memory is Ephemera's default storage: an in-memory implementation
// of k8s.io/apiserver/pkg/storage.Interface modelled on the etcd3 store in
// k8s.io/apiserver/pkg/storage/etcd3 (store.go, watcher.go, event.go,
// compact.go). It keeps no files, starts no process and has no global state,
// so a test binary can run many servers side by side.
//
// # Model
//
// A Backend plays the part of one etcd cluster: a single key space with one
// monotonically increasing revision shared by every resource (so
// resourceVersions are global, as in kube-apiserver). Every key keeps a short
// multi-version history, so reads at an older revision (resourceVersionMatch
// Exact, continue tokens) work until the history is compacted, exactly like
// etcd's MVCC store. Every write appends one event to an event log; watchers
// read that log, so a watch can start at an old resourceVersion and replay.
// Compaction (automatic, bounded by event count and age; or explicit through
// Compact) drops old versions and events; reads and watches that need them
// then fail with the same 410 errors etcd3 produces.
//
// Objects are stored as the bytes produced by the resource's codec (and
// value.Transformer), never as Go objects: every read decodes a fresh object,
// so no caller can alias stored state.
//
// # Locking
//
// Backend.mu is the one lock that guards stored data: the revision counters,
// the key histories, the event log, the TTL table and the change-notification
// channel. Rules:
//
//   - Backend.mu is held only for non-blocking sections: no encoding,
//     decoding, transforming, channel sends or user callbacks run under it
//     (the longest sections are a range read or a compaction, O(keys)).
//     Stored byte slices are immutable once written, so they are used after
//     the lock is released.
//   - A writer never waits for a watcher. After a write it closes the current
//     "changed" channel (a broadcast) and installs a new one. Each watcher has
//     its own goroutine that pulls events from the log at its own pace.
//   - Each resource view (store) has two small leaf locks: progressMu guards
//     its progress-request broadcast channel, sizeMu its size-estimation flag.
//     Neither is ever held while taking another lock.
//
// Lock order (should nesting ever be needed): Backend.mu, then a store's
// progressMu or sizeMu. Today no code path holds two locks at once.
//
// # Slow watchers
//
// A watcher that falls so far behind that the events it still has to deliver
// have been compacted away is ended with the error etcd3 produces in that case
// (410 Expired, "The resourceVersion for the provided watch is too old."); the
// client then re-lists. Events are never dropped silently, and the bounded
// result channel (see resultBufferSize) only ever blocks the watcher's own
// goroutine.
package memory

import (
	"errors"
	"sync"
	"time"
)

const (
	// DefaultMaxEvents bounds the event history (and thus the versions kept
	// for old-revision reads). A watch or continue token older than the
	// retained window gets a 410, like after an etcd compaction.
	DefaultMaxEvents = 5000
	// DefaultRetention bounds the age of the retained history, mirroring the
	// periodic compaction kube-apiserver runs against etcd.
	DefaultRetention = 75 * time.Second
	// DefaultProgressNotifyInterval is how often a watch opened with
	// ProgressNotify receives a progress bookmark when it is caught up. etcd's
	// default is 10 minutes; kube-apiserver test setups commonly use 5 s.
	DefaultProgressNotifyInterval = 5 * time.Second
	// DefaultFutureRevisionWait is how long a Get or List at a
	// resourceVersion newer than the current revision waits for it before
	// failing with "Too large resource version" (retry after 1 s). This is
	// what clients see from kube-apiserver, whose watch cache serves pods
	// (cacher/watch_cache.go: blockTimeout, waitUntilFreshAndBlock and
	// resourceVersionTooHighRetrySeconds); bare etcd3 fails at once.
	DefaultFutureRevisionWait = 3 * time.Second
)

var (
	// errCompacted mirrors etcd's rpctypes.ErrCompacted: the requested
	// revision is older than the compacted revision.
	errCompacted = errors.New("mvcc: required revision has been compacted")
	// errFutureRev mirrors etcd's rpctypes.ErrFutureRev.
	errFutureRev = errors.New("mvcc: required revision is a future revision")
	// errClosed is returned by every operation after Backend.Close.
	errClosed = errors.New("memory storage backend is closed")
)

// Option configures a Backend.
type Option func(*Backend)

// WithMaxEvents sets how many events (writes) the history keeps; n <= 0 keeps
// the default.
func WithMaxEvents(n int) Option {
	return func(b *Backend) {
		if n > 0 {
			b.maxEvents = n
		}
	}
}

// WithRetention sets the maximum age of the retained history; d <= 0 keeps the
// default.
func WithRetention(d time.Duration) Option {
	return func(b *Backend) {
		if d > 0 {
			b.retention = d
		}
	}
}

// WithProgressNotifyInterval sets the period of progress bookmarks for watches
// opened with ProgressNotify; d <= 0 keeps the default.
func WithProgressNotifyInterval(d time.Duration) Option {
	return func(b *Backend) {
		if d > 0 {
			b.progressInterval = d
		}
	}
}

// WithFutureRevisionWait sets how long reads at a future resourceVersion wait
// for it (see DefaultFutureRevisionWait). d == 0 fails them at once with no
// retry-after, exactly like the etcd3 store.
func WithFutureRevisionWait(d time.Duration) Option {
	return func(b *Backend) {
		if d >= 0 {
			b.futureRevisionWait = d
		}
	}
}

// WithEtcd3Reads makes reads behave exactly like the bare etcd3 store, as the
// upstream storage test suite expects, instead of like kube-apiserver with
// its watch cache in front (the default, which is what clients of a real
// server see): reads at a future resourceVersion fail at once without
// retry-after, and a list at resourceVersion "0" honours limit.
func WithEtcd3Reads() Option {
	return func(b *Backend) {
		b.futureRevisionWait = 0
		b.etcd3Reads = true
	}
}

// WithClock replaces time.Now, for tests of time-based retention.
func WithClock(now func() time.Time) Option {
	return func(b *Backend) {
		if now != nil {
			b.now = now
		}
	}
}

// version is one value of a key at a revision; value == nil marks a deletion
// (etcd's tombstone).
type version struct {
	modRev int64
	value  []byte
}

// kv is what a read returns: the value of a key and the revision it was
// written at.
type kv struct {
	key    string
	value  []byte
	modRev int64
}

// event is one entry of the event log: the write at revision rev.
type event struct {
	rev       int64
	key       string
	value     []byte // nil on delete
	prevValue []byte // nil on create
	at        time.Time
}

func (e *event) isCreated() bool { return e.prevValue == nil && e.value != nil }
func (e *event) isDeleted() bool { return e.value == nil }

// Backend is one shared in-memory key/value space with a single revision
// counter. Create it with NewBackend, hand Decorator() to the registries, and
// Close it when the server stops. All methods are safe for concurrent use.
type Backend struct {
	// Immutable after NewBackend.
	maxEvents        int
	retention        time.Duration
	progressInterval time.Duration
	// futureRevisionWait: see WithFutureRevisionWait.
	futureRevisionWait time.Duration
	// etcd3Reads: see WithEtcd3Reads.
	etcd3Reads bool
	now        func() time.Time

	// mu guards everything below; see the package comment for the rules.
	mu          sync.Mutex
	rev         int64
	compactRev  int64
	lastCompact time.Time
	// keys holds, sorted, every key that has a history (live or tombstoned
	// but not yet compacted); history holds the versions, oldest first.
	keys    []string
	history map[string][]version
	// shrinkable holds the keys that compaction may shrink: more than one
	// version, or a tombstone.
	shrinkable map[string]struct{}
	// events is the event log in revision order (one event per revision).
	events []*event
	// expiry holds the deadline of every live key written with a TTL.
	expiry map[string]time.Time
	// timer fires expire at timerAt, the earliest pending deadline.
	timer   *time.Timer
	timerAt time.Time
	// changed is closed (and replaced) after every write and on Close.
	changed chan struct{}
	closed  bool
}

// NewBackend returns an empty backend at revision 1 (like a fresh etcd,
// whose first write gets revision 2).
func NewBackend(opts ...Option) *Backend {
	b := &Backend{
		maxEvents:          DefaultMaxEvents,
		retention:          DefaultRetention,
		progressInterval:   DefaultProgressNotifyInterval,
		futureRevisionWait: DefaultFutureRevisionWait,
		now:                time.Now,
		rev:                1,
		history:            map[string][]version{},
		shrinkable:         map[string]struct{}{},
		expiry:             map[string]time.Time{},
		changed:            make(chan struct{}),
	}
	for _, o := range opts {
		o(b)
	}
	b.lastCompact = b.now()
	return b
}

// Close stops the TTL timer and ends every watch (their result channels are
// closed). Later operations fail. Close is idempotent.
func (b *Backend) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	close(b.changed)
}

// Revision returns the current revision.
func (b *Backend) Revision() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rev
}

// CompactRevision returns the revision of the last compaction (0 if none).
func (b *Backend) CompactRevision() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.compactRev
}
