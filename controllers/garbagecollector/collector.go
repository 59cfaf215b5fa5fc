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

// Package garbagecollector is kube-controller-manager's garbage collector
// (pkg/controller/garbagecollector) for the objects a pod tool meets: pods,
// config maps, secrets, services and service accounts. An object whose
// owners are all gone is deleted; owner references to owners that are gone
// are removed while another owner remains; an owner deleted in the
// foreground keeps its foregroundDeletion finalizer until its blocking
// dependents are gone, and one deleted with orphan propagation first has its
// dependents released (their owner references to it removed), as upstream.
// Owners are looked up through the API (any kind discovery resolves, the
// way isDangling does); a reference to a kind the server does not serve
// cannot be resolved, and its dependent is kept, as upstream keeps it.
// Unlike upstream's graph builder, which watches every resource, the
// collector watches only the five kinds above, so objects of other kinds
// are neither collected nor noticed as owners going away.
package garbagecollector

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"

	"github.com/ephemera-dev/ephemera/internal/reconcile"
)

// Name is the controller's name.
const Name = "garbage-collector-controller"

// watched are the kinds whose objects are collected, with their resources.
var watched = map[string]schema.GroupVersionResource{
	"Pod":            {Version: "v1", Resource: "pods"},
	"ConfigMap":      {Version: "v1", Resource: "configmaps"},
	"Secret":         {Version: "v1", Resource: "secrets"},
	"Service":        {Version: "v1", Resource: "services"},
	"ServiceAccount": {Version: "v1", Resource: "serviceaccounts"},
}

// ref locates one watched object.
type ref struct {
	gvr       schema.GroupVersionResource
	namespace string
	name      string
	uid       types.UID
}

func (r ref) key() string {
	return strings.Join([]string{r.gvr.Resource, r.namespace, r.name, string(r.uid)}, "/")
}

func parseKey(k string) ref {
	p := strings.SplitN(k, "/", 4)
	return ref{gvr: schema.GroupVersionResource{Version: "v1", Resource: p[0]}, namespace: p[1], name: p[2], uid: types.UID(p[3])}
}

// Collector is the garbage collector.
type Collector struct {
	meta   metadata.Interface
	mapper meta.ResettableRESTMapper
	synced []cache.InformerSynced
	loop   *reconcile.Loop

	mu         sync.Mutex
	dependents map[types.UID]map[string]ref // owner UID -> dependents by key
	owners     map[string][]metav1.OwnerReference
}

// New wires the collector to the factory's informers of the watched kinds.
func New(metaClient metadata.Interface, disco discovery.DiscoveryInterface, factory informers.SharedInformerFactory) *Collector {
	c := &Collector{
		meta:       metaClient,
		mapper:     restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disco)),
		dependents: map[types.UID]map[string]ref{},
		owners:     map[string][]metav1.OwnerReference{},
	}
	c.loop = reconcile.New(Name, c.sync)
	core := factory.Core().V1()
	for kind, inf := range map[string]cache.SharedIndexInformer{
		"Pod": core.Pods().Informer(), "ConfigMap": core.ConfigMaps().Informer(), "Secret": core.Secrets().Informer(),
		"Service": core.Services().Informer(), "ServiceAccount": core.ServiceAccounts().Informer(),
	} {
		gvr := watched[kind]
		_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj interface{}) { c.observe(gvr, obj, false) },
			UpdateFunc: func(_, obj interface{}) { c.observe(gvr, obj, false) },
			DeleteFunc: func(obj interface{}) { c.observe(gvr, obj, true) },
		})
		c.synced = append(c.synced, inf.HasSynced)
	}
	return c
}

// Run works until ctx ends.
func (c *Collector) Run(ctx context.Context) { c.loop.Run(ctx, 2, c.synced...) }

// observe keeps the owner index and queues what may have work: the object
// itself (its owners may be gone, or it waits on its dependents) and, when
// it is deleted or being deleted, its dependents.
func (c *Collector) observe(gvr schema.GroupVersionResource, obj interface{}, deleted bool) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	r := ref{gvr: gvr, namespace: m.GetNamespace(), name: m.GetName(), uid: m.GetUID()}
	k := r.key()
	c.mu.Lock()
	for _, o := range c.owners[k] {
		delete(c.dependents[o.UID], k)
		if len(c.dependents[o.UID]) == 0 {
			delete(c.dependents, o.UID)
		}
	}
	delete(c.owners, k)
	if !deleted {
		c.owners[k] = m.GetOwnerReferences()
		for _, o := range m.GetOwnerReferences() {
			if c.dependents[o.UID] == nil {
				c.dependents[o.UID] = map[string]ref{}
			}
			c.dependents[o.UID][k] = r
		}
	}
	var deps []string
	if deleted || m.GetDeletionTimestamp() != nil {
		for dk := range c.dependents[m.GetUID()] {
			deps = append(deps, dk)
		}
	}
	c.mu.Unlock()
	if !deleted && (len(m.GetOwnerReferences()) > 0 || m.GetDeletionTimestamp() != nil) {
		c.loop.Add(k)
	}
	for _, dk := range deps {
		c.loop.Add(dk)
	}
}

