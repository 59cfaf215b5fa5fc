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
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/klog/v2"
)

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

// startConditionalWrite is how Delete and GuaranteedUpdate (etcd3's
// conditionalDelete and GuaranteedUpdate) both begin: prepare the key, check
// that out is a pointer, and take the state to start from, which is the
// cached object when there is one (a suggestion, re-checked against the
// current state once a check on it fails) and else the current state.
func (s *store) startConditionalWrite(ctx context.Context, key string, out runtime.Object, ignoreNotFound bool, cachedExistingObject runtime.Object) (
	preparedKey string, v reflect.Value, getCurrentState func() (*objState, error), origState *objState, origStateIsCurrent bool, err error) {
	preparedKey, err = s.prepareKey(key, false)
	if err != nil {
		return "", v, nil, nil, false, err
	}
	v, err = conversion.EnforcePtr(out)
	if err != nil {
		return "", v, nil, nil, false, fmt.Errorf("unable to convert output object to pointer: %v", err)
	}
	getCurrentState = s.getCurrentState(ctx, preparedKey, v, ignoreNotFound)
	if cachedExistingObject != nil {
		origState, err = s.getStateFromObject(cachedExistingObject)
	} else {
		origState, err = getCurrentState()
		origStateIsCurrent = true
	}
	if err != nil {
		return "", v, nil, nil, false, err
	}
	return preparedKey, v, getCurrentState, origState, origStateIsCurrent, nil
}

// Delete implements storage.Interface.Delete, following etcd3's
// conditionalDelete: preconditions and validateDeletion are checked against
// the cached object first and re-checked against fresh state only when the
// cached one turns out to be stale.
func (s *store) Delete(ctx context.Context, key string, out runtime.Object, preconditions *storage.Preconditions,
	validateDeletion storage.ValidateObjectFunc, cachedExistingObject runtime.Object, _ storage.DeleteOptions) error {
	preparedKey, v, getCurrentState, origState, origStateIsCurrent, err := s.startConditionalWrite(ctx, key, out, false, cachedExistingObject)
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
	preparedKey, v, getCurrentState, origState, origStateIsCurrent, err := s.startConditionalWrite(ctx, key, destination, ignoreNotFound, cachedExistingObject)
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
