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

// Package internaldecode decodes what kube-apiserver decodes into its
// internal types: a JSON object that names no group and no version.
//
// kube-apiserver's JSON serializer (k8s.io/apimachinery
// pkg/runtime/serializer/json, Serializer.Decode) fills a missing version
// from the object it decodes into. Where no default kind is passed (the
// JSON and merge patch handlers decode the patched object with
// runtime.DecodeInto, k8s.io/apiserver pkg/endpoints/handlers/patch.go) and
// the patch removed apiVersion, that object is the internal one
// (k8s.io/kubernetes/pkg/apis/core.Pod), so the JSON is unmarshalled
// straight into the internal struct. Internal types carry no JSON tags:
// TypeMeta and ObjectMeta are embedded, so "kind", "name", "labels", ... are
// top-level keys, every other field is matched by its Go name ("Spec"), and
// "metadata", "spec" and "status" are unknown fields. A merge patch
// {"apiVersion":null} on a pod therefore gets 400 "the name of the object
// (p based on URL) was undeterminable: name must be provided", with a
// warning per unknown field.
//
// Ephemera's internal version is v1 itself, which would decode the object
// as v1. NegotiatedSerializer wraps the codecs so that this one case is
// decoded into a tag-less mirror of the v1 type (the same Go field names
// and nesting as the internal type) and copied back, with upstream's strict
// decoding errors; a different kind fails as upstream's conversion or
// registration does. The mirror is exact where the internal and the v1
// struct have the same fields, which holds for everything a patch of a
// served object reaches except fields that exist in one version only. One
// known gap: a JSON type error in such an object (a top-level "labels"
// that is a string) names the mirror's anonymous struct where upstream
// names core.Pod and the embedded ObjectMeta.
package internaldecode

import (
	"bytes"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	serializerjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	kjson "sigs.k8s.io/json"
)

// coreInternalKinds are the kinds k8s.io/kubernetes/pkg/apis/core registers
// in its internal version (pkg/apis/core/register.go, addKnownTypes). A
// version-less object of one of these kinds sent to a resource of another
// decodes into core.<Kind> and then fails conversion.
var coreInternalKinds = map[string]bool{}

func init() {
	for _, k := range []string{"Pod", "PodList", "PodTemplate", "PodTemplateList", "ReplicationControllerList",
		"ReplicationController", "ServiceList", "Service", "ServiceProxyOptions", "NodeList", "Node",
		"NodeProxyOptions", "Endpoints", "EndpointsList", "Binding", "Event", "EventList", "List", "LimitRange",
		"LimitRangeList", "ResourceQuota", "ResourceQuotaList", "Namespace", "NamespaceList", "ServiceAccount",
		"ServiceAccountList", "Secret", "SecretList", "PersistentVolume", "PersistentVolumeList",
		"PersistentVolumeClaim", "PersistentVolumeClaimList", "PodAttachOptions", "PodLogOptions",
		"PodExecOptions", "PodPortForwardOptions", "PodProxyOptions", "ComponentStatus", "ComponentStatusList",
		"SerializedReference", "RangeAllocation", "ConfigMap", "ConfigMapList"} {
		coreInternalKinds[k] = true
	}
}

// NegotiatedSerializer wraps ns (built on scheme, whose internal version of
// the core group holds the v1 types) so that its JSON decoders decode a
// version-less core object as kube-apiserver does. Everything else passes
// through unchanged.
func NegotiatedSerializer(ns runtime.NegotiatedSerializer, scheme *runtime.Scheme) runtime.NegotiatedSerializer {
	w := &negotiated{NegotiatedSerializer: ns, scheme: scheme}
	if info, ok := runtime.SerializerInfoForMediaType(ns.SupportedMediaTypes(), runtime.ContentTypeJSON); ok {
		w.json, w.strictJSON = info.Serializer, info.StrictSerializer
	}
	return w
}

type negotiated struct {
	runtime.NegotiatedSerializer
	scheme           *runtime.Scheme
	json, strictJSON runtime.Decoder
}

func (n *negotiated) DecoderToVersion(d runtime.Decoder, gv runtime.GroupVersioner) runtime.Decoder {
	inner := n.NegotiatedSerializer.DecoderToVersion(d, gv)
	switch {
	case d == nil:
		return inner
	case d == n.strictJSON:
		return &decoder{Decoder: inner, scheme: n.scheme, strict: true}
	case d == n.json:
		return &decoder{Decoder: inner, scheme: n.scheme}
	}
	return inner
}

