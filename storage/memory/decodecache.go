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
	"reflect"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
)

// decodeCache keeps the objects decoded from stored values, so that a LIST
// or an event delivered to many watchers decodes each value once rather
// than once per read and per watcher: the work kube-apiserver's watch cache
// saves it (k8s.io/apiserver pkg/storage/cacher), done here by remembering
// decodes. Readers get deep copies, so nothing they change reaches the
// cache.
//
// An entry is found by the stored bytes themselves (their address and
// length) and the resourceVersion the object was stamped with. Stored values
// are never modified once written, and a map key holding the address keeps
// the bytes alive, so an address cannot come back for other bytes while its
// entry exists.
type decodeCache struct {
	mu      sync.Mutex
	entries map[decodeKey]runtime.Object
}

type decodeKey struct {
	data *byte
	size int
	rev  int64
}

// decodeCacheSize bounds the entries; when full, the cache starts over.
// Several thousand objects is more than a test server holds per resource.
const decodeCacheSize = 8192

func (c *decodeCache) keyOf(data []byte, rev int64) (decodeKey, bool) {
	if c == nil || len(data) == 0 {
		return decodeKey{}, false
	}
	return decodeKey{data: &data[0], size: len(data), rev: rev}, true
}

// get returns a copy of the object decoded from data stamped with rev, or
// nil. A nil cache keeps nothing.
func (c *decodeCache) get(data []byte, rev int64) runtime.Object {
	k, ok := c.keyOf(data, rev)
	if !ok {
		return nil
	}
	c.mu.Lock()
	obj := c.entries[k]
	c.mu.Unlock()
	if obj == nil {
		return nil
	}
	return obj.DeepCopyObject()
}

// getInto copies the cached object into out and reports whether it could:
// out must be of the cached object's type.
func (c *decodeCache) getInto(data []byte, rev int64, out runtime.Object) bool {
	obj := c.get(data, rev)
	if obj == nil {
		return false
	}
	dst, src := reflect.ValueOf(out), reflect.ValueOf(obj)
	if dst.Type() != src.Type() || dst.Kind() != reflect.Pointer {
		return false
	}
	dst.Elem().Set(src.Elem())
	return true
}

// put remembers a copy of obj, decoded from data and stamped with rev.
func (c *decodeCache) put(data []byte, rev int64, obj runtime.Object) {
	k, ok := c.keyOf(data, rev)
	if !ok {
		return
	}
	cp := obj.DeepCopyObject()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= decodeCacheSize {
		c.entries = make(map[decodeKey]runtime.Object)
	}
	c.entries[k] = cp
}
