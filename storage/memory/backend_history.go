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
	"strings"
	"time"
)

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
