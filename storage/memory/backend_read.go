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
	"sort"
	"strings"
	"time"
)

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
