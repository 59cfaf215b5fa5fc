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
	cfg := storagebackend.NewDefaultConfig(Prefix, typelessCodec{codec})
	return &RESTOptionsGetter{StorageConfig: *cfg, Decorator: decorator}
}

// NewEtcdOptions returns the options for k8s.io/apiserver's etcd3 store on the
// given servers, as kube-apiserver configures it (--etcd-servers), so that
// several Ephemera replicas can share one etcd cluster. Objects are stored
// undecorated (no watch cache): every replica then reads its own writes and
// the others' at once, and start-up does not wait for caches to fill.
func NewEtcdOptions(codec runtime.Codec, servers []string) *RESTOptionsGetter {
	cfg := storagebackend.NewDefaultConfig(Prefix, typelessCodec{codec})
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
		// kube-apiserver's --enable-garbage-collector default: deletions
		// asking for foreground or orphan propagation leave the object with
		// the matching finalizer for a garbage collector to honour (envtest
		// keeps them for ever; cluster mode's collector acts on them).
		EnableGarbageCollection: true,
		DeleteCollectionWorkers: 1,
		ResourcePrefix:          resource.Resource,
	}, nil
}

// typelessCodec reads objects from storage without apiVersion and kind, as
// kube-apiserver's internal objects are: the items of a list then answer
// without them, as kube-apiserver's do (its conversion from the internal
// version fills in the list's kind only; Ephemera's internal version is v1,
// whose objects would otherwise keep what the decoder set).
type typelessCodec struct{ runtime.Codec }

func (c typelessCodec) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	obj, gvk, err := c.Codec.Decode(data, defaults, into)
	if err == nil && obj != nil {
		obj.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	}
	return obj, gvk, err
}
