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
	"context"
	"errors"
	"sort"
	"strings"
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

// Compact discards history older than rev, like etcd's Compact: afterwards,
// reads at a revision below rev and watches starting at a resourceVersion
// below rev fail with 410 errors. Compacting to a revision at or below the current compacted
// revision is a no-op; rev above the current revision is an error.
func (b *Backend) Compact(rev int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errClosed
	}
	if rev > b.rev {
		return errFutureRev
	}
	b.compactLocked(rev)
	return nil
}

// compactLocked drops every version that is not visible at revision rev or
// later, and every event before rev. Caller holds b.mu.
func (b *Backend) compactLocked(rev int64) {
	if rev <= b.compactRev {
		return
	}
	b.compactRev = rev
	b.lastCompact = b.now()
	// Only keys in b.shrinkable can lose versions; a key with one live
	// version is left alone, so compaction costs O(keys written since).
	removed := false
	for k := range b.shrinkable {
		vs := b.history[k]
		// i is the newest version visible at rev; older ones can go.
		i := sort.Search(len(vs), func(i int) bool { return vs[i].modRev > rev }) - 1
		if i > 0 {
			vs = append([]version(nil), vs[i:]...)
		}
		if len(vs) > 0 && vs[0].modRev <= rev && vs[0].value == nil {
			vs = vs[1:] // a tombstone visible at rev hides nothing any more
		}
		switch {
		case len(vs) == 0:
			delete(b.history, k)
			delete(b.shrinkable, k)
			removed = true
		case len(vs) == 1 && vs[0].value != nil:
			b.history[k] = vs
			delete(b.shrinkable, k)
		default:
			b.history[k] = vs
		}
	}
	if removed {
		kept := b.keys[:0]
		for _, k := range b.keys {
			if _, ok := b.history[k]; ok {
				kept = append(kept, k)
			}
		}
		for i := len(kept); i < len(b.keys); i++ {
			b.keys[i] = ""
		}
		b.keys = kept
	}
	// The event at rev goes too: its previous value may be gone, so it can no
	// longer be delivered faithfully (etcd fails such a watch with "etcd
	// event received with PrevKv=nil"; a 410 is the clearer signal). Watches
	// must therefore start after rev.
	first := sort.Search(len(b.events), func(i int) bool { return b.events[i].rev > rev })
	if first > 0 {
		b.events = append([]*event(nil), b.events[first:]...)
	}
}

// autoCompactLocked keeps the history within maxEvents and retention. It
// compacts with some slack so that compaction runs rarely.
func (b *Backend) autoCompactLocked(now time.Time) {
	if n := len(b.events); n > b.maxEvents+b.maxEvents/8 {
		b.compactLocked(b.events[n-b.maxEvents].rev - 1)
	}
	if len(b.events) > 0 && now.Sub(b.events[0].at) > b.retention && now.Sub(b.lastCompact) > b.retention/8 {
		cut := now.Add(-b.retention)
		i := sort.Search(len(b.events), func(i int) bool { return b.events[i].at.After(cut) })
		if i < len(b.events) {
			b.compactLocked(b.events[i].rev - 1)
		} else {
			b.compactLocked(b.rev)
		}
	}
}

// latestLocked returns the live value of key at the current revision.
func (b *Backend) latestLocked(key string) (kv, bool) {
	vs := b.history[key]
	if len(vs) == 0 || vs[len(vs)-1].value == nil {
		return kv{}, false
	}
	v := vs[len(vs)-1]
	return kv{key: key, value: v.value, modRev: v.modRev}, true
}

// atLocked returns the live value of key as of revision rev.
func (b *Backend) atLocked(key string, rev int64) (kv, bool) {
	vs := b.history[key]
	i := sort.Search(len(vs), func(i int) bool { return vs[i].modRev > rev }) - 1
	if i < 0 || vs[i].value == nil {
		return kv{}, false
	}
	return kv{key: key, value: vs[i].value, modRev: vs[i].modRev}, true
}