type decoder struct {
	runtime.Decoder
	scheme *runtime.Scheme
	strict bool
}

func (d *decoder) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	intoKind, ok := d.coreInternalKind(into)
	if !ok || !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return d.Decoder.Decode(data, defaults, into)
	}
	actual, err := serializerjson.DefaultMetaFactory.Interpret(data)
	if err != nil {
		return d.Decoder.Decode(data, defaults, into)
	}
	if defaults != nil {
		*actual = withDefaults(*actual, *defaults)
	}
	if actual.Group != "" || actual.Version != "" {
		return d.Decoder.Decode(data, defaults, into)
	}
	if actual.Kind == "" {
		actual.Kind = intoKind
	}
	actual.Version = runtime.APIVersionInternal
	if actual.Kind != intoKind {
		return nil, actual, d.otherKind(data, actual.Kind, intoKind)
	}
	return d.decodeInternal(data, into, actual)
}

// coreInternalKind is the kind into is registered as in the internal
// version of the core group, if it is one.
func (d *decoder) coreInternalKind(into runtime.Object) (string, bool) {
	if into == nil {
		return "", false
	}
	gvks, _, err := d.scheme.ObjectKinds(into)
	if err != nil {
		return "", false
	}
	for _, gvk := range gvks {
		if gvk.Group == "" && gvk.Version == runtime.APIVersionInternal && coreInternalKinds[gvk.Kind] {
			return gvk.Kind, true
		}
	}
	return "", false
}

// otherKind is upstream's answer to a version-less object of another kind:
// the object decodes into that kind's internal type (a JSON type error
// ends it there), whose conversion to the target's internal type does not
// exist; or the kind is not registered for the internal version.
func (d *decoder) otherKind(data []byte, kind, intoKind string) error {
	var target reflect.Type
	var name string
	if coreInternalKinds[kind] {
		v1, err := d.scheme.New(schema.GroupVersionKind{Version: "v1", Kind: kind})
		if err != nil {
			return fmt.Errorf("converting (core.%s) to (core.%s): unknown conversion", kind, intoKind)
		}
		target, name = mirror(reflect.TypeOf(v1).Elem()), "core."+kind
	} else {
		obj, err := d.scheme.New(schema.GroupVersionKind{Version: runtime.APIVersionInternal, Kind: kind})
		if err != nil {
			return err // not registered for the internal version of group ""
		}
		target, name = reflect.TypeOf(obj).Elem(), reflect.TypeOf(obj).Elem().String()
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, reflect.New(target).Interface()); err != nil {
		return err
	}
	return fmt.Errorf("converting (%s) to (core.%s): unknown conversion", name, intoKind)
}

// decodeInternal unmarshals data as kube-apiserver does into its internal
// struct, through a tag-less mirror of into's type, and copies the result
// into into. Like upstream it does not default.
func (d *decoder) decodeInternal(data []byte, into runtime.Object, gvk *schema.GroupVersionKind) (runtime.Object, *schema.GroupVersionKind, error) {
	target := reflect.ValueOf(into).Elem()
	m := reflect.New(mirror(target.Type()))
	var strictErrs []error
	var err error
	if d.strict {
		strictErrs, err = kjson.UnmarshalStrict(data, m.Interface())
	} else {
		err = kjson.UnmarshalCaseSensitivePreserveInts(data, m.Interface())
	}
	if err != nil {
		return nil, gvk, err
	}
	target.Set(reflect.Zero(target.Type()))
	copyBack(target, m.Elem())
	if len(strictErrs) > 0 {
		return into, gvk, runtime.NewStrictDecodingError(strictErrs)
	}
	return into, gvk, nil
}

// withDefaults mirrors gvkWithDefaults in k8s.io/apimachinery
// pkg/runtime/serializer/json/json.go: a missing kind, or a missing version
// of the same group, comes from the default.
func withDefaults(actual, defaults schema.GroupVersionKind) schema.GroupVersionKind {
	if actual.Kind == "" {
		actual.Kind = defaults.Kind
	}
	if actual.Version == "" && actual.Group == "" {
		actual.Group, actual.Version = defaults.Group, defaults.Version
	}
	if actual.Version == "" && actual.Group == defaults.Group {
		actual.Version = defaults.Version
	}
	return actual
}
