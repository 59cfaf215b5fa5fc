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

// Package secret holds the rules of core/v1 secrets: their create/update
// strategy (pkg/registry/core/secret/strategy.go), the stringData merge the
// v1 conversion does (pkg/apis/core/v1/conversion.go,
// Convert_v1_Secret_To_core_Secret), warnings and field selection.
package secret

import (
	"context"
	"crypto/tls"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/names"

	"github.com/ephemera-dev/ephemera/internal/fieldlabel"
	"github.com/ephemera-dev/ephemera/strategy/validation"
)

type secretStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	// DeclarativePass: upstream embeds rest.DeclarativeValidation.
	validation.DeclarativePass
}

// NewStrategy returns the create/update strategy of secrets.
func NewStrategy(typer runtime.ObjectTyper) secretStrategy {
	return secretStrategy{typer, names.SimpleNameGenerator, validation.DeclarativePass{}}
}

// NamespaceScoped is true.
func (secretStrategy) NamespaceScoped() bool { return true }

// PrepareForCreate merges stringData into data.
func (secretStrategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	MergeStringData(obj.(*corev1.Secret))
}

// PrepareForUpdate merges stringData and keeps the type when none is given.
func (secretStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	s := obj.(*corev1.Secret)
	MergeStringData(s)
	if s.Type == "" {
		s.Type = old.(*corev1.Secret).Type
	}
}

// MergeStringData is what converting a v1 Secret to the internal version
// does: every stringData entry overwrites data's entry of the same key, and
// stringData is never stored.
func MergeStringData(s *corev1.Secret) {
	if len(s.StringData) > 0 {
		if s.Data == nil {
			s.Data = make(map[string][]byte, len(s.StringData))
		}
		for k, v := range s.StringData {
			s.Data[k] = []byte(v)
		}
	}
	s.StringData = nil
}

// Validate mirrors validation.ValidateSecret.
func (secretStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateSecret(obj.(*corev1.Secret))
}

// WarningsOnCreate mirrors warningsForSecret: a TLS secret whose pair does
// not load.
func (secretStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string {
	return warnings(obj.(*corev1.Secret))
}

// Canonicalize does nothing.
func (secretStrategy) Canonicalize(obj runtime.Object) {}

// AllowCreateOnUpdate is false.
func (secretStrategy) AllowCreateOnUpdate(ctx context.Context) bool { return false }

// ValidateUpdate mirrors validation.ValidateSecretUpdate.
func (secretStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateSecretUpdate(obj.(*corev1.Secret), old.(*corev1.Secret))
}

// WarningsOnUpdate mirrors warningsForSecret.
func (secretStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return warnings(obj.(*corev1.Secret))
}

// AllowUnconditionalUpdate is true.
func (secretStrategy) AllowUnconditionalUpdate(ctx context.Context) bool { return true }

func warnings(s *corev1.Secret) []string {
	if s.Type != corev1.SecretTypeTLS {
		return nil
	}
	if _, err := tls.X509KeyPair(s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey]); err != nil {
		return []string{err.Error()}
	}
	return nil
}

// ToSelectableFields mirrors secret.SelectableFields: the object-meta fields
// and type.
func ToSelectableFields(s *corev1.Secret) fields.Set {
	return generic.MergeFieldsSets(generic.ObjectMetaFieldsSet(&s.ObjectMeta, true), fields.Set{"type": string(s.Type)})
}

// GetAttrs mirrors secret.GetAttrs.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	s, ok := obj.(*corev1.Secret)
	if !ok {
		return nil, nil, fmt.Errorf("not a secret")
	}
	return labels.Set(s.Labels), ToSelectableFields(s), nil
}

// Match mirrors secret.Matcher.
func Match(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{Label: label, Field: field, GetAttrs: GetAttrs}
}

// FieldLabelConversion mirrors AddFieldLabelConversionsForSecret.
var FieldLabelConversion = fieldlabel.Conversion("type", "metadata.namespace", "metadata.name")
