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
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/client-go/tools/cache"
)

// The webhook plugins are built when the first webhook configuration of
// their kind appears, not with the server: each builds its CEL environments
// for match conditions when it is made, milliseconds that a server without
// webhooks (most test servers) would pay at every start. Until a
// configuration exists the plugin would call no webhook, so doing nothing is
// its exact behaviour; once one exists, the real plugin (built in the
// background when the configuration arrived, or by the first request that
// needs it) answers every request.

// lazyWebhook builds and holds one webhook plugin.
type lazyWebhook struct {
	*admission.Handler
	newPlugin func() (admission.Interface, error)
	configs   cache.SharedIndexInformer

	once   sync.Once
	ready  chan struct{}
	plugin admission.Interface
	err    error
}

// readyWaiter is what the webhook plugins' admission.Handler offers.
type readyWaiter interface{ WaitForReady() bool }

func newLazyWebhook(newPlugin func() (admission.Interface, error), configs cache.SharedIndexInformer) (*lazyWebhook, error) {
	l := &lazyWebhook{
		// The operations the webhook plugins handle.
		Handler:   admission.NewHandler(admission.Connect, admission.Create, admission.Delete, admission.Update),
		newPlugin: newPlugin,
		configs:   configs,
		ready:     make(chan struct{}),
	}
	_, err := configs.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(any) { go l.build() }})
	return l, err
}

// build makes the plugin once and waits until it is ready; concurrent
// callers wait for the first.
func (l *lazyWebhook) build() {
	l.once.Do(func() {
		defer close(l.ready)
		if l.plugin, l.err = l.newPlugin(); l.err != nil {
			return
		}
		// The plugin is ready once its own handler on the configuration
		// informer has been handed the existing configurations, and it
		// checks that in 100 ms steps. A handler added after it has been
		// handed the same ones by the time it reports synced, so waiting
		// for one (without polling) usually spares the plugin a step.
		if reg, err := l.configs.AddEventHandler(cache.ResourceEventHandlerFuncs{}); err == nil {
			cache.WaitFor(context.Background(), "", reg.HasSyncedChecker())
			_ = l.configs.RemoveEventHandler(reg)
		}
		l.plugin.(readyWaiter).WaitForReady()
	})
	<-l.ready
}

// get returns the plugin, or nil while no configuration of its kind exists.
func (l *lazyWebhook) get() (admission.Interface, error) {
	select {
	case <-l.ready:
	default:
		if len(l.configs.GetStore().ListKeys()) == 0 {
			return nil, nil
		}
		l.build()
	}
	if l.err != nil {
		return nil, apierrors.NewInternalError(l.err)
	}
	return l.plugin, nil
}

// lazyMutatingWebhook is the MutatingAdmissionWebhook plugin, built lazily.
type lazyMutatingWebhook struct{ *lazyWebhook }

func (l lazyMutatingWebhook) Admit(ctx context.Context, a admission.Attributes, o admission.ObjectInterfaces) error {
	p, err := l.get()
	if p == nil {
		return err
	}
	return p.(admission.MutationInterface).Admit(ctx, a, o)
}

// lazyValidatingWebhook is the ValidatingAdmissionWebhook plugin, built
// lazily.
type lazyValidatingWebhook struct{ *lazyWebhook }

func (l lazyValidatingWebhook) Validate(ctx context.Context, a admission.Attributes, o admission.ObjectInterfaces) error {
	p, err := l.get()
	if p == nil {
		return err
	}
	return p.(admission.ValidationInterface).Validate(ctx, a, o)
}

var (
	_ admission.MutationInterface   = lazyMutatingWebhook{}
	_ admission.ValidationInterface = lazyValidatingWebhook{}
)
