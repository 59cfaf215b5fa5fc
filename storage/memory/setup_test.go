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
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apiserver/pkg/apis/example"
	examplev1 "k8s.io/apiserver/pkg/apis/example/v1"
	"k8s.io/apiserver/pkg/storage/value"
)

// The tests use the apiserver's own example API (example.Pod), as the
// upstream storage tests do.
var (
	scheme = runtime.NewScheme()
	codecs = serializer.NewCodecFactory(scheme)
)

func init() {
	metav1.AddToGroupVersion(scheme, metav1.SchemeGroupVersion)
	utilruntime.Must(example.AddToScheme(scheme))
	utilruntime.Must(examplev1.AddToScheme(scheme))
}

func newPod() runtime.Object     { return &example.Pod{} }
func newPodList() runtime.Object { return &example.PodList{} }

type setupConfig struct {
	backendOpts []Option
	transformer value.Transformer
	codec       runtime.Codec
}

type setupOpt func(*setupConfig)

func withBackendOptions(opts ...Option) setupOpt {
	return func(c *setupConfig) { c.backendOpts = append(c.backendOpts, opts...) }
}

func withTransformer(t value.Transformer) setupOpt {
	return func(c *setupConfig) { c.transformer = t }
}

// testSetup returns a fresh backend and the store of "pods" over it, with
// prefix "" and resource prefix "/pods/" like etcd3's testSetup.
func testSetup(t testing.TB, opts ...setupOpt) (context.Context, *store, *Backend) {
	cfg := setupConfig{codec: codecs.LegacyCodec(examplev1.SchemeGroupVersion)}
	for _, o := range opts {
		o(&cfg)
	}
	b := NewBackend(cfg.backendOpts...)
	t.Cleanup(b.Close)
	s, err := b.newStore(cfg.codec, newPod, newPodList, "", "/pods/", schema.GroupResource{Resource: "pods"}, cfg.transformer)
	if err != nil {
		t.Fatal(err)
	}
	return context.Background(), s, b
}

// increaseRV writes an unrelated key so that the revision moves on, like
// etcd3's increaseRVFunc.
func increaseRV(b *Backend) func(ctx context.Context, t *testing.T) int64 {
	return func(ctx context.Context, t *testing.T) int64 {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.writeLocked("/increaseRV", []byte("ok"), 0)
	}
}
