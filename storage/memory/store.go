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
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"reflect"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/features"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/apiserver/pkg/storage/storagebackend/factory"
	"k8s.io/apiserver/pkg/storage/value"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
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
	if transformer == nil {
		transformer = identityTransformer{}
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
	}
	return s, nil
}

type identityTransformer struct{}

func (identityTransformer) TransformFromStorage(_ context.Context, data []byte, _ value.Context) ([]byte, bool, error) {
	return data, false, nil
}
func (identityTransformer) TransformToStorage(_ context.Context, data []byte, _ value.Context) ([]byte, error) {
	return data, nil
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
	data, _, err := s.transformer.TransformFromStorage(ctx, stored, authenticatedData(key))
	if err != nil {
		return storage.NewInternalError(err)
	}
	return s.decodeData(data, out, rev)
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

// validateMinimumResourceVersion mirrors etcd3's function of that name.
func (s *store) validateMinimumResourceVersion(minimumResourceVersion string, actualRevision uint64) error {
	if minimumResourceVersion == "" {
		return nil
	}
	minimumRV, err := s.versioner.ParseResourceVersion(minimumResourceVersion)
	if err != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("invalid resource version: %v", err))
	}
	if minimumRV > actualRevision {
		return storage.NewTooLargeResourceVersionError(minimumRV, actualRevision, s.backend.tooLargeRetrySeconds())
	}
	return nil
}

// waitForResourceVersion gives a read at a future resourceVersion the chance
// to become servable (see DefaultFutureRevisionWait). Unparsable versions are
// left to the validation that follows.
func (s *store) waitForResourceVersion(ctx context.Context, resourceVersion string) {
	if resourceVersion == "" {
		return
	}
	if rv, err := s.versioner.ParseResourceVersion(resourceVersion); err == nil && rv > 0 {
		s.backend.waitForRevision(ctx, int64(rv))
	}
}

// Get implements storage.Interface.Get.
func (s *store) Get(ctx context.Context, key string, opts storage.GetOptions, out runtime.Object) error {
	preparedKey, err := s.prepareKey(key, false)
	if err != nil {
		return err
	}
	s.waitForResourceVersion(ctx, opts.ResourceVersion)
	v, ok, rev, err := s.backend.get(preparedKey, 0)
	if err != nil {
		return err
	}
	if err := s.validateMinimumResourceVersion(opts.ResourceVersion, uint64(rev)); err != nil {
		return err
	}
	if !ok {
		if opts.IgnoreNotFound {
			return runtime.SetZeroValue(out)
		}
		return storage.NewKeyNotFoundError(preparedKey, 0)
	}
	return s.decode(ctx, preparedKey, v.value, out, v.modRev)
}

// Create implements storage.Interface.Create.
func (s *store) Create(ctx context.Context, key string, obj, out runtime.Object, ttl uint64) error {
	preparedKey, err := s.prepareKey(key, false)
	if err != nil {
		return err
	}
	if version, err := s.versioner.ObjectResourceVersion(obj); err == nil && version != 0 {
		return storage.ErrResourceVersionSetOnCreate
	}
	if err := s.versioner.PrepareObjectForStorage(obj); err != nil {
		return fmt.Errorf("PrepareObjectForStorage failed: %v", err)
	}
	data, err := runtime.Encode(s.codec, obj)
	if err != nil {
		return err
	}
	newData, err := s.transformer.TransformToStorage(ctx, data, authenticatedData(preparedKey))
	if err != nil {
		return storage.NewInternalError(err)
	}
	rev, ok, _, _, err := s.backend.put(preparedKey, newData, 0, ttl)
	if err != nil {
		return err
	}
	if !ok {
		return storage.NewKeyExistsError(preparedKey, 0)
	}
	if out != nil {
		return s.decodeData(data, out, rev)
	}
	return nil
}

// objState mirrors etcd3's objState: a decoded object and what it came from.
type objState struct {
	obj   runtime.Object
	meta  *storage.ResponseMeta
	rev   int64
	data  []byte // decoded-from (untransformed) bytes
	stale bool
}

func newObjFor(v reflect.Value) runtime.Object {
	if u, ok := v.Addr().Interface().(runtime.Unstructured); ok {
		return u.NewEmptyInstance()
	}
	return reflect.New(v.Type()).Interface().(runtime.Object)
}

