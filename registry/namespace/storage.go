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

// Package namespace is the REST storage of namespaces, mirroring
// k8s.io/kubernetes/pkg/registry/core/namespace/storage: deleting a namespace
// that still has spec.finalizers only marks it Terminating. Ephemera, like
// envtest, runs no namespace controller, so such a namespace stays
// Terminating; that is what a tool tested against envtest sees too.
package namespace

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	storageerr "k8s.io/apiserver/pkg/storage/errors"
	"k8s.io/apiserver/pkg/util/dryrun"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/ephemera-dev/ephemera/registry"
	"github.com/ephemera-dev/ephemera/registry/table"
	nsstrategy "github.com/ephemera-dev/ephemera/strategy/namespace"
)

// Storage is the REST storage of namespaces and their subresources.
type Storage struct {
	Namespace *REST
	Status    *registry.StatusREST
	Finalize  *FinalizeREST
}

// Map returns the storage keyed by resource path.
func (s Storage) Map() map[string]rest.Storage {
	return map[string]rest.Storage{
		"namespaces":          s.Namespace,
		"namespaces/status":   s.Status,
		"namespaces/finalize": s.Finalize,
	}
}

// NewStorage returns the namespace storage on the given options.
func NewStorage(optsGetter generic.RESTOptionsGetter, typer runtime.ObjectTyper) (Storage, error) {
	nsStrategy := nsstrategy.NewStrategy(typer)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &corev1.Namespace{} },
		NewListFunc:               func() runtime.Object { return &corev1.NamespaceList{} },
		PredicateFunc:             nsstrategy.Match,
		DefaultQualifiedResource:  corev1.Resource("namespaces"),
		SingularQualifiedResource: corev1.Resource("namespace"),

		CreateStrategy:      nsStrategy,
		UpdateStrategy:      nsStrategy,
		DeleteStrategy:      nsStrategy,
		ResetFieldsStrategy: nsStrategy,
		ReturnDeletedObject: true,
		ShouldDeleteDuringUpdate: func(ctx context.Context, key string, obj, existing runtime.Object) bool {
			// A finalize or status update that leaves a terminating namespace
			// without finalizers removes it (ShouldDeleteNamespaceDuringUpdate).
			ns := obj.(*corev1.Namespace)
			return ns.DeletionTimestamp != nil && len(ns.Spec.Finalizers) == 0 && len(ns.Finalizers) == 0 &&
				genericregistry.ShouldDeleteDuringUpdate(ctx, key, obj, existing)
		},

		TableConvertor: table.Convertor{Columns: columns, Row: row},
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: nsstrategy.GetAttrs}); err != nil {
		return Storage{}, err
	}
	statusStore := *store
	statusStore.UpdateStrategy = nsstrategy.NewStatusStrategy(typer)
	statusStore.ResetFieldsStrategy = nsstrategy.NewStatusStrategy(typer)
	finalizeStore := *store
	finalizeStore.UpdateStrategy = nsstrategy.NewFinalizeStrategy(typer)
	finalizeStore.ResetFieldsStrategy = nsstrategy.NewFinalizeStrategy(typer)
	return Storage{
		Namespace: &REST{store: store, status: &statusStore},
		Status:    &registry.StatusREST{Store: &statusStore},
		Finalize:  &FinalizeREST{store: &finalizeStore},
	}, nil
}

// REST is the storage of namespaces. It wraps rather than embeds the store so
// that deletion goes through Delete below.
type REST struct {
	store  *genericregistry.Store
	status *genericregistry.Store
}

var (
	_ rest.StandardStorage        = &REST{}
	_ rest.TableConvertor         = &REST{}
	_ rest.ShortNamesProvider     = &REST{}
	_ rest.SingularNameProvider   = &REST{}
	_ rest.StorageVersionProvider = &REST{}
	_ rest.ResetFieldsStrategy    = &REST{}
)

