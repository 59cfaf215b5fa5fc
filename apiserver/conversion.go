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

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
)

// registerCrossKindConversionErrors makes a body of the wrong core/v1 kind
// fail the way it fails on kube-apiserver. Sent to a resource of another
// kind (a Node POSTed to pods), the body decodes into its own v1 type and
// the codec then converts it to the resource's internal type, for which no
// conversion exists: kube-apiserver answers 400
//
//	Node in version "v1" cannot be handled as a Pod: converting (v1.Node) to (core.Pod): unknown conversion
//
// naming its internal type, k8s.io/kubernetes/pkg/apis/core.Pod, as
// k8s.io/apimachinery's Converter.Convert prints Go types. Ephemera's
// internal version is v1 itself (see servedTypes), so the converter would
// print "(v1.Pod)". Registering, for each served kind a body can create or
// update and each other v1 kind, a conversion that fails with upstream's text keeps the message
// exact; it is done once per process, with the scheme.
func registerCrossKindConversionErrors(scheme *runtime.Scheme) error {
	sources := scheme.KnownTypes(corev1.SchemeGroupVersion)
	for _, served := range servedTypes {
		if _, isObject := served.(metav1.Object); !isObject {
			continue // lists and options are never decoded from a body
		}
		dst := reflect.TypeOf(served)
		for _, src := range sources {
			if src == dst.Elem() {
				continue
			}
			msg := fmt.Sprintf("converting (%s) to (core.%s): unknown conversion", src, dst.Elem().Name())
			err := scheme.AddConversionFunc(reflect.New(src).Interface(), served, func(_, _ interface{}, _ conversion.Scope) error {
				return fmt.Errorf("%s", msg)
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}