// getState builds an objState from a stored value (etcd3's getState, without
// the unsafe-deletion path).
func (s *store) getState(ctx context.Context, cur kv, exists bool, key string, v reflect.Value, ignoreNotFound bool) (*objState, error) {
	state := &objState{meta: &storage.ResponseMeta{}, obj: newObjFor(v)}
	if !exists {
		if !ignoreNotFound {
			return nil, storage.NewKeyNotFoundError(key, 0)
		}
		if err := runtime.SetZeroValue(state.obj); err != nil {
			return nil, err
		}
		return state, nil
	}
	state.rev = cur.modRev
	state.meta.ResourceVersion = uint64(cur.modRev)
	data, stale, err := s.transformer.TransformFromStorage(ctx, cur.value, authenticatedData(key))
	if err != nil {
		return nil, storage.NewInternalError(err)
	}
	state.data, state.stale = data, stale
	if err := s.decodeData(data, state.obj, state.rev); err != nil {
		return nil, err
	}
	return state, nil
}

func (s *store) getCurrentState(ctx context.Context, key string, v reflect.Value, ignoreNotFound bool) func() (*objState, error) {
	return func() (*objState, error) {
		cur, ok, _, err := s.backend.get(key, 0)
		if err != nil {
			return nil, err
		}
		return s.getState(ctx, cur, ok, key, v, ignoreNotFound)
	}
}

// getStateFromObject mirrors etcd3's getStateFromObject: it trusts a cached
// object as a suggestion of the current state.
func (s *store) getStateFromObject(obj runtime.Object) (*objState, error) {
	state := &objState{obj: obj, meta: &storage.ResponseMeta{}}
	rv, err := s.versioner.ObjectResourceVersion(obj)
	if err != nil {
		return nil, fmt.Errorf("couldn't get resource version: %v", err)
	}
	state.rev = int64(rv)
	state.meta.ResourceVersion = rv
	// The serialized form is computed without the resourceVersion, which is
	// never stored.
	if err := s.versioner.PrepareObjectForStorage(obj); err != nil {
		return nil, fmt.Errorf("PrepareObjectForStorage failed: %v", err)
	}
	state.data, err = runtime.Encode(s.codec, obj)
	if err != nil {
		return nil, err
	}
	if err := s.versioner.UpdateObject(state.obj, rv); err != nil {
		klog.Errorf("failed to update object version: %v", err)
	}
	return state, nil
}

// Delete implements storage.Interface.Delete, following etcd3's
// conditionalDelete: preconditions and validateDeletion are checked against
// the cached object first and re-checked against fresh state only when the
// cached one turns out to be stale.
func (s *store) Delete(ctx context.Context, key string, out runtime.Object, preconditions *storage.Preconditions,
	validateDeletion storage.ValidateObjectFunc, cachedExistingObject runtime.Object, _ storage.DeleteOptions) error {
	preparedKey, err := s.prepareKey(key, false)
	if err != nil {
		return err
	}
	v, err := conversion.EnforcePtr(out)
	if err != nil {
		return fmt.Errorf("unable to convert output object to pointer: %v", err)
	}
	getCurrentState := s.getCurrentState(ctx, preparedKey, v, false)

	var origState *objState
	var origStateIsCurrent bool
	if cachedExistingObject != nil {
		origState, err = s.getStateFromObject(cachedExistingObject)
	} else {
		origState, err = getCurrentState()
		origStateIsCurrent = true
	}
	if err != nil {
		return err
	}

	// recheck re-reads the state after a check failed on possibly stale
	// data; it reports whether to retry, or the error to return.
	recheck := func(checkErr error) (bool, error) {
		if origStateIsCurrent {
			return false, checkErr
		}
		cachedRev := origState.rev
		origState, err = getCurrentState()
		if err != nil {
			return false, err
		}
		origStateIsCurrent = true
		if cachedRev == origState.rev {
			return false, checkErr
		}
		return true, nil
	}

	for {
		if preconditions != nil {
			if err := preconditions.Check(preparedKey, origState.obj); err != nil {
				if retry, err := recheck(err); !retry {
					return err
				}
				continue
			}
		}
		if err := validateDeletion(ctx, origState.obj); err != nil {
			if retry, err := recheck(err); !retry {
				return err
			}
			continue
		}
		rev, ok, cur, curOK, err := s.backend.del(preparedKey, origState.rev)
		if err != nil {
			return err
		}
		if !ok {
			klog.V(4).Infof("deletion of %s failed because of a conflict, going to retry", preparedKey)
			origState, err = s.getState(ctx, cur, curOK, preparedKey, v, false)
			if err != nil {
				return err
			}
			origStateIsCurrent = true
			continue
		}
		return s.decodeData(origState.data, out, rev)
	}
}

