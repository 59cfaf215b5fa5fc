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

package admission

import (
	"context"
	"time"

	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// StorageSource is the REST storage an informer reads.
type StorageSource interface {
	rest.Lister
	rest.Watcher
}

// NewInformerFactory returns the shared informer factory the webhook and
// policy plugins read from. kube-apiserver gives them informers over a
// loopback client; here the informers for the types in sources (keyed by an
// empty object of the type) list and watch the REST storage directly. What
// the plugins see is the same (the objects as stored, with their
// resourceVersions), but an informer syncs in microseconds, without a TLS
// connection per watch, so a server is ready as fast as before. The factory
// hands out those informers for their types and client-backed ones for any
// other.
func NewInformerFactory(client kubernetes.Interface, sources map[runtime.Object]StorageSource) informers.SharedInformerFactory {
	f := informers.NewSharedInformerFactory(client, 0)
	for obj, src := range sources {
		f.InformerFor(obj, func(kubernetes.Interface, time.Duration) cache.SharedIndexInformer {
			return cache.NewSharedIndexInformer(storageListWatch(src), obj, 0,
				cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
		})
	}
	return f
}

// storageListWatch lists and watches storage across all namespaces, as a
// plain list followed by a watch: the storage is read directly, so a
// streaming list (watch-list) would gain nothing.
func storageListWatch(src StorageSource) cache.ListerWatcher {
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			internal, err := internalListOptions(opts)
			if err != nil {
				return nil, err
			}
			return src.List(genericapirequest.WithNamespace(ctx, metav1.NamespaceAll), internal)
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			internal, err := internalListOptions(opts)
			if err != nil {
				return nil, err
			}
			internal.Watch = true
			return src.Watch(genericapirequest.WithNamespace(ctx, metav1.NamespaceAll), internal)
		},
	}
	return cache.ToListWatcherWithWatchListSemantics(lw, noWatchList{})
}

// noWatchList tells the reflector not to use watch-list.
type noWatchList struct{}

func (noWatchList) IsWatchListSemanticsUnSupported() bool { return true }

func internalListOptions(opts metav1.ListOptions) (*metainternalversion.ListOptions, error) {
	internal := &metainternalversion.ListOptions{}
	if err := metainternalversion.Convert_v1_ListOptions_To_internalversion_ListOptions(&opts, internal, nil); err != nil {
		return nil, err
	}
	return internal, nil
}
