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

package apiserver

import (
	"fmt"
	"reflect"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// registerCrossKindConversionErrors makes a body of the wrong kind fail the
// way it fails on kube-apiserver. Sent to a resource of another kind (a Node
// POSTed to pods, a ClusterRole to roles), the body decodes into its own v1
// type and the codec then converts it to the resource's internal type, for
// which no conversion exists: kube-apiserver answers 400
//
//	Node in version "v1" cannot be handled as a Pod: converting (v1.Node) to (core.Pod): unknown conversion
//
// naming its internal type (k8s.io/kubernetes/pkg/apis/core.Pod,
// pkg/apis/rbac.Role, ...) as k8s.io/apimachinery's Converter.Convert
// prints Go types. Ephemera's internal versions are the v1 types themselves
// (see servedTypes), so the converter would print "(v1.Pod)". Registering,
// for each internal kind a body can create or update and each other
// external kind, a conversion that fails with upstream's text keeps the
// message exact; it is done once per process, with the scheme.
func registerCrossKindConversionErrors(scheme *runtime.Scheme) error {
	sources := map[reflect.Type]bool{}
	for group := range internalPackages {
		for _, t := range scheme.KnownTypes(schema.GroupVersion{Group: group, Version: "v1"}) {
			sources[t] = true
		}
	}
	for gvk, dst := range scheme.AllKnownTypes() {
		pkg, ok := internalPackages[gvk.Group]
		if gvk.Version != runtime.APIVersionInternal || !ok {
			continue
		}
		if _, isObject := reflect.New(dst).Interface().(metav1.Object); !isObject {
			continue // lists and options are never decoded from a body
		}
		for src := range sources {
			if src == dst {
				continue
			}
			msg := fmt.Sprintf("converting (%s) to (%s.%s): unknown conversion", src, pkg, dst.Name())
			err := scheme.AddConversionFunc(reflect.New(src).Interface(), reflect.New(dst).Interface(), func(_, _ interface{}, _ conversion.Scope) error {
				return fmt.Errorf("%s", msg)
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// internalPackages names, per API group, the Go package of kube-apiserver's
// internal types (k8s.io/kubernetes/pkg/apis/<name>).
var internalPackages = map[string]string{
	corev1.GroupName:                  "core",
	admissionregistrationv1.GroupName: "admissionregistration",
	rbacv1.GroupName:                  "rbac",
	authorizationv1.GroupName:         "authorization",
	authenticationv1.GroupName:        "authentication",
}
