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

// Package pod is the REST storage of pods and of the subresources Ephemera
// serves for them: pods/status, pods/ephemeralcontainers, pods/binding,
// pods/log, pods/attach and pods/exec. It mirrors
// k8s.io/kubernetes/pkg/registry/core/pod/storage (NewStorage): one
// genericregistry.Store, copied once per subresource with that subresource's
// update strategy. The rules themselves live in package strategy/pod.
package pod

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/ephemera-dev/ephemera/registry"
	podstrategy "github.com/ephemera-dev/ephemera/strategy/pod"
	"github.com/ephemera-dev/ephemera/strategy/validation"
)

// Storage is the REST storage of pods and their subresources, keyed as they
// are installed: "pods", "pods/status", "pods/ephemeralcontainers".
type Storage struct {
	Pod                 *REST
	Status              *registry.StatusREST
	EphemeralContainers *EphemeralContainersREST
}

// Map returns the storage keyed by resource path, as APIGroupInfo wants it.
func (s Storage) Map() map[string]rest.Storage {
	return map[string]rest.Storage{
		"pods":                     s.Pod,
		"pods/status":              s.Status,
		"pods/ephemeralcontainers": s.EphemeralContainers,
	}
}

// NewStorage returns the pod storage on the given options.
func NewStorage(optsGetter generic.RESTOptionsGetter, typer runtime.ObjectTyper, opts validation.Options) (Storage, error) {
	podStrategy := podstrategy.NewStrategy(typer, opts)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &corev1.Pod{} },
		NewListFunc:               func() runtime.Object { return &corev1.PodList{} },
		PredicateFunc:             podstrategy.Match,
		DefaultQualifiedResource:  corev1.Resource("pods"),
		SingularQualifiedResource: corev1.Resource("pod"),

		CreateStrategy:      podStrategy,
		UpdateStrategy:      podStrategy,
		DeleteStrategy:      podStrategy,
		ResetFieldsStrategy: podStrategy,
		// kube-apiserver answers a pod DELETE with the pod, not a Status.
		ReturnDeletedObject: true,

		TableConvertor: newTableConvertor(),
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{
		RESTOptions: optsGetter,
		AttrFunc:    podstrategy.GetAttrs,
	}); err != nil {
		return Storage{}, err
	}

	statusStrategy := podstrategy.NewStatusStrategy(typer, opts)
	statusStore := *store
	statusStore.UpdateStrategy = statusStrategy
	statusStore.ResetFieldsStrategy = statusStrategy

	// Upstream replaces only the update strategy; the copy keeps the pod
	// store's ResetFieldsStrategy, which is never consulted for this
	// subresource because EphemeralContainersREST does not expose reset
	// fields (see EphemeralContainersREST).
	ecStore := *store
	ecStore.UpdateStrategy = podstrategy.NewEphemeralContainersStrategy(typer, opts)

	return Storage{
		Pod:                 &REST{Store: store},
		Status:              &registry.StatusREST{Store: &statusStore},
		EphemeralContainers: &EphemeralContainersREST{store: &ecStore},
	}, nil
}

// REST is the storage of pods.
type REST struct {
	*genericregistry.Store
}

var (
	_ rest.ShortNamesProvider = &REST{}
	_ rest.CategoriesProvider = &REST{}
)

// ShortNames implements rest.ShortNamesProvider: `kubectl get po`.
func (r *REST) ShortNames() []string { return []string{"po"} }

// Categories implements rest.CategoriesProvider: `kubectl get all`.
func (r *REST) Categories() []string { return []string{"all"} }

// EphemeralContainersREST is the storage of pods/ephemeralcontainers, mirroring
// registry/core/pod/storage.EphemeralContainersREST. It is deliberately a
// plain Getter+Updater: no TableConvertor (a Table-only Accept gets 406) and
// no reset fields, exactly as upstream: the API installer asks the REST object,
// not its strategy, for reset fields (k8s.io/apiserver/pkg/endpoints/
// installer.go), so server-side apply to this subresource records ownership
// of every field sent, including those the strategy drops.
type EphemeralContainersREST struct {
	store *genericregistry.Store
}

var _ rest.Patcher = &EphemeralContainersREST{}

// New implements rest.Storage; the subresource's kind is Pod.
func (r *EphemeralContainersREST) New() runtime.Object { return &corev1.Pod{} }

// Destroy implements rest.Storage; the shared store is destroyed with REST.
func (r *EphemeralContainersREST) Destroy() {}

// Get returns the whole pod, as upstream does.
func (r *EphemeralContainersREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}

// Update adds ephemeral containers to a pod. Like upstream it always passes
// forceAllowCreate=false ("subresources should never allow create on
// update"), so server-side apply to a missing pod is a 404.
func (r *EphemeralContainersREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}
