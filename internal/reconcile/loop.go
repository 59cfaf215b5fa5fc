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

// Package reconcile is the work loop the simulated controllers share, the
// shape every kube-controller-manager controller has: informer events put
// keys on a rate-limited queue, workers sync one key at a time, a failed
// sync is retried with back-off, and a sync may ask to look again later.
package reconcile

import (
	"context"
	"time"

	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// SyncFunc syncs one key. A positive duration asks for another sync of the
// key that much later.
type SyncFunc func(ctx context.Context, key string) (time.Duration, error)

// Loop is a queue of keys and the function that syncs them.
type Loop struct {
	name  string
	queue workqueue.TypedRateLimitingInterface[string]
	sync  SyncFunc
}

// New returns a loop named after its controller.
func New(name string, sync SyncFunc) *Loop {
	rl := workqueue.NewTypedItemExponentialFailureRateLimiter[string](5*time.Millisecond, 30*time.Second)
	return &Loop{
		name:  name,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(rl, workqueue.TypedRateLimitingQueueConfig[string]{Name: name}),
		sync:  sync,
	}
}

// Add queues key.
func (l *Loop) Add(key string) { l.queue.Add(key) }

// AddAfter queues key after d.
func (l *Loop) AddAfter(key string, d time.Duration) { l.queue.AddAfter(key, d) }

// Enqueue queues the namespace/name key of an informer object (tombstones
// included).
func (l *Loop) Enqueue(obj interface{}) {
	if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
		l.queue.Add(key)
	}
}

// Handlers queue every added, updated and deleted object.
func (l *Loop) Handlers() cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    l.Enqueue,
		UpdateFunc: func(_, obj interface{}) { l.Enqueue(obj) },
		DeleteFunc: l.Enqueue,
	}
}

// Run waits for the informers to sync, then works with the given number of
// workers until ctx ends.
func (l *Loop) Run(ctx context.Context, workers int, synced ...cache.InformerSynced) {
	defer l.queue.ShutDown()
	if !WaitForSync(ctx, synced...) {
		return
	}
	done := make(chan struct{})
	for i := 0; i < workers; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for l.next(ctx) {
			}
		}()
	}
	<-ctx.Done()
	l.queue.ShutDown()
	for i := 0; i < workers; i++ {
		<-done
	}
}

func (l *Loop) next(ctx context.Context) bool {
	key, shutdown := l.queue.Get()
	if shutdown {
		return false
	}
	defer l.queue.Done(key)
	after, err := l.sync(ctx, key)
	switch {
	case err != nil && ctx.Err() == nil:
		klog.V(2).InfoS("Sync failed, retrying", "controller", l.name, "key", key, "err", err)
		l.queue.AddRateLimited(key)
	case err == nil:
		l.queue.Forget(key)
		if after > 0 {
			l.queue.AddAfter(key, after)
		}
	}
	return true
}

// WaitForSync waits until every informer has synced or ctx ends, and
// reports whether they synced. It polls from 1 ms on, doubling up to 20 ms:
// client-go's WaitForCacheSync polls every 100 ms, which would make every
// controller of a freshly started cluster wait that long for an informer
// that syncs within milliseconds.
func WaitForSync(ctx context.Context, synced ...cache.InformerSynced) bool {
	interval := time.Millisecond
	for {
		all := true
		for _, s := range synced {
			if !s() {
				all = false
				break
			}
		}
		if all {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(interval):
		}
		if interval < 20*time.Millisecond {
			interval *= 2
		}
	}
}