// checkReadRevLocked validates a read at rev (0 = latest) like etcd does.
func (b *Backend) checkReadRevLocked(rev int64) (int64, error) {
	if b.closed {
		return 0, errClosed
	}
	if rev == 0 {
		return b.rev, nil
	}
	if rev < b.compactRev {
		return 0, errCompacted
	}
	if rev > b.rev {
		return 0, errFutureRev
	}
	return rev, nil
}

// get reads one key at revision rev (0 = latest). It returns the revision the
// read was served at.
func (b *Backend) get(key string, rev int64) (kv, bool, int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	rev, err := b.checkReadRevLocked(rev)
	if err != nil {
		return kv{}, false, 0, err
	}
	v, ok := b.atLocked(key, rev)
	return v, ok, rev, nil
}

// listResult is one range read.
type listResult struct {
	rev int64
	kvs []kv
	// count is the number of live keys in [start, end of prefix) at rev,
	// including the returned ones (etcd's RangeResponse.Count).
	count int64
}

// list reads the live keys with the given prefix, starting at startKey (if
// later than prefix), at revision rev (0 = latest), returning at most limit
// of them (0 = all).
func (b *Backend) list(prefix, startKey string, rev int64, limit int64) (listResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	rev, err := b.checkReadRevLocked(rev)
	if err != nil {
		return listResult{}, err
	}
	if startKey < prefix {
		startKey = prefix
	}
	res := listResult{rev: rev}
	for i := sort.SearchStrings(b.keys, startKey); i < len(b.keys) && strings.HasPrefix(b.keys[i], prefix); i++ {
		v, ok := b.atLocked(b.keys[i], rev)
		if !ok {
			continue
		}
		res.count++
		if limit <= 0 || int64(len(res.kvs)) < limit {
			res.kvs = append(res.kvs, v)
		}
	}
	return res, nil
}

// count returns the number of live keys with prefix and the total size of
// their stored values.
func (b *Backend) count(prefix string) (n, size int64, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, 0, errClosed
	}
	for i := sort.SearchStrings(b.keys, prefix); i < len(b.keys) && strings.HasPrefix(b.keys[i], prefix); i++ {
		if v, ok := b.latestLocked(b.keys[i]); ok {
			n++
			size += int64(len(v.value))
		}
	}
	return n, size, nil
}

// writeLocked appends a new version (value nil = delete) of key at a new
// revision, logs the event, maintains the TTL table and wakes the watchers.
func (b *Backend) writeLocked(key string, value []byte, ttl uint64) int64 {
	now := b.now()
	prev, _ := b.latestLocked(key)
	b.rev++
	vs, had := b.history[key]
	if !had {
		i := sort.SearchStrings(b.keys, key)
		b.keys = append(b.keys, "")
		copy(b.keys[i+1:], b.keys[i:])
		b.keys[i] = key
	}
	b.history[key] = append(vs, version{modRev: b.rev, value: value})
	if len(vs) > 0 || value == nil {
		b.shrinkable[key] = struct{}{}
	}
	b.events = append(b.events, &event{rev: b.rev, key: key, value: value, prevValue: prev.value, at: now})

	// Like an etcd put without a lease, a write without TTL makes the key
	// permanent; a delete removes its lease.
	delete(b.expiry, key)
	if value != nil && ttl > 0 {
		deadline := now.Add(time.Duration(ttl) * time.Second)
		b.expiry[key] = deadline
		b.scheduleExpiryLocked(deadline)
	}

	close(b.changed)
	b.changed = make(chan struct{})
	b.autoCompactLocked(now)
	return b.rev
}

// put is an optimistic write, etcd's OptimisticPut: it succeeds only if the
// key's current modRevision equals expectedRev (0 = the key must not exist).
// On failure it returns the current value (ok=false when absent).
func (b *Backend) put(key string, value []byte, expectedRev int64, ttl uint64) (rev int64, succeeded bool, cur kv, curOK bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, false, kv{}, false, errClosed
	}
	cur, curOK = b.latestLocked(key)
	if cur.modRev != expectedRev {
		return b.rev, false, cur, curOK, nil
	}
	return b.writeLocked(key, value, ttl), true, kv{}, false, nil
}

