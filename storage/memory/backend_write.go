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
	"sort"
	"time"
)

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
