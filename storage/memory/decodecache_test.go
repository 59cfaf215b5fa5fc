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
	"sync/atomic"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/apis/example"
	examplev1 "k8s.io/apiserver/pkg/apis/example/v1"
	"k8s.io/apiserver/pkg/storage"
)

// countingCodec counts decodes.
type countingCodec struct {
	runtime.Codec
	decodes atomic.Int64
}

func (c *countingCodec) Decode(data []byte, d *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	c.decodes.Add(1)
	return c.Codec.Decode(data, d, into)
}

// A value is decoded once however often it is read (GET, LIST, watchers),
// and what a reader changes never reaches the next reader.
func TestDecodedValuesAreKeptAndCopied(t *testing.T) {
	codec := &countingCodec{Codec: codecs.LegacyCodec(examplev1.SchemeGroupVersion)}
	ctx, s, _ := testSetup(t, func(c *setupConfig) { c.codec = codec })
	key := "/pods/ns/web"
	created := &example.Pod{}
	if err := s.Create(ctx, key, &example.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", Labels: map[string]string{"app": "web"}}}, created, 0); err != nil {
		t.Fatal(err)
	}
	// Two watchers see the creation of a second pod.
	w1, err := s.Watch(ctx, "/pods/ns", storage.ListOptions{ResourceVersion: created.ResourceVersion, Recursive: true, Predicate: storage.Everything})
	if err != nil {
		t.Fatal(err)
	}
	defer w1.Stop()
	w2, err := s.Watch(ctx, "/pods/ns", storage.ListOptions{ResourceVersion: created.ResourceVersion, Recursive: true, Predicate: storage.Everything})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Stop()
	if err := s.Create(ctx, "/pods/ns/db", &example.Pod{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "ns"}}, &example.Pod{}, 0); err != nil {
		t.Fatal(err)
	}
	ev1, ev2 := <-w1.ResultChan(), <-w2.ResultChan()
	if ev1.Object == ev2.Object {
		t.Error("two watchers received the same object: each must get its own copy")
	}
	ev1.Object.(*example.Pod).Labels = map[string]string{"changed": "by watcher 1"}
	if got := ev2.Object.(*example.Pod).Labels; got != nil {
		t.Errorf("watcher 2's object has labels %v after watcher 1 changed its copy", got)
	}

	codec.decodes.Store(0)
	for i := 0; i < 3; i++ {
		got := &example.Pod{}
		if err := s.Get(ctx, key, storage.GetOptions{}, got); err != nil {
			t.Fatal(err)
		}
		if got.Labels["app"] != "web" || got.ResourceVersion != created.ResourceVersion {
			t.Fatalf("read %d: labels %v, resourceVersion %s; want app=web, %s", i, got.Labels, got.ResourceVersion, created.ResourceVersion)
		}
		got.Labels["app"] = "changed by a reader"
		list := &example.PodList{}
		if err := s.GetList(ctx, "/pods/ns", storage.ListOptions{Recursive: true, Predicate: storage.Everything}, list); err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 2 || list.Items[1].Labels["app"] != "web" {
			t.Fatalf("list %d: %+v", i, list.Items)
		}
		list.Items[1].Labels["app"] = "changed by a lister"
	}
	// The first GET decodes "web" (the watchers decoded only "db"), the
	// first LIST finds both kept; nothing after that decodes.
	if n := codec.decodes.Load(); n != 1 {
		t.Errorf("%d decodes for 3 GETs and 3 LISTs of values already read, want 1", n)
	}
}

// A store with a transformer of its own (encryption at rest) transforms and
// decodes on every read, as etcd3 does, so that a rotated or broken key is
// seen at once.
func TestTransformedValuesAreNotKept(t *testing.T) {
	_, s, _ := testSetup(t, withTransformer(prefixTransformer()))
	if s.decoded != nil {
		t.Fatal("a store with a transformer keeps decoded values")
	}
}