// GuaranteedUpdate implements storage.Interface.GuaranteedUpdate, following
// etcd3's GuaranteedUpdate step by step (including skipping the write when
// the new serialization equals the stored one).
func (s *store) GuaranteedUpdate(ctx context.Context, key string, destination runtime.Object, ignoreNotFound bool,
	preconditions *storage.Preconditions, tryUpdate storage.UpdateFunc, cachedExistingObject runtime.Object) error {
	preparedKey, err := s.prepareKey(key, false)
	if err != nil {
		return err
	}
	v, err := conversion.EnforcePtr(destination)
	if err != nil {
		return fmt.Errorf("unable to convert output object to pointer: %v", err)
	}
	getCurrentState := s.getCurrentState(ctx, preparedKey, v, ignoreNotFound)

	var origState *objState
	var origStateIsCurrent bool
	if cachedExistingObject != nil {
		origState, err = s.getStateFromObject(cachedExistingObject)
	} else {
		origState, err = getCurrentState()
		origStateIsCurrent = true
	}
	if err != nil {
		return err
	}

	for {
		if err := preconditions.Check(preparedKey, origState.obj); err != nil {
			if origStateIsCurrent {
				return err
			}
			if origState, err = getCurrentState(); err != nil {
				return err
			}
			origStateIsCurrent = true
			continue
		}

		ret, ttlPtr, err := tryUpdate(origState.obj, *origState.meta)
		if err == nil {
			err = s.versioner.PrepareObjectForStorage(ret)
			if err != nil {
				err = fmt.Errorf("PrepareObjectForStorage failed: %v", err)
			}
		}
		if err != nil {
			if origStateIsCurrent {
				return err
			}
			cachedRev, cachedUpdateErr := origState.rev, err
			if origState, err = getCurrentState(); err != nil {
				return err
			}
			origStateIsCurrent = true
			if cachedRev == origState.rev {
				return cachedUpdateErr
			}
			continue
		}
		var ttl uint64
		if ttlPtr != nil {
			ttl = *ttlPtr
		}

		data, err := runtime.Encode(s.codec, ret)
		if err != nil {
			return err
		}
		if !origState.stale && bytes.Equal(data, origState.data) {
			// A suggestion may be stale: only skip the write once the
			// stored data is known to be equal.
			if !origStateIsCurrent {
				if origState, err = getCurrentState(); err != nil {
					return err
				}
				origStateIsCurrent = true
				if !bytes.Equal(data, origState.data) {
					continue
				}
			}
			if !origState.stale {
				return s.decodeData(origState.data, destination, origState.rev)
			}
		}

		newData, err := s.transformer.TransformToStorage(ctx, data, authenticatedData(preparedKey))
		if err != nil {
			return storage.NewInternalError(err)
		}
		rev, ok, cur, curOK, err := s.backend.put(preparedKey, newData, origState.rev, ttl)
		if err != nil {
			return err
		}
		if !ok {
			klog.V(4).Infof("GuaranteedUpdate of %s failed because of a conflict, going to retry", preparedKey)
			if origState, err = s.getState(ctx, cur, curOK, preparedKey, v, ignoreNotFound); err != nil {
				return err
			}
			origStateIsCurrent = true
			continue
		}
		return s.decodeData(data, destination, rev)
	}
}

