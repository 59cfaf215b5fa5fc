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
	"path"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/apiserver/pkg/storage/storagebackend/factory"
	"k8s.io/apiserver/pkg/storage/value"
	"k8s.io/apiserver/pkg/storage/value/encrypt/identity"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// Messages of the 410 errors, byte for byte those of etcd3's errors.go
// (interpretListError, handleCompactedErrorForPaging, interpretWatchError).
const (
	expiredListMsg   = "The resourceVersion for the provided list is too old."
	expiredWatchMsg  = "The resourceVersion for the provided watch is too old."
	continueExpired  = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter."
	inconsistentCont = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
)

// Decorator returns a generic.StorageDecorator that serves every resource
// from this backend. It uses config.Codec, config.Prefix + resourcePrefix and
// config.Transformer (identity when nil) the way factory.Create does for etcd3.
// No watch cache is put in front: reads are cheap and always consistent.
func (b *Backend) Decorator() generic.StorageDecorator {
	return func(config *storagebackend.ConfigForResource, resourcePrefix string, _ func(obj runtime.Object) (string, error),
		newFunc, newListFunc func() runtime.Object, _ storage.AttrFunc, _ storage.IndexerFuncs, _ *cache.Indexers) (storage.Interface, factory.DestroyFunc, error) {
		s, err := b.NewStore(config.Codec, newFunc, newListFunc, config.Prefix, resourcePrefix, config.GroupResource, config.Transformer)
		if err != nil {
			return nil, nil, err
		}
		return s, func() {}, nil
	}
}

// NewStore returns the storage.Interface view of one resource, the analogue
// of etcd3.New. transformer may be nil (identity).
func (b *Backend) NewStore(codec runtime.Codec, newFunc, newListFunc func() runtime.Object, prefix, resourcePrefix string, gr schema.GroupResource, transformer value.Transformer) (storage.Interface, error) {
	return b.newStore(codec, newFunc, newListFunc, prefix, resourcePrefix, gr, transformer)
}

func (b *Backend) newStore(codec runtime.Codec, newFunc, newListFunc func() runtime.Object, prefix, resourcePrefix string, gr schema.GroupResource, transformer value.Transformer) (*store, error) {
	// Same prefix rules as etcd3.New.
	pathPrefix := path.Join("/", prefix)
	if !strings.HasSuffix(pathPrefix, "/") {
		pathPrefix += "/"
	}
	if resourcePrefix == "" {
		return nil, fmt.Errorf("resourcePrefix cannot be empty")
	}
	if resourcePrefix == "/" {
		return nil, fmt.Errorf("resourcePrefix cannot be /")
	}
	if !strings.HasPrefix(resourcePrefix, "/") {
		return nil, fmt.Errorf("resourcePrefix needs to start from /")
	}
	var decoded *decodeCache
	if transformer == nil {
		// As the etcd3 factory (storagebackend/factory/etcd3.go): no
		// transformation, and stored data that looks encrypted is an error.
		// That check depends on the bytes alone, so decodes can be kept.
		transformer = identity.NewEncryptCheckTransformer()
		decoded = &decodeCache{}
	}
	s := &store{
		backend:        b,
		codec:          codec,
		versioner:      storage.APIObjectVersioner{},
		transformer:    transformer,
		pathPrefix:     pathPrefix,
		resourcePrefix: resourcePrefix,
		groupResource:  gr,
		newFunc:        newFunc,
		newListFunc:    newListFunc,
		progress:       make(chan struct{}),
		decoded:        decoded,
	}
	return s, nil
}

// authenticatedData binds the transformed value to its key, like etcd3's
// authenticatedDataString.
type authenticatedData string

func (d authenticatedData) AuthenticatedData() []byte { return []byte(d) }

