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

package registry_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/ephemera-dev/ephemera/registry"
)

func TestRESTOptions(t *testing.T) {
	codec := scheme.Codecs.LegacyCodec(corev1.SchemeGroupVersion)
	for name, getter := range map[string]*registry.RESTOptionsGetter{
		"memory": registry.NewMemoryOptions(codec, nil),
		"etcd":   registry.NewEtcdOptions(codec, []string{"http://127.0.0.1:2379"}),
	} {
		opts, err := getter.GetRESTOptions(corev1.Resource("pods"), nil)
		if err != nil {
			t.Fatal(err)
		}
		// Keys as kube-apiserver lays them out: /registry/pods/<ns>/<name>.
		if opts.StorageConfig.Prefix != "/registry" || opts.ResourcePrefix != "pods" || opts.StorageConfig.GroupResource != corev1.Resource("pods") {
			t.Errorf("%s: prefix %q, resource prefix %q, group resource %v", name, opts.StorageConfig.Prefix, opts.ResourcePrefix, opts.StorageConfig.GroupResource)
		}
		// kube-apiserver's default --enable-garbage-collector=true: deletes
		// with propagationPolicy Foreground/Orphan leave a finalizer.
		if !opts.EnableGarbageCollection {
			t.Errorf("%s: garbage collection must be on, as in kube-apiserver", name)
		}
	}
	etcd, _ := registry.NewEtcdOptions(codec, []string{"http://127.0.0.1:2379"}).GetRESTOptions(corev1.Resource("pods"), nil)
	if etcd.StorageConfig.Config.Type != storagebackend.StorageTypeETCD3 || etcd.StorageConfig.Config.Transport.ServerList[0] != "http://127.0.0.1:2379" {
		t.Errorf("etcd options: %+v", etcd.StorageConfig.Config)
	}
}