// GetList implements storage.Interface.GetList with etcd3's semantics for
// resourceVersion, resourceVersionMatch, limit and continue.
func (s *store) GetList(ctx context.Context, key string, opts storage.ListOptions, listObj runtime.Object) error {
	keyPrefix, err := s.prepareKey(key, opts.Recursive)
	if err != nil {
		return err
	}
	listPtr, err := meta.GetItemsPtr(listObj)
	if err != nil {
		return err
	}
	v, err := conversion.EnforcePtr(listPtr)
	if err != nil || v.Kind() != reflect.Slice {
		return fmt.Errorf("need ptr to slice: %v", err)
	}
	newItemFunc := getNewItemFunc(listObj, v)
	if opts.ResourceVersion == "0" && !s.backend.etcd3Reads {
		// kube-apiserver serves resourceVersion=0 lists from its watch cache,
		// which ignores limit there and returns everything without a
		// continue token (cacher.go computeListLimit; upstream issue
		// #108003). Clients of a real server see that, so do the same.
		opts.Predicate.Limit = 0
	}
	paging := opts.Predicate.Limit > 0

	withRev, continueKey, err := storage.ValidateListOptions(keyPrefix, s.versioner, opts)
	if err != nil {
		return err
	}

	if withRev > 0 {
		s.backend.waitForRevision(ctx, withRev)
	} else {
		s.waitForResourceVersion(ctx, opts.ResourceVersion)
	}
	var res listResult
	if opts.Recursive {
		res, err = s.backend.list(keyPrefix, continueKey, withRev, 0)
	} else {
		var one kv
		var ok bool
		one, ok, res.rev, err = s.backend.get(keyPrefix, withRev)
		if ok {
			res.kvs, res.count = []kv{one}, 1
		}
	}
	if err != nil {
		return s.listReadError(err, withRev, len(opts.Predicate.Continue) > 0, continueKey, keyPrefix)
	}
	if withRev == 0 {
		if err := s.validateMinimumResourceVersion(opts.ResourceVersion, uint64(res.rev)); err != nil {
			return err
		}
	}
	withRev = res.rev

	if v.IsNil() {
		v.Set(reflect.MakeSlice(v.Type(), 0, len(res.kvs)))
	}
	var lastKey string
	hasMore := false
	for i, item := range res.kvs {
		if paging && int64(v.Len()) >= opts.Predicate.Limit {
			hasMore = true
			break
		}
		lastKey = item.key
		if err := ctx.Err(); err != nil {
			return storage.NewTimeoutError(item.key, "request did not complete within requested timeout")
		}
		data, _, err := s.transformer.TransformFromStorage(ctx, item.value, authenticatedData(item.key))
		if err != nil {
			return storage.NewInternalError(fmt.Errorf("unable to transform key %q: %w", item.key, err))
		}
		obj, _, err := s.codec.Decode(data, nil, newItemFunc())
		if err != nil {
			return err
		}
		if err := s.versioner.UpdateObject(obj, uint64(item.modRev)); err != nil {
			klog.Errorf("failed to update object version: %v", err)
		}
		if matched, err := opts.Predicate.Matches(obj); err == nil && matched {
			v.Set(reflect.Append(v, reflect.ValueOf(obj).Elem()))
		}
		res.kvs[i] = kv{}
	}
	// etcd's count covers the keys from the start of the read; remaining
	// items are count - limit, as PrepareContinueToken computes.
	continueValue, remainingItemCount, err := storage.PrepareContinueToken(lastKey, keyPrefix, withRev, res.count, hasMore, opts)
	if err != nil {
		return err
	}
	if err := s.versioner.UpdateList(listObj, uint64(withRev), continueValue, remainingItemCount); err != nil {
		return err
	}
	// As etcd3's finalizeList.
	if utilfeature.DefaultFeatureGate.Enabled(features.ShardedListAndWatch) {
		opts.Predicate.SetShardInfoOnList(listObj)
	}
	return nil
}

// listReadError maps backend read errors like etcd3's listReadError and
// interpretListError.
func (s *store) listReadError(err error, withRev int64, paging bool, continueKey, keyPrefix string) error {
	switch {
	case errors.Is(err, errFutureRev):
		return storage.NewTooLargeResourceVersionError(uint64(withRev), uint64(s.backend.Revision()), s.backend.tooLargeRetrySeconds())
	case errors.Is(err, errCompacted):
		if paging {
			newToken, encErr := storage.EncodeContinue(continueKey, keyPrefix, -1)
			if encErr != nil {
				utilruntime.HandleError(encErr)
				return apierrors.NewResourceExpired(continueExpired)
			}
			statusError := apierrors.NewResourceExpired(inconsistentCont)
			statusError.ErrStatus.ListMeta.Continue = newToken
			return statusError
		}
		return apierrors.NewResourceExpired(expiredListMsg)
	}
	return err
}

// getNewItemFunc mirrors etcd3's: unstructured list items keep the list's
// apiVersion.
func getNewItemFunc(listObj runtime.Object, v reflect.Value) func() runtime.Object {
	if ul, ok := listObj.(*unstructured.UnstructuredList); ok {
		if apiVersion := ul.GetAPIVersion(); len(apiVersion) > 0 {
			return func() runtime.Object {
				return &unstructured.Unstructured{Object: map[string]interface{}{"apiVersion": apiVersion}}
			}
		}
	}
	elem := v.Type().Elem()
	return func() runtime.Object { return reflect.New(elem).Interface().(runtime.Object) }
}

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
