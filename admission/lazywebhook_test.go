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
	"errors"
	"sync/atomic"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/client-go/tools/cache"
	fcache "k8s.io/client-go/tools/cache/testing"
)

type refusingPlugin struct{ *admission.Handler }

func (refusingPlugin) Validate(context.Context, admission.Attributes, admission.ObjectInterfaces) error {
	return errors.New("refused")
}

// The webhook plugin is built only once a configuration exists, and then
// answers every request.
func TestLazyWebhook(t *testing.T) {
	source := fcache.NewFakeControllerSource()
	informer := cache.NewSharedIndexInformer(source, &admissionregistrationv1.ValidatingWebhookConfiguration{}, 0, cache.Indexers{})
	var built atomic.Int32
	l, err := newLazyWebhook(func() (admission.Interface, error) {
		built.Add(1)
		h := admission.NewHandler(admission.Update)
		h.SetReadyFunc(func() bool { return true })
		return refusingPlugin{h}, nil
	}, informer)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go informer.RunWithContext(ctx)
	cache.WaitForCacheSync(ctx.Done(), informer.HasSynced)

	plugin := lazyValidatingWebhook{l}
	if err := plugin.Validate(ctx, nil, nil); err != nil || built.Load() != 0 {
		t.Fatalf("without configurations: %v, plugin built %d times; want no answer and no plugin", err, built.Load())
	}
	source.Add(&admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "c", ResourceVersion: "1"}})
	deadline := time.Now().Add(10 * time.Second)
	for len(informer.GetStore().ListKeys()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := plugin.Validate(ctx, nil, nil); err == nil || err.Error() != "refused" {
		t.Fatalf("with a configuration: %v, want the plugin's answer", err)
	}
	if err := plugin.Validate(ctx, nil, nil); err == nil || built.Load() != 1 {
		t.Fatalf("plugin built %d times, want once", built.Load())
	}
}
