package validation

import (
	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateNode mirrors the metadata part of validation.ValidateNode
// (k8s.io/kubernetes/pkg/apis/core/validation/validation.go): node names are
// DNS-1123 subdomains (ValidateNodeName) and the object is cluster-scoped.
// The spec/status rules (podCIDRs, taints, resources, addresses, config
// source) are not reproduced: Ephemera's nodes exist for the kubelet
// simulation, not as a subject of conformance.
func ValidateNode(node *corev1.Node) field.ErrorList {
	return validateObjectMeta(&node.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
}

// ValidateNodeUpdate mirrors the metadata part of validation.ValidateNodeUpdate.
func ValidateNodeUpdate(newNode, oldNode *corev1.Node) field.ErrorList {
	return validateObjectMetaUpdate(&newNode.ObjectMeta, &oldNode.ObjectMeta, field.NewPath("metadata"))
}