// dependentsOf lists the objects owned by owner: those the index knows,
// and those a live list of the watched kinds in the owner's namespace finds
// (an informer may not have delivered a dependent created just before the
// owner's deletion; upstream's graph builder orders such events in one
// queue, which this collector does not have).
func (c *Collector) dependentsOf(ctx context.Context, owner ref) ([]ref, error) {
	found := map[string]ref{}
	c.mu.Lock()
	for k, r := range c.dependents[owner.uid] {
		found[k] = r
	}
	c.mu.Unlock()
	for _, gvr := range watched {
		list, err := c.meta.Resource(gvr).Namespace(owner.namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, item := range list.Items {
			for _, o := range item.OwnerReferences {
				if o.UID == owner.uid {
					r := ref{gvr: gvr, namespace: item.Namespace, name: item.Name, uid: item.UID}
					found[r.key()] = r
				}
			}
		}
	}
	out := make([]ref, 0, len(found))
	for _, r := range found {
		out = append(out, r)
	}
	return out, nil
}

// sync handles one object: an object being deleted with a foreground or
// orphan finalizer gets its dependents handled; any other object with
// owners is checked for dangling ones (attemptToDeleteItem).
func (c *Collector) sync(ctx context.Context, key string) (time.Duration, error) {
	r := parseKey(key)
	res := c.meta.Resource(r.gvr).Namespace(r.namespace)
	latest, err := res.Get(ctx, r.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if latest.UID != r.uid {
		return 0, nil
	}
	if latest.DeletionTimestamp != nil {
		switch {
		case hasFinalizer(latest.Finalizers, metav1.FinalizerDeleteDependents):
			return c.deleteDependents(ctx, r, latest)
		case hasFinalizer(latest.Finalizers, metav1.FinalizerOrphanDependents):
			return 0, c.orphanDependents(ctx, r, latest)
		}
		return 0, nil
	}
	if len(latest.OwnerReferences) == 0 {
		return 0, nil
	}
	var solid, dangling, waiting []metav1.OwnerReference
	for _, o := range latest.OwnerReferences {
		isDangling, owner, err := c.isDangling(ctx, o, r.namespace)
		if err != nil {
			return 0, err
		}
		switch {
		case isDangling:
			dangling = append(dangling, o)
		case owner.DeletionTimestamp != nil && hasFinalizer(owner.Finalizers, metav1.FinalizerDeleteDependents):
			waiting = append(waiting, o)
		default:
			solid = append(solid, o)
		}
	}
	switch {
	case len(solid) != 0:
		if len(dangling) == 0 && len(waiting) == 0 {
			return 0, nil
		}
		return 0, c.removeOwnerRefs(ctx, r, append(dangling, waiting...))
	case len(waiting) != 0:
		return 0, c.delete(ctx, r, latest, metav1.DeletePropagationForeground)
	default:
		policy := metav1.DeletePropagationBackground
		switch {
		case hasFinalizer(latest.Finalizers, metav1.FinalizerOrphanDependents):
			policy = metav1.DeletePropagationOrphan
		case hasFinalizer(latest.Finalizers, metav1.FinalizerDeleteDependents):
			policy = metav1.DeletePropagationForeground
		}
		return 0, c.delete(ctx, r, latest, policy)
	}
}

// isDangling mirrors the upstream function: the owner is gone (not found,
// or found with another UID). A kind that cannot be resolved is an error,
// retried with back-off.
func (c *Collector) isDangling(ctx context.Context, o metav1.OwnerReference, namespace string) (bool, *metav1.PartialObjectMetadata, error) {
	gv, err := schema.ParseGroupVersion(o.APIVersion)
	if err != nil {
		return false, nil, err
	}
	mapping, err := c.mapper.RESTMapping(gv.WithKind(o.Kind).GroupKind(), gv.Version)
	if err != nil {
		c.mapper.Reset()
		return false, nil, fmt.Errorf("unable to get REST mapping for %s/%s: %w", o.APIVersion, o.Kind, err)
	}
	res := c.meta.Resource(mapping.Resource)
	var owner *metav1.PartialObjectMetadata
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		owner, err = res.Namespace(namespace).Get(ctx, o.Name, metav1.GetOptions{})
	} else {
		owner, err = res.Get(ctx, o.Name, metav1.GetOptions{})
	}
	switch {
	case apierrors.IsNotFound(err):
		return true, nil, nil
	case err != nil:
		return false, nil, err
	}
	return owner.UID != o.UID, owner, nil
}

// delete deletes the object with preconditions on its UID and
// resourceVersion, as deleteObject does.
func (c *Collector) delete(ctx context.Context, r ref, latest *metav1.PartialObjectMetadata, policy metav1.DeletionPropagation) error {
	uid, rv := latest.UID, latest.ResourceVersion
	err := c.meta.Resource(r.gvr).Namespace(r.namespace).Delete(ctx, r.name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &rv}, PropagationPolicy: &policy,
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// removeOwnerRefs drops the given owner references with a strategic merge
// patch (GenerateDeleteOwnerRefStrategicMergeBytes).
func (c *Collector) removeOwnerRefs(ctx context.Context, r ref, gone []metav1.OwnerReference) error {
	var refs []map[string]string
	for _, o := range gone {
		refs = append(refs, map[string]string{"$patch": "delete", "uid": string(o.UID)})
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"ownerReferences": refs, "uid": r.uid}})
	if err != nil {
		return err
	}
	_, err = c.meta.Resource(r.gvr).Namespace(r.namespace).Patch(ctx, r.name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// deleteDependents mirrors processDeletingDependentsItem: dependents that
// block the owner's deletion are deleted in the foreground; once none is
// left, the owner loses its foregroundDeletion finalizer.
func (c *Collector) deleteDependents(ctx context.Context, r ref, owner *metav1.PartialObjectMetadata) (time.Duration, error) {
	blocking := 0
	deps, err := c.dependentsOf(ctx, r)
	if err != nil {
		return 0, err
	}
	for _, d := range deps {
		dep, err := c.meta.Resource(d.gvr).Namespace(d.namespace).Get(ctx, d.name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) || (err == nil && dep.UID != d.uid) {
			continue
		}
		if err != nil {
			return 0, err
		}
		for _, o := range dep.OwnerReferences {
			if o.UID == r.uid && o.BlockOwnerDeletion != nil && *o.BlockOwnerDeletion {
				blocking++
			}
		}
		if dep.DeletionTimestamp == nil {
			if err := c.delete(ctx, d, dep, metav1.DeletePropagationForeground); err != nil {
				return 0, err
			}
		}
	}
	if blocking > 0 {
		// The dependents' deletion events bring the owner back; look again
		// in a while in case one is missed.
		return time.Second, nil
	}
	return 0, c.removeFinalizer(ctx, r, metav1.FinalizerDeleteDependents)
}

// orphanDependents mirrors the upstream function: every dependent loses
// its reference to the owner, then the owner its orphan finalizer.
func (c *Collector) orphanDependents(ctx context.Context, r ref, _ *metav1.PartialObjectMetadata) error {
	deps, err := c.dependentsOf(ctx, r)
	if err != nil {
		return err
	}
	for _, d := range deps {
		if err := c.removeOwnerRefs(ctx, d, []metav1.OwnerReference{{UID: r.uid}}); err != nil {
			return err
		}
	}
	return c.removeFinalizer(ctx, r, metav1.FinalizerOrphanDependents)
}

// removeFinalizer mirrors the upstream function: a JSON merge patch of the
// finalizers with the resourceVersion read, retried on conflict.
func (c *Collector) removeFinalizer(ctx context.Context, r ref, finalizer string) error {
	res := c.meta.Resource(r.gvr).Namespace(r.namespace)
	for {
		obj, err := res.Get(ctx, r.name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		keep := []string{}
		found := false
		for _, f := range obj.Finalizers {
			if f == finalizer {
				found = true
				continue
			}
			keep = append(keep, f)
		}
		if !found {
			return nil
		}
		patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"resourceVersion": obj.ResourceVersion, "finalizers": keep}})
		if err != nil {
			return err
		}
		_, err = res.Patch(ctx, r.name, types.MergePatchType, patch, metav1.PatchOptions{})
		if !apierrors.IsConflict(err) {
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		}
	}
}

func hasFinalizer(fs []string, f string) bool {
	for _, x := range fs {
		if x == f {
			return true
		}
	}
	return false
}
