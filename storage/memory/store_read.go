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
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apiserver/pkg/features"
	"k8s.io/apiserver/pkg/storage"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/klog/v2"
)

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
		obj := s.decoded.get(item.value, item.modRev)
		if obj == nil {
			data, _, err := s.transformer.TransformFromStorage(ctx, item.value, authenticatedData(item.key))
			if err != nil {
				return storage.NewInternalError(fmt.Errorf("unable to transform key %q: %w", item.key, err))
			}
			if obj, _, err = s.codec.Decode(data, nil, newItemFunc()); err != nil {
				return err
			}
			if err := s.versioner.UpdateObject(obj, uint64(item.modRev)); err != nil {
				klog.Errorf("failed to update object version: %v", err)
			}
			s.decoded.put(item.value, item.modRev, obj)
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