func (r *REST) New() runtime.Object                    { return r.store.New() }
func (r *REST) Destroy()                               { r.store.Destroy() }
func (r *REST) NewList() runtime.Object                { return r.store.NewList() }
func (r *REST) NamespaceScoped() bool                  { return false }
func (r *REST) ShortNames() []string                   { return []string{"ns"} }
func (r *REST) GetSingularName() string                { return "namespace" }
func (r *REST) StorageVersion() runtime.GroupVersioner { return r.store.StorageVersion() }
func (r *REST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.store.GetResetFields()
}
func (r *REST) List(ctx context.Context, options *metainternalversion.ListOptions) (runtime.Object, error) {
	return r.store.List(ctx, options)
}
func (r *REST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	return r.store.Create(ctx, obj, createValidation, options)
}
func (r *REST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, forceAllowCreate, options)
}
func (r *REST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}
func (r *REST) Watch(ctx context.Context, options *metainternalversion.ListOptions) (watch.Interface, error) {
	return r.store.Watch(ctx, options)
}
func (r *REST) DeleteCollection(ctx context.Context, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions, listOptions *metainternalversion.ListOptions) (runtime.Object, error) {
	return r.store.DeleteCollection(ctx, deleteValidation, options, listOptions)
}
func (r *REST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return r.store.ConvertToTable(ctx, object, tableOptions)
}

// Delete marks a namespace Terminating (with the orphan or foregroundDeletion
// finalizer the options ask for) while it has spec.finalizers and removes it
// once it has none, as REST.Delete in
// k8s.io/kubernetes/pkg/registry/core/namespace/storage does (cluster mode's
// garbage collector honours those finalizers; like envtest's, the default
// mode has none, so such a namespace keeps them).
func (r *REST) Delete(ctx context.Context, name string, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions) (runtime.Object, bool, error) {
	obj, err := r.store.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, false, err
	}
	ns := obj.(*corev1.Namespace)
	if options == nil {
		options = metav1.NewDeleteOptions(0)
	}
	if options.Preconditions == nil {
		options.Preconditions = &metav1.Preconditions{}
	}
	if options.Preconditions.UID == nil {
		options.Preconditions.UID = &ns.UID
	} else if *options.Preconditions.UID != ns.UID {
		//lint:ignore ST1005 REST.Delete's text, which clients see in the 409
		err := fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", *options.Preconditions.UID, ns.UID)
		return nil, false, apierrors.NewConflict(corev1.Resource("namespaces"), name, err)
	}
	if rv := options.Preconditions.ResourceVersion; rv != nil && *rv != ns.ResourceVersion {
		//lint:ignore ST1005 REST.Delete's text, which clients see in the 409
		err := fmt.Errorf("Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", *rv, ns.ResourceVersion)
		return nil, false, apierrors.NewConflict(corev1.Resource("namespaces"), name, err)
	}

	if ns.DeletionTimestamp.IsZero() {
		key, err := r.store.KeyFunc(ctx, name)
		if err != nil {
			return nil, false, err
		}
		out := r.store.NewFunc()
		preconditions := storage.Preconditions{UID: options.Preconditions.UID, ResourceVersion: options.Preconditions.ResourceVersion}
		err = r.store.Storage.GuaranteedUpdate(ctx, key, out, false, &preconditions,
			storage.SimpleUpdate(func(existing runtime.Object) (runtime.Object, error) {
				cur := existing.(*corev1.Namespace)
				if err := deleteValidation(ctx, cur); err != nil {
					return nil, err
				}
				nsstrategy.MarkTerminating(cur, metav1.Now(), options)
				return cur, nil
			}),
			dryrun.IsDryRun(options.DryRun), nil)
		if err != nil {
			err = storageerr.InterpretGetError(err, corev1.Resource("namespaces"), name)
			err = storageerr.InterpretUpdateError(err, corev1.Resource("namespaces"), name)
			if _, ok := err.(*apierrors.StatusError); !ok {
				err = apierrors.NewInternalError(err)
			}
			return nil, false, err
		}
		return out, false, nil
	}

	// Already terminating: while spec.finalizers remain (the namespace
	// controller removes them upstream; nothing does here, as in envtest) a
	// delete answers 200 with the namespace as it is, and changes nothing.
	if len(ns.Spec.Finalizers) != 0 {
		return ns, false, nil
	}
	return r.store.Delete(ctx, name, deleteValidation, options)
}

// FinalizeREST is the storage of namespaces/finalize (PUT only upstream).
type FinalizeREST struct{ store *genericregistry.Store }

func (r *FinalizeREST) New() runtime.Object { return &corev1.Namespace{} }
func (r *FinalizeREST) Destroy()            {}
func (r *FinalizeREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}
func (r *FinalizeREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.store.GetResetFields()
}

var columns = []metav1.TableColumnDefinition{
	table.NameColumn,
	{Name: "Status", Type: "string", Description: "The status of the namespace"},
	table.AgeColumn,
}

var row = table.Rows(func(ns *corev1.Namespace) []interface{} {
	return []interface{}{ns.Name, string(ns.Status.Phase), table.Age(ns.CreationTimestamp)}
})
