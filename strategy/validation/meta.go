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

package validation

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var standardFinalizers = sets.New(string(corev1.FinalizerKubernetes), metav1.FinalizerOrphanDependents, metav1.FinalizerDeleteDependents)

// validateKubeFinalizerName mirrors validateKubeFinalizerName.
func validateKubeFinalizerName(s string, fldPath *field.Path) field.ErrorList {
	if len(strings.Split(s, "/")) == 1 && !standardFinalizers.Has(s) {
		return field.ErrorList{field.Invalid(fldPath, s, "name is neither a standard finalizer name nor is it fully qualified")}
	}
	return nil
}

// validateObjectMeta mirrors core validation.ValidateObjectMeta: the
// apimachinery checks plus the Kubernetes finalizer-name rule.
func validateObjectMeta(meta *metav1.ObjectMeta, requiresNamespace bool, nameFn apimachineryvalidation.ValidateNameFunc, fldPath *field.Path) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(meta, requiresNamespace, nameFn, fldPath)
	for i := range meta.Finalizers {
		allErrs = append(allErrs, validateKubeFinalizerName(meta.Finalizers[i], fldPath.Child("finalizers").Index(i))...)
	}
	return allErrs
}

// validateObjectMetaUpdate mirrors core validation.ValidateObjectMetaUpdate.
func validateObjectMetaUpdate(newMeta, oldMeta *metav1.ObjectMeta, fldPath *field.Path) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(newMeta, oldMeta, fldPath)
	for i := range newMeta.Finalizers {
		allErrs = append(allErrs, validateKubeFinalizerName(newMeta.Finalizers[i], fldPath.Child("finalizers").Index(i))...)
	}
	return allErrs
}

// ValidateNamespace mirrors validation.ValidateNamespace: namespace names
// are DNS-1123 labels; spec.finalizers must be valid finalizer names.
func ValidateNamespace(ns *corev1.Namespace) field.ErrorList {
	allErrs := validateObjectMeta(&ns.ObjectMeta, false, apimachineryvalidation.ValidateNamespaceName, field.NewPath("metadata"))
	for i := range ns.Spec.Finalizers {
		p := field.NewPath("spec", "finalizers")
		allErrs = append(allErrs, apimachineryvalidation.ValidateFinalizerName(string(ns.Spec.Finalizers[i]), p)...)
		allErrs = append(allErrs, validateKubeFinalizerName(string(ns.Spec.Finalizers[i]), p)...)
	}
	return allErrs
}

// ValidateNamespaceUpdate mirrors validation.ValidateNamespaceUpdate.
func ValidateNamespaceUpdate(newNs, oldNs *corev1.Namespace) field.ErrorList {
	return validateObjectMetaUpdate(&newNs.ObjectMeta, &oldNs.ObjectMeta, field.NewPath("metadata"))
}

// ValidateServiceAccount mirrors validation.ValidateServiceAccount
// (names are DNS subdomains).
func ValidateServiceAccount(sa *corev1.ServiceAccount) field.ErrorList {
	return validateObjectMeta(&sa.ObjectMeta, true, apimachineryvalidation.ValidateServiceAccountName, field.NewPath("metadata"))
}

// ValidateServiceAccountUpdate mirrors validation.ValidateServiceAccountUpdate.
func ValidateServiceAccountUpdate(newSA, oldSA *corev1.ServiceAccount) field.ErrorList {
	allErrs := validateObjectMetaUpdate(&newSA.ObjectMeta, &oldSA.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, ValidateServiceAccount(newSA)...)
}

// ValidateEvent mirrors validation.ValidateEventCreate for requests in the
// core v1 group: only the lenient legacy rules apply (events.go,
// legacyValidateEvent), no ObjectMeta validation.
func ValidateEvent(ev *corev1.Event) field.ErrorList {
	return legacyValidateEvent(ev)
}

// ValidateEventUpdate mirrors validation.ValidateEventUpdate for core v1.
func ValidateEventUpdate(newEv, oldEv *corev1.Event) field.ErrorList {
	return legacyValidateEvent(newEv)
}

func legacyValidateEvent(event *corev1.Event) field.ErrorList {
	allErrs := field.ErrorList{}
	const reportingField = "reportingComponent" // the v1 name of reportingController
	if event.EventTime.IsZero() {
		if len(event.InvolvedObject.Namespace) == 0 {
			if event.Namespace != metav1.NamespaceNone && event.Namespace != metav1.NamespaceDefault {
				allErrs = append(allErrs, field.Invalid(field.NewPath("involvedObject", "namespace"), event.InvolvedObject.Namespace, "does not match event.namespace"))
			}
		} else if event.Namespace != event.InvolvedObject.Namespace {
			allErrs = append(allErrs, field.Invalid(field.NewPath("involvedObject", "namespace"), event.InvolvedObject.Namespace, "does not match event.namespace"))
		}
		return allErrs
	}
	if len(event.InvolvedObject.Namespace) == 0 && event.Namespace != metav1.NamespaceDefault && event.Namespace != metav1.NamespaceSystem {
		allErrs = append(allErrs, field.Invalid(field.NewPath("involvedObject", "namespace"), event.InvolvedObject.Namespace, "does not match event.namespace"))
	}
	if len(event.ReportingController) == 0 {
		allErrs = append(allErrs, field.Required(field.NewPath(reportingField), ""))
	}
	allErrs = append(allErrs, validateQualifiedName(event.ReportingController, field.NewPath(reportingField))...)
	if len(event.ReportingInstance) == 0 {
		allErrs = append(allErrs, field.Required(field.NewPath("reportingInstance"), ""))
	}
	if len(event.ReportingInstance) > 128 {
		allErrs = append(allErrs, field.Invalid(field.NewPath("reportingInstance"), "", fmt.Sprintf("can have at most %v characters", 128)))
	}
	if len(event.Action) == 0 {
		allErrs = append(allErrs, field.Required(field.NewPath("action"), ""))
	}
	if len(event.Action) > 128 {
		allErrs = append(allErrs, field.Invalid(field.NewPath("action"), "", fmt.Sprintf("can have at most %v characters", 128)))
	}
	if len(event.Reason) == 0 {
		allErrs = append(allErrs, field.Required(field.NewPath("reason"), ""))
	}
	if len(event.Reason) > 128 {
		allErrs = append(allErrs, field.Invalid(field.NewPath("reason"), "", fmt.Sprintf("can have at most %v characters", 128)))
	}
	if len(event.Message) > 1024 {
		allErrs = append(allErrs, field.Invalid(field.NewPath("message"), "", fmt.Sprintf("can have at most %v characters", 1024)))
	}
	return allErrs
}
