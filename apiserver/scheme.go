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
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/ephemera-dev/ephemera/strategy/admissionregistration"
	"github.com/ephemera-dev/ephemera/strategy/defaults"
	"github.com/ephemera-dev/ephemera/strategy/event"
	"github.com/ephemera-dev/ephemera/strategy/namespace"
	"github.com/ephemera-dev/ephemera/strategy/node"
	"github.com/ephemera-dev/ephemera/strategy/pod"
)

// servedTypes are the core/v1 kinds Ephemera stores. They are registered a
// second time as the internal version: kube-apiserver converts v1 objects into
// k8s.io/kubernetes/pkg/apis/core types, which Ephemera must not import, so
// here the internal version *is* v1 and conversion only sets the kind.
var servedTypes = []runtime.Object{
	&corev1.Pod{}, &corev1.PodList{},
	&corev1.Namespace{}, &corev1.NamespaceList{},
	&corev1.ServiceAccount{}, &corev1.ServiceAccountList{},
	&corev1.Event{}, &corev1.EventList{},
	&corev1.Node{}, &corev1.NodeList{},
	&corev1.Binding{},
	&corev1.PodLogOptions{}, &corev1.PodAttachOptions{}, &corev1.PodExecOptions{},
	&corev1.PodProxyOptions{},
}

// storageCodec encodes objects as kube-apiserver stores them: every group
// in its storage version (storageVersions) in protobuf, kube-apiserver's default storage media type
// (k8s.io/apiserver/pkg/server/options/etcd.go, DefaultStorageMediaType
// "application/vnd.kubernetes.protobuf"). The encoding shows in answers:
// every object a write returns, and every read, is decoded from the stored
// bytes, and protobuf does not tell an empty list or map from none, so a
// ClusterRole created with "rules":[] comes back with "rules":null. It
// decodes any stored form (protobuf, JSON, YAML) into the internal version.
var storageCodec = func() runtime.Codec {
	info, ok := runtime.SerializerInfoForMediaType(Codecs.SupportedMediaTypes(), runtime.ContentTypeProtobuf)
	if !ok {
		panic("no protobuf serializer in the codec factory")
	}
	return Codecs.CodecForVersions(info.Serializer, Codecs.UniversalDecoder(),
		schema.GroupVersions(storageVersions), runtime.InternalGroupVersioner)
}()

// newScheme returns a scheme holding core/v1 (as v1 and as the internal
// version), with Ephemera's defaulting and field-label conversions.
func newScheme() (*runtime.Scheme, serializer.CodecFactory) {
	scheme := runtime.NewScheme()
	must(corev1.AddToScheme(scheme))
	addServiceGroups(scheme)
	addAccessTypes(scheme)
	internal := schema.GroupVersion{Group: "", Version: runtime.APIVersionInternal}
	scheme.AddKnownTypes(internal, servedTypes...)
	// Options and list-meta types the handlers decode into the internal version.
	scheme.AddKnownTypes(internal, &metav1.ListOptions{}, &metav1.GetOptions{},
		&metav1.DeleteOptions{}, &metav1.CreateOptions{}, &metav1.UpdateOptions{},
		&metav1.PatchOptions{})
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	scheme.AddUnversionedTypes(schema.GroupVersion{Group: "", Version: "v1"},
		&metav1.Status{}, &metav1.APIVersions{}, &metav1.APIGroupList{},
		&metav1.APIGroup{}, &metav1.APIResourceList{})
	must(defaults.RegisterDefaults(scheme))
	// Field-label conversions, as pkg/apis/core/v1/conversion.go registers
	// them; kinds without one (ServiceAccount) get the scheme's default
	// (metadata.name, metadata.namespace).
	for kind, conv := range map[string]runtime.FieldLabelConversionFunc{
		"Pod":       pod.FieldLabelConversion,
		"Namespace": namespace.FieldLabelConversion,
		"Event":     event.FieldLabelConversion,
		"Node":      node.FieldLabelConversion,
	} {
		must(scheme.AddFieldLabelConversionFunc(corev1.SchemeGroupVersion.WithKind(kind), conv))
	}
	must(scheme.SetVersionPriority(corev1.SchemeGroupVersion))
	addAdmissionRegistration(scheme)
	// Last: it covers the internal kinds of every group registered above.
	must(registerCrossKindConversionErrors(scheme))
	return scheme, serializer.NewCodecFactory(scheme)
}

// admissionRegistrationTypes are the admissionregistration.k8s.io/v1 kinds,
// registered a second time as the internal version like servedTypes.
var admissionRegistrationTypes = []runtime.Object{
	&admissionregistrationv1.ValidatingWebhookConfiguration{}, &admissionregistrationv1.ValidatingWebhookConfigurationList{},
	&admissionregistrationv1.MutatingWebhookConfiguration{}, &admissionregistrationv1.MutatingWebhookConfigurationList{},
	&admissionregistrationv1.ValidatingAdmissionPolicy{}, &admissionregistrationv1.ValidatingAdmissionPolicyList{},
	&admissionregistrationv1.ValidatingAdmissionPolicyBinding{}, &admissionregistrationv1.ValidatingAdmissionPolicyBindingList{},
	&admissionregistrationv1.MutatingAdmissionPolicy{}, &admissionregistrationv1.MutatingAdmissionPolicyList{},
	&admissionregistrationv1.MutatingAdmissionPolicyBinding{}, &admissionregistrationv1.MutatingAdmissionPolicyBindingList{},
}

// addAdmissionRegistration registers admissionregistration.k8s.io/v1 (as v1
// and as the internal version) with its defaulting and declarative
// validation.
func addAdmissionRegistration(scheme *runtime.Scheme) {
	must(admissionregistrationv1.AddToScheme(scheme))
	scheme.AddKnownTypes(schema.GroupVersion{Group: admissionregistrationv1.GroupName, Version: runtime.APIVersionInternal}, admissionRegistrationTypes...)
	must(admissionregistration.RegisterDefaults(scheme))
	admissionregistration.RegisterValidations(scheme)
	must(scheme.SetVersionPriority(admissionregistrationv1.SchemeGroupVersion))
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