// store is the storage.Interface of one resource over a shared Backend.
type store struct {
	backend        *Backend
	codec          runtime.Codec
	versioner      storage.Versioner
	transformer    value.Transformer
	pathPrefix     string
	resourcePrefix string
	groupResource  schema.GroupResource
	newFunc        func() runtime.Object
	newListFunc    func() runtime.Object

	// progressMu guards progress, a broadcast channel closed (and replaced)
	// by RequestWatchProgress. Never held together with Backend.mu.
	progressMu sync.Mutex
	progress   chan struct{}

	sizeMu        sync.Mutex
	sizeEstimator bool

	// decoded remembers decoded values (decodecache.go); nil when a
	// transformer was given, whose reads (decryption, key rotation) must
	// happen on every read as etcd3's do.
	decoded *decodeCache
}

var _ storage.Interface = (*store)(nil)

func (s *store) Versioner() storage.Versioner { return s.versioner }

// prepareKey mirrors etcd3's store.prepareKey.
func (s *store) prepareKey(key string, recursive bool) (string, error) {
	key, err := storage.PrepareKey(s.resourcePrefix, key, recursive)
	if err != nil {
		return "", err
	}
	return s.pathPrefix + strings.TrimPrefix(key, "/"), nil
}

// decode decodes stored (transformed) bytes into out and sets its
// resourceVersion, like etcd3's defaultDecoder.Decode.
func (s *store) decode(ctx context.Context, key string, stored []byte, out runtime.Object, rev int64) error {
	if s.decoded.getInto(stored, rev, out) {
		return nil
	}
	data, _, err := s.transformer.TransformFromStorage(ctx, stored, authenticatedData(key))
	if err != nil {
		return storage.NewInternalError(err)
	}
	if err := s.decodeData(data, out, rev); err != nil {
		return err
	}
	s.decoded.put(stored, rev, out)
	return nil
}

func (s *store) decodeData(data []byte, out runtime.Object, rev int64) error {
	if _, err := conversion.EnforcePtr(out); err != nil {
		return fmt.Errorf("unable to convert output object to pointer: %v", err)
	}
	if _, _, err := s.codec.Decode(data, nil, out); err != nil {
		return err
	}
	if err := s.versioner.UpdateObject(out, uint64(rev)); err != nil {
		klog.Errorf("failed to update object version: %v", err)
	}
	return nil
}

// Stats implements storage.Interface.Stats. The average object size is only
// reported once EnableResourceSizeEstimation was called, as in etcd3; here
// it is exact (the size of the stored, transformed values).
func (s *store) Stats(context.Context) (storage.Stats, error) {
	prefix, err := s.prepareKey(s.resourcePrefix, true)
	if err != nil {
		return storage.Stats{}, err
	}
	n, size, err := s.backend.count(prefix)
	if err != nil {
		return storage.Stats{}, err
	}
	stats := storage.Stats{ObjectCount: n}
	s.sizeMu.Lock()
	defer s.sizeMu.Unlock()
	if s.sizeEstimator && n > 0 {
		stats.EstimatedAverageObjectSizeBytes = size / n
	}
	return stats, nil
}

// EnableResourceSizeEstimation implements storage.Interface. The keys
// function is not needed: sizes are read directly from memory.
func (s *store) EnableResourceSizeEstimation(getKeys storage.KeysFunc) error {
	if getKeys == nil {
		return errors.New("KeysFunc cannot be nil")
	}
	s.sizeMu.Lock()
	defer s.sizeMu.Unlock()
	if s.sizeEstimator {
		return errors.New("resourceSizeEstimator already enabled")
	}
	s.sizeEstimator = true
	return nil
}

// ReadinessCheck implements storage.Interface.
func (s *store) ReadinessCheck() error {
	s.backend.mu.Lock()
	defer s.backend.mu.Unlock()
	if s.backend.closed {
		return errClosed
	}
	return nil
}

// GetCurrentResourceVersion implements storage.Interface.
func (s *store) GetCurrentResourceVersion(context.Context) (uint64, error) {
	s.backend.mu.Lock()
	defer s.backend.mu.Unlock()
	if s.backend.closed {
		return 0, errClosed
	}
	return uint64(s.backend.rev), nil
}

// CompactRevision implements storage.Interface.
func (s *store) CompactRevision() int64 { return s.backend.CompactRevision() }
