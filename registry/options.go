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

// Package registry holds Ephemera's REST storage: one subpackage per served
// resource (core resources directly below: pod, node, namespace,
// serviceaccount, event; other API groups below their group's name), the
// status subresource they share (StatusREST) and the storage options every
// resource gets (RESTOptionsGetter: the in-memory backend of storage/memory,
// or etcd through k8s.io/apiserver's own etcd3 store). The rules each
// resource follows are in the package of the same name under strategy/.
package registry

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage/storagebackend"
)

// Prefix is the key prefix objects are stored under, as in kube-apiserver
// (--etcd-prefix): a pod lives at /registry/pods/<namespace>/<name>.
const Prefix = "/registry"

// RESTOptionsGetter hands every resource the same storage configuration and
// decorator; the decorator decides where objects live.
type RESTOptionsGetter struct {
	StorageConfig storagebackend.Config
	Decorator     generic.StorageDecorator
}

var _ generic.RESTOptionsGetter = &RESTOptionsGetter{}

// NewMemoryOptions returns the options for the in-memory backend: decorator is
// the backend's storage decorator (see storage/memory).
func NewMemoryOptions(codec runtime.Codec, decorator generic.StorageDecorator) *RESTOptionsGetter {
	cfg := storagebackend.NewDefaultConfig(Prefix, internalCodec{codec})
	return &RESTOptionsGetter{StorageConfig: *cfg, Decorator: decorator}
}

// NewEtcdOptions returns the options for k8s.io/apiserver's etcd3 store on the
// given servers, as kube-apiserver configures it (--etcd-servers), so that
// several Ephemera replicas can share one etcd cluster. Objects are stored
// undecorated (no watch cache): every replica then reads its own writes and
// the others' at once, and start-up does not wait for caches to fill.
func NewEtcdOptions(codec runtime.Codec, servers []string) *RESTOptionsGetter {
	cfg := storagebackend.NewDefaultConfig(Prefix, internalCodec{codec})
	cfg.Type = storagebackend.StorageTypeETCD3
	cfg.Transport.ServerList = servers
	// The database-size metric poller only feeds metrics Ephemera does not serve.
	cfg.DBMetricPollInterval = 0
	return &RESTOptionsGetter{StorageConfig: *cfg, Decorator: generic.UndecoratedStorage}
}

// GetRESTOptions implements generic.RESTOptionsGetter.
func (g *RESTOptionsGetter) GetRESTOptions(resource schema.GroupResource, _ runtime.Object) (generic.RESTOptions, error) {
	return generic.RESTOptions{
		StorageConfig: g.StorageConfig.ForResource(resource),
		Decorator:     g.Decorator,
		// kube-apiserver's default (--enable-garbage-collector): a delete
		// with propagationPolicy Foreground or Orphan leaves the object with
		// the foregroundDeletion or orphan finalizer. Like envtest, the
		// default mode runs no garbage collector, so such an object stays
		// until a client removes the finalizer; cluster mode's collector
		// (controllers/garbagecollector) honours it.
		EnableGarbageCollection: true,
		DeleteCollectionWorkers: 1,
		ResourcePrefix:          resource.Resource,
	}, nil
}

// internalCodec is the storage codec with what decoding to the internal
// version means in kube-apiserver: objects read from storage carry no
// apiVersion and kind. kube-apiserver decodes stored v1 bytes into a v1
// object and converts it into an internal one, which has no TypeMeta; here
// the internal type is the v1 type, and the decoder fills TypeMeta in from
// the stored bytes. Left there, it would show in every place the real server
// shows none, such as the items of a list.
type internalCodec struct{ runtime.Codec }

// Decode decodes as the wrapped codec does and clears the kind.
func (c internalCodec) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	obj, gvk, err := c.Codec.Decode(data, defaults, into)
	if obj != nil {
		obj.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	}
	return obj, gvk, err
}
