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

// Package registrytest gives the registry packages' tests what a REST
// storage needs without a server: storage options on a fresh in-memory
// backend and request contexts, in the role of
// k8s.io/kubernetes/pkg/registry/registrytest upstream.
package registrytest

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/ephemera-dev/ephemera/registry"
	"github.com/ephemera-dev/ephemera/storage/memory"
)

// Typer knows the core/v1 kinds the strategies ask about.
var Typer runtime.ObjectTyper = scheme.Scheme

// NewOptions returns storage options on a new in-memory backend, closed when
// the test ends. Objects are stored as JSON of their group's v1, as the
// server stores them (core/v1, rbac.authorization.k8s.io/v1).
func NewOptions(t testing.TB) *registry.RESTOptionsGetter {
	t.Helper()
	b := memory.NewBackend()
	t.Cleanup(b.Close)
	return registry.NewMemoryOptions(scheme.Codecs.LegacyCodec(corev1.SchemeGroupVersion, rbacv1.SchemeGroupVersion), b.Decorator())
}

// Context returns the context a handler gives the storage for a request in
// namespace ns ("" for a cluster-scoped resource).
func Context(ns string) context.Context {
	return genericapirequest.WithNamespace(genericapirequest.NewContext(), ns)
}