// del is an optimistic delete, etcd's OptimisticDelete.
func (b *Backend) del(key string, expectedRev int64) (rev int64, succeeded bool, cur kv, curOK bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, false, kv{}, false, errClosed
	}
	cur, curOK = b.latestLocked(key)
	if !curOK || cur.modRev != expectedRev {
		return b.rev, false, cur, curOK, nil
	}
	return b.writeLocked(key, nil, 0), true, kv{}, false, nil
}

// scheduleExpiryLocked makes sure the TTL timer fires no later than deadline.
func (b *Backend) scheduleExpiryLocked(deadline time.Time) {
	if b.timer != nil && !b.timerAt.IsZero() && !deadline.Before(b.timerAt) {
		return
	}
	d := deadline.Sub(b.now())
	if d < 0 {
		d = 0
	}
	b.timerAt = deadline
	if b.timer == nil {
		b.timer = time.AfterFunc(d, b.expire)
		return
	}
	b.timer.Reset(d)
}

// expire deletes the keys whose TTL has passed, each as a normal delete (so
// watchers see DELETED, as with an etcd lease expiry), and re-arms the timer.
func (b *Backend) expire() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	now := b.now()
	var due []string
	var next time.Time
	for k, t := range b.expiry {
		if !t.After(now) {
			due = append(due, k)
		} else if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	sort.Strings(due)
	for _, k := range due {
		b.writeLocked(k, nil, 0)
	}
	b.timerAt = next // zero: the timer is not armed
	if !next.IsZero() && b.timer != nil {
		b.timer.Reset(next.Sub(now))
	}
}

// eventsSince returns up to max events with revision >= from whose key
// matches (exactly, or by prefix when recursive), and the last revision it
// examined (so the caller can advance past non-matching events). compacted is
// true when events at from have already been compacted away (see
// compactLocked).
func (b *Backend) eventsSince(from int64, key string, recursive bool, max int) (evs []*event, scannedTo int64, changed <-chan struct{}, closed, compacted bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	changed, closed = b.changed, b.closed
	if from <= b.compactRev {
		return nil, 0, changed, closed, true
	}
	scannedTo = b.rev
	i := sort.Search(len(b.events), func(i int) bool { return b.events[i].rev >= from })
	for ; i < len(b.events); i++ {
		e := b.events[i]
		if e.key == key || (recursive && strings.HasPrefix(e.key, key)) {
			if len(evs) == max {
				scannedTo = e.rev - 1
				break
			}
			evs = append(evs, e)
		}
	}
	return evs, scannedTo, changed, closed, false
}

// waitForRevision waits until the revision reaches rev, the backend's
// futureRevisionWait passes or ctx ends, whichever comes first.
func (b *Backend) waitForRevision(ctx context.Context, rev int64) {
	if b.futureRevisionWait <= 0 {
		return
	}
	var timeout <-chan time.Time
	for {
		b.mu.Lock()
		cur, changed, closed := b.rev, b.changed, b.closed
		b.mu.Unlock()
		if cur >= rev || closed {
			return
		}
		if timeout == nil {
			t := time.NewTimer(b.futureRevisionWait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-changed:
		case <-timeout:
			return
		case <-ctx.Done():
			return
		}
	}
}

// tooLargeRetrySeconds is the retry-after of "Too large resource version"
// errors from reads: 1 s when reads wait like the watch cache, else 0 like
// etcd3.
func (b *Backend) tooLargeRetrySeconds() int {
	if b.futureRevisionWait > 0 {
		return 1
	}
	return 0
}

// snapshot returns the live values under key (prefix when recursive) at the
// current revision, and that revision.
func (b *Backend) snapshot(key string, recursive bool) ([]kv, int64, error) {
	if !recursive {
		v, ok, rev, err := b.get(key, 0)
		if err != nil || !ok {
			return nil, rev, err
		}
		return []kv{v}, rev, nil
	}
	res, err := b.list(key, "", 0, 0)
	return res.kvs, res.rev, err
}
