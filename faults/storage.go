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

package faults

import (
	"context"
	"errors"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/apiserver/pkg/storage/storagebackend/factory"
	"k8s.io/client-go/tools/cache"
)

// Decorate wraps a storage decorator so that the storage of every resource
// can fail as an etcd-backed storage fails: InternalError and ServerTimeout
// faults make a storage call return an internal or an unreachable error
// before it reaches the store (nothing is read or written), and the
// registry turns them into the answer kube-apiserver gives; WatchEnd and
// WatchExpired faults end a watch after some events, cleanly or with the
// 410 ERROR event etcd3's watcher sends for a compacted revision, and the
// watch handler encodes it for whatever the client accepts.
func (s *Set) Decorate(inner generic.StorageDecorator) generic.StorageDecorator {
	return func(config *storagebackend.ConfigForResource, resourcePrefix string, keyFunc func(obj runtime.Object) (string, error),
		newFunc, newListFunc func() runtime.Object, getAttrs storage.AttrFunc, trigger storage.IndexerFuncs, indexers *cache.Indexers,
	) (storage.Interface, factory.DestroyFunc, error) {
		st, destroy, err := inner(config, resourcePrefix, keyFunc, newFunc, newListFunc, getAttrs, trigger, indexers)
		if err != nil {
			return nil, nil, err
		}
		return &faultStorage{Interface: st, set: s, resource: config.GroupResource}, destroy, nil
	}
}

type faultStorage struct {
	storage.Interface
	set      *Set
	resource schema.GroupResource
}

// fail returns the storage error of a fault that fires on this call, if
// one does. Calls made outside a request (the server's own start-up work)
// never match.
func (f *faultStorage) fail(ctx context.Context, key string) (*Rule, error) {
	if !f.set.active.Load() {
		return nil, nil
	}
	req, ok := requestFrom(ctx)
	// Only the storage of the request's own resource fails: a pod create
	// also reads its namespace (NamespaceLifecycle admission), which
	// kube-apiserver does from an informer, never from etcd.
	if !ok || req.resource != f.resource.Resource || req.group != f.resource.Group {
		return nil, nil
	}
	rule := f.set.fire(ctx, layerStorage, req)
	switch {
	case rule == nil:
		return nil, nil
	case rule.InternalError != nil:
		msg := rule.InternalError.Message
		if msg == "" {
			msg = "etcdserver: request timed out"
		}
		return rule, storage.NewInternalError(errors.New(msg))
	case rule.ServerTimeout != nil:
		return rule, storage.NewUnreachableError(key, 0)
	}
	return rule, nil
}

func (f *faultStorage) Create(ctx context.Context, key string, obj, out runtime.Object, ttl uint64) error {
	if _, err := f.fail(ctx, key); err != nil {
		return err
	}
	return f.Interface.Create(ctx, key, obj, out, ttl)
}

func (f *faultStorage) Delete(ctx context.Context, key string, out runtime.Object, preconditions *storage.Preconditions,
	validateDeletion storage.ValidateObjectFunc, cachedExistingObject runtime.Object, opts storage.DeleteOptions) error {
	if _, err := f.fail(ctx, key); err != nil {
		return err
	}
	return f.Interface.Delete(ctx, key, out, preconditions, validateDeletion, cachedExistingObject, opts)
}

func (f *faultStorage) Get(ctx context.Context, key string, opts storage.GetOptions, objPtr runtime.Object) error {
	if _, err := f.fail(ctx, key); err != nil {
		return err
	}
	return f.Interface.Get(ctx, key, opts, objPtr)
}

func (f *faultStorage) GetList(ctx context.Context, key string, opts storage.ListOptions, listObj runtime.Object) error {
	if _, err := f.fail(ctx, key); err != nil {
		return err
	}
	return f.Interface.GetList(ctx, key, opts, listObj)
}

func (f *faultStorage) GuaranteedUpdate(ctx context.Context, key string, destination runtime.Object, ignoreNotFound bool,
	preconditions *storage.Preconditions, tryUpdate storage.UpdateFunc, cachedExistingObject runtime.Object) error {
	if _, err := f.fail(ctx, key); err != nil {
		return err
	}
	return f.Interface.GuaranteedUpdate(ctx, key, destination, ignoreNotFound, preconditions, tryUpdate, cachedExistingObject)
}

func (f *faultStorage) Watch(ctx context.Context, key string, opts storage.ListOptions) (watch.Interface, error) {
	rule, err := f.fail(ctx, key)
	if err != nil {
		return nil, err
	}
	w, err := f.Interface.Watch(ctx, key, opts)
	if err != nil || rule == nil {
		return w, err
	}
	switch {
	case rule.WatchEnd != nil:
		return endAfter(w, rule.WatchEnd.AfterEvents, nil), nil
	case rule.WatchExpired != nil:
		msg := rule.WatchExpired.Message
		if msg == "" {
			// pkg/storage/etcd3/errors.go, interpretWatchError.
			msg = "The resourceVersion for the provided watch is too old."
		}
		status := apierrors.NewResourceExpired(msg).ErrStatus
		return endAfter(w, rule.WatchExpired.AfterEvents, &watch.Event{Type: watch.Error, Object: &status}), nil
	}
	return w, nil
}

// endAfter forwards the first n events of w (bookmarks pass but do not
// count), then sends last, if any, and ends the watch.
func endAfter(w watch.Interface, n int, last *watch.Event) watch.Interface {
	e := &endingWatcher{inner: w, result: make(chan watch.Event), stop: make(chan struct{})}
	go e.run(n, last)
	return e
}

type endingWatcher struct {
	inner    watch.Interface
	result   chan watch.Event
	stop     chan struct{}
	stopOnce sync.Once
}

func (e *endingWatcher) run(n int, last *watch.Event) {
	defer close(e.result)
	defer e.inner.Stop()
	in := e.inner.ResultChan()
	for seen := 0; seen < n; {
		select {
		case ev, ok := <-in:
			if !ok {
				return
			}
			select {
			case e.result <- ev:
			case <-e.stop:
				return
			}
			if ev.Type != watch.Bookmark {
				seen++
			}
		case <-e.stop:
			return
		}
	}
	if last != nil {
		select {
		case e.result <- *last:
		case <-e.stop:
		}
	}
}

func (e *endingWatcher) ResultChan() <-chan watch.Event { return e.result }

func (e *endingWatcher) Stop() { e.stopOnce.Do(func() { close(e.stop) }) }
