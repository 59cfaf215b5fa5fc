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

package namespace

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/klog/v2"
)

// finalizerEstimateSeconds is how long upstream expects content held by
// finalizers to take.
const finalizerEstimateSeconds = int64(15)

// deleter mirrors namespacedResourcesDeleter.
type deleter struct {
	client   kubernetes.Interface
	meta     metadata.Interface
	discover func() ([]*metav1.APIResourceList, error)
}

// delete mirrors namespacedResourcesDeleter.Delete.
func (d *deleter) delete(ctx context.Context, name string) error {
	nsClient := d.client.CoreV1().Namespaces()
	ns, err := nsClient.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	if ns.DeletionTimestamp == nil {
		return nil
	}
	ns, err = d.retryOnConflict(ctx, ns, func(ctx context.Context, ns *corev1.Namespace) (*corev1.Namespace, error) {
		if ns.DeletionTimestamp.IsZero() || ns.Status.Phase == corev1.NamespaceTerminating {
			return ns, nil
		}
		n := ns.DeepCopy()
		n.Status.Phase = corev1.NamespaceTerminating
		return nsClient.UpdateStatus(ctx, n, metav1.UpdateOptions{})
	})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	if ns.DeletionTimestamp.IsZero() || len(ns.Spec.Finalizers) == 0 {
		return nil
	}
	estimate, err := d.deleteAllContent(ctx, ns)
	if err != nil {
		return err
	}
	if estimate > 0 {
		return &ResourcesRemainingError{estimate}
	}
	_, err = d.retryOnConflict(ctx, ns, d.finalize)
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func (d *deleter) retryOnConflict(ctx context.Context, ns *corev1.Namespace, fn func(context.Context, *corev1.Namespace) (*corev1.Namespace, error)) (*corev1.Namespace, error) {
	latest := ns
	for {
		result, err := fn(ctx, latest)
		if err == nil {
			return result, nil
		}
		if !apierrors.IsConflict(err) {
			return nil, err
		}
		prev := latest
		if latest, err = d.client.CoreV1().Namespaces().Get(ctx, latest.Name, metav1.GetOptions{}); err != nil {
			return nil, err
		}
		if prev.UID != latest.UID {
			return nil, fmt.Errorf("namespace uid has changed across retries")
		}
	}
}

// finalize mirrors finalizeNamespace: spec.finalizers without "kubernetes",
// sorted, through namespaces/finalize.
func (d *deleter) finalize(ctx context.Context, ns *corev1.Namespace) (*corev1.Namespace, error) {
	out := corev1.Namespace{ObjectMeta: ns.ObjectMeta, Spec: ns.Spec}
	keep := map[string]bool{}
	for _, f := range ns.Spec.Finalizers {
		if f != corev1.FinalizerKubernetes {
			keep[string(f)] = true
		}
	}
	names := make([]string, 0, len(keep))
	for f := range keep {
		names = append(names, f)
	}
	sort.Strings(names)
	out.Spec.Finalizers = make([]corev1.FinalizerName, 0, len(names))
	for _, f := range names {
		out.Spec.Finalizers = append(out.Spec.Finalizers, corev1.FinalizerName(f))
	}
	res, err := d.client.CoreV1().Namespaces().Finalize(ctx, &out, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return res, nil
	}
	return res, err
}

// remaining counts what is left of one resource: items, and items per
// finalizer.
type remaining struct {
	estimate   int64
	items      int
	finalizers map[string]int
}

// deleteAllContent mirrors the upstream function, pods first
// (OrderedNamespaceDeletion, GA): while pods remain nothing else is deleted.
func (d *deleter) deleteAllContent(ctx context.Context, ns *corev1.Namespace) (int64, error) {
	var errs []error
	cond := &conditionUpdater{}
	estimate := int64(0)
	resources, err := d.discover()
	if err != nil {
		errs = append(errs, err)
		cond.discoveryErr(err)
	}
	deletable := discovery.FilteredBy(discovery.SupportsAllVerbs{Verbs: []string{"delete"}}, resources)
	gvrs, err := discovery.GroupVersionResources(deletable)
	if err != nil {
		errs = append(errs, err)
		cond.groupVersionErr(err)
	}
	supported := map[schema.GroupVersionResource]map[string]bool{}
	for _, rl := range deletable {
		gv, err := schema.ParseGroupVersion(rl.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range rl.APIResources {
			verbs := map[string]bool{}
			for _, v := range r.Verbs {
				verbs[v] = true
			}
			supported[gv.WithResource(r.Name)] = verbs
		}
	}
	totals := map[schema.GroupVersionResource]int{}
	byFinalizer := map[string]int{}
	add := func(gvr schema.GroupVersionResource, r remaining) {
		if r.estimate > estimate {
			estimate = r.estimate
		}
		if r.items > 0 {
			totals[gvr] = r.items
			for f, n := range r.finalizers {
				byFinalizer[f] += n
			}
		}
	}
	if _, ok := gvrs[podsGVR]; ok {
		r, err := d.deleteResource(ctx, podsGVR, supported[podsGVR], ns)
		if err != nil {
			errs = append(errs, fmt.Errorf("failed to delete pods for namespace: %s, err: %w", ns.Name, err))
			cond.deleteContentErr(err)
		}
		add(podsGVR, r)
		if totals[podsGVR] > 0 {
			d.writeConditions(ctx, ns, cond)
			return estimate, utilerrors.NewAggregate(errs)
		}
	}
	keys := make([]schema.GroupVersionResource, 0, len(gvrs))
	for gvr := range gvrs {
		if gvr != podsGVR {
			keys = append(keys, gvr)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, gvr := range keys {
		r, err := d.deleteResource(ctx, gvr, supported[gvr], ns)
		if err != nil {
			errs = append(errs, err)
			cond.deleteContentErr(err)
		}
		add(gvr, r)
	}
	cond.contentTotals(totals, byFinalizer)
	d.writeConditions(ctx, ns, cond)
	return estimate, utilerrors.NewAggregate(errs)
}

func (d *deleter) writeConditions(ctx context.Context, ns *corev1.Namespace, cond *conditionUpdater) {
	if cond.update(ns) {
		if _, err := d.client.CoreV1().Namespaces().UpdateStatus(ctx, ns, metav1.UpdateOptions{}); err != nil {
			klog.V(2).InfoS("Couldn't update status condition for namespace", "namespace", ns.Name, "err", err)
		}
	}
}

// deleteResource mirrors deleteAllContentForGroupVersionResource.
func (d *deleter) deleteResource(ctx context.Context, gvr schema.GroupVersionResource, verbs map[string]bool, ns *corev1.Namespace) (remaining, error) {
	estimate, err := d.estimateGracefulTermination(ctx, gvr, ns)
	if err != nil {
		return remaining{}, err
	}
	background := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &background}
	res := d.meta.Resource(gvr).Namespace(ns.Name)
	collectionDeleted := false
	if verbs["deletecollection"] {
		err := res.DeleteCollection(ctx, opts, metav1.ListOptions{})
		switch {
		case err == nil:
			collectionDeleted = true
		case apierrors.IsMethodNotSupported(err) || apierrors.IsNotFound(err):
		default:
			return remaining{estimate: estimate}, err
		}
	}
	if !verbs["list"] {
		return remaining{estimate: estimate}, nil
	}
	if !collectionDeleted {
		list, err := res.List(ctx, metav1.ListOptions{})
		if err != nil && !apierrors.IsMethodNotSupported(err) && !apierrors.IsNotFound(err) {
			return remaining{estimate: estimate}, err
		}
		if err == nil {
			for _, item := range list.Items {
				if err := res.Delete(ctx, item.Name, opts); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsMethodNotSupported(err) {
					return remaining{estimate: estimate}, err
				}
			}
		}
	}
	list, err := res.List(ctx, metav1.ListOptions{})
	if apierrors.IsMethodNotSupported(err) || apierrors.IsNotFound(err) {
		return remaining{estimate: estimate}, nil
	}
	if err != nil {
		return remaining{estimate: estimate}, err
	}
	if len(list.Items) == 0 {
		return remaining{}, nil
	}
	finalizers := map[string]int{}
	for _, item := range list.Items {
		for _, f := range item.Finalizers {
			finalizers[f]++
		}
	}
	if estimate != 0 {
		return remaining{estimate: estimate, items: len(list.Items), finalizers: finalizers}, nil
	}
	if len(finalizers) > 0 {
		return remaining{estimate: finalizerEstimateSeconds, items: len(list.Items), finalizers: finalizers}, nil
	}
	return remaining{items: len(list.Items)}, fmt.Errorf("unexpected items still remain in namespace: %s for gvr: %v", ns.Name, gvr)
}

// estimateGracefulTermination mirrors the upstream function: for pods, the
// longest grace period of a pod still running, until that long has passed
// since the namespace's deletion.
func (d *deleter) estimateGracefulTermination(ctx context.Context, gvr schema.GroupVersionResource, ns *corev1.Namespace) (int64, error) {
	if gvr.GroupResource() != podsGVR.GroupResource() {
		return 0, nil
	}
	pods, err := d.client.CoreV1().Pods(ns.Name).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	estimate := int64(0)
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		if g := p.Spec.TerminationGracePeriodSeconds; g != nil && *g > estimate {
			estimate = *g
		}
	}
	if time.Since(ns.DeletionTimestamp.Time) >= time.Duration(estimate)*time.Second {
		estimate = 0
	}
	return estimate, nil
}
