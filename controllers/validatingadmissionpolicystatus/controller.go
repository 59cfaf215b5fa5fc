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

// Package validatingadmissionpolicystatus is kube-controller-manager's
// validatingadmissionpolicy-status controller for cluster mode
// (k8s.io/kubernetes pkg/controller/validatingadmissionpolicystatus): it
// type-checks each ValidatingAdmissionPolicy's expressions against the
// schemas of the kinds it matches, with k8s.io/apiserver's TypeChecker, and
// writes the warnings and the observed generation to the policy's status.
// kube-apiserver alone (envtest, Ephemera's default) never writes that
// status. Like the rest of cluster mode, the controller is an API client.
package validatingadmissionpolicystatus

import (
	"context"
	"fmt"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	validatingpolicy "k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/cel/openapi/resolver"
	arapply "k8s.io/client-go/applyconfigurations/admissionregistration/v1"
	cacheddiscovery "k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// ControllerName is the field manager of the status it writes, as upstream.
const ControllerName = "validatingadmissionpolicy-status"

// Controller reconciles the status of policies.
type Controller struct {
	client      kubernetes.Interface
	informers   informers.SharedInformerFactory
	queue       workqueue.TypedRateLimitingInterface[string]
	typeChecker *validatingpolicy.TypeChecker
}

// New returns a controller using cfg, with its own user agent.
func New(cfg *rest.Config) (*Controller, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "kube-controller-manager/" + ControllerName
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	// kube-controller-manager resolves schemas from its built-in
	// definitions, then from the server's OpenAPI; the server's own
	// document covers every kind Ephemera serves.
	return &Controller{
		client:    client,
		informers: informers.NewSharedInformerFactory(client, 0),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: ControllerName}),
		typeChecker: &validatingpolicy.TypeChecker{
			SchemaResolver: &resolver.ClientDiscoveryResolver{Discovery: client.Discovery()},
			RestMapper:     restmapper.NewDeferredDiscoveryRESTMapper(cacheddiscovery.NewMemCacheClient(client.Discovery())),
		},
	}, nil
}

// Run reconciles until ctx is done.
func (c *Controller) Run(ctx context.Context) error {
	policies := c.informers.Admissionregistration().V1().ValidatingAdmissionPolicies()
	enqueue := func(obj any) {
		if p, ok := obj.(*admissionregistrationv1.ValidatingAdmissionPolicy); ok {
			c.queue.Add(p.Name)
		}
	}
	if _, err := policies.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		return err
	}
	c.informers.StartWithContext(ctx)
	defer c.informers.Shutdown()
	defer c.queue.ShutDown()
	if res := c.informers.WaitForCacheSyncWithContext(ctx); res.Err != nil {
		return res.Err
	}
	go wait.UntilWithContext(ctx, func(ctx context.Context) {
		for c.processNext(ctx, policies.Lister().Get) {
		}
	}, time.Second)
	<-ctx.Done()
	return nil
}

func (c *Controller) processNext(ctx context.Context, get func(string) (*admissionregistrationv1.ValidatingAdmissionPolicy, error)) bool {
	key, shutdown := c.queue.Get()
	if shutdown {
		return false
	}
	defer c.queue.Done(key)
	policy, err := get(key)
	if err == nil {
		err = c.reconcile(ctx, policy)
	} else if apierrors.IsNotFound(err) {
		err = nil // deleted
	}
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("%s: %s: %w", ControllerName, key, err))
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	return true
}

// reconcile writes the type-checking warnings of a policy whose generation
// has not been observed yet, with server-side apply, as upstream does.
func (c *Controller) reconcile(ctx context.Context, policy *admissionregistrationv1.ValidatingAdmissionPolicy) error {
	if policy.Generation <= policy.Status.ObservedGeneration {
		return nil
	}
	warnings := make([]*arapply.ExpressionWarningApplyConfiguration, 0)
	for _, w := range c.typeChecker.Check(policy) {
		warnings = append(warnings, arapply.ExpressionWarning().WithFieldRef(w.FieldRef).WithWarning(w.Warning))
	}
	apply := arapply.ValidatingAdmissionPolicy(policy.Name).WithStatus(arapply.ValidatingAdmissionPolicyStatus().
		WithObservedGeneration(policy.Generation).
		WithTypeChecking(arapply.TypeChecking().WithExpressionWarnings(warnings...)))
	_, err := c.client.AdmissionregistrationV1().ValidatingAdmissionPolicies().ApplyStatus(ctx, apply,
		metav1.ApplyOptions{FieldManager: ControllerName, Force: true})
	return err
}
