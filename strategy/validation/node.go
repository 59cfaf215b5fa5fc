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
