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

// Package serviceaccount holds the rules of core/v1 service accounts: their
// create/update strategy (pkg/registry/core/serviceaccount/strategy.go) and
// field selection.
package serviceaccount

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/storage/names"

	"github.com/ephemera-dev/ephemera/strategy/validation"
)

// EnforceMountableSecretsAnnotation mirrors the ServiceAccount admission
// plugin constant (plugin/pkg/admission/serviceaccount).
const EnforceMountableSecretsAnnotation = "kubernetes.io/enforce-mountable-secrets"

// serviceAccountStrategy mirrors k8s.io/kubernetes/pkg/registry/core/serviceaccount/strategy.go.
type serviceAccountStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	// DeclarativePass: upstream embeds rest.DeclarativeValidation.
	validation.DeclarativePass
}

// NewStrategy returns the create/update strategy for service accounts.
func NewStrategy(typer runtime.ObjectTyper) serviceAccountStrategy {
	return serviceAccountStrategy{typer, names.SimpleNameGenerator, validation.DeclarativePass{}}
}

// NamespaceScoped is true for service accounts.
func (serviceAccountStrategy) NamespaceScoped() bool { return true }

// PrepareForCreate keeps only the name of each secret reference.
func (serviceAccountStrategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	cleanSecretReferences(obj.(*corev1.ServiceAccount))
}

// PrepareForUpdate keeps only the name of each secret reference.
func (serviceAccountStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	cleanSecretReferences(obj.(*corev1.ServiceAccount))
}

func cleanSecretReferences(sa *corev1.ServiceAccount) {
	for i, s := range sa.Secrets {
		sa.Secrets[i] = corev1.ObjectReference{Name: s.Name}
	}
}

// Validate mirrors the upstream strategy.
func (serviceAccountStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateServiceAccount(obj.(*corev1.ServiceAccount))
}

// WarningsOnCreate warns about the deprecated enforce-mountable-secrets annotation.
func (serviceAccountStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string {
	return warnEnforceMountableSecrets(obj.(*corev1.ServiceAccount), nil)
}

// Canonicalize is a no-op.
func (serviceAccountStrategy) Canonicalize(obj runtime.Object) {}

// AllowCreateOnUpdate is false.
func (serviceAccountStrategy) AllowCreateOnUpdate(ctx context.Context) bool { return false }

// ValidateUpdate mirrors the upstream strategy.
func (serviceAccountStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateServiceAccountUpdate(obj.(*corev1.ServiceAccount), old.(*corev1.ServiceAccount))
}

// WarningsOnUpdate warns when the annotation is newly added.
func (serviceAccountStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return warnEnforceMountableSecrets(obj.(*corev1.ServiceAccount), old.(*corev1.ServiceAccount))
}

// AllowUnconditionalUpdate is true.
func (serviceAccountStrategy) AllowUnconditionalUpdate(ctx context.Context) bool { return true }

func warnEnforceMountableSecrets(sa, oldSA *corev1.ServiceAccount) []string {
	if oldSA != nil {
		if _, ok := oldSA.Annotations[EnforceMountableSecretsAnnotation]; ok {
			return nil
		}
	}
	if _, ok := sa.Annotations[EnforceMountableSecretsAnnotation]; ok {
		return []string{fmt.Sprintf("metadata.annotations[%s]: deprecated in v1.32+; prefer separate namespaces to isolate access to mounted secrets", EnforceMountableSecretsAnnotation)}
	}
	return nil
}
