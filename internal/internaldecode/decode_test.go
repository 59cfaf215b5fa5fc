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

package internaldecode_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/internal/internaldecode"
)

// The expected texts are kube-apiserver v1.37.2's, from patches that drop
// apiVersion (see the conformance scenario "surface/PATCH removing
// apiVersion decodes into the internal layout").

func decoder(t *testing.T, strict bool) runtime.Decoder {
	ns := internaldecode.NegotiatedSerializer(apiserver.Codecs, apiserver.Scheme)
	info, ok := runtime.SerializerInfoForMediaType(ns.SupportedMediaTypes(), runtime.ContentTypeJSON)
	if !ok {
		t.Fatal("no JSON serializer")
	}
	d := info.Serializer
	if strict {
		d = info.StrictSerializer
	}
	return ns.DecoderToVersion(d, schema.GroupVersion{Version: runtime.APIVersionInternal})
}

const podJSON = `{"kind":"Pod","metadata":{"name":"p1"},"spec":{"containers":[{"name":"app","image":"busybox"}]},"status":{}}`

func TestVersionlessObjectDecodesIntoTheInternalLayout(t *testing.T) {
	pod := &corev1.Pod{}
	_, _, err := runtime.WithoutVersionDecoder{Decoder: decoder(t, true)}.Decode([]byte(podJSON), nil, pod)
	strict, ok := runtime.AsStrictDecodingError(err)
	if !ok {
		t.Fatalf("want a strict decoding error, got %v", err)
	}
	if got, want := strict.Error(), `strict decoding error: unknown field "metadata", unknown field "spec", unknown field "status"`; got != want {
		t.Errorf("strict error\n got %s\nwant %s", got, want)
	}
	if pod.Name != "" || len(pod.Spec.Containers) != 0 || pod.Spec.Volumes != nil {
		t.Errorf("decoded %+v", pod)
	}

	pod = &corev1.Pod{}
	data := `{"name":"p1","labels":{"a":"b"},"Spec":{"Containers":[{"Name":"app","Image":"x","bogus":1}],"SecurityContext":{"RunAsUser":7}}}`
	_, _, err = decoder(t, true).Decode([]byte(data), nil, pod)
	if strict, ok := runtime.AsStrictDecodingError(err); !ok || strict.Error() != `strict decoding error: unknown field "Spec.Containers[0].bogus"` {
		t.Errorf("strict error %v", err)
	}
	if pod.Name != "p1" || pod.Labels["a"] != "b" || len(pod.Spec.Containers) != 1 || pod.Spec.Containers[0].Image != "x" ||
		*pod.Spec.SecurityContext.RunAsUser != 7 {
		t.Errorf("decoded %+v", pod)
	}
	// Not defaulted, as upstream's internal object is not.
	if pod.Spec.RestartPolicy != "" || pod.Spec.Containers[0].TerminationMessagePolicy != "" {
		t.Errorf("defaulted: %+v", pod.Spec)
	}
}

func TestVersionlessObjectOfAnotherKind(t *testing.T) {
	for data, want := range map[string]string{
		`{"kind":"Node","metadata":{}}`:       `converting (core.Node) to (core.Pod): unknown conversion`,
		`{"kind":"WatchEvent"}`:               `converting (v1.InternalEvent) to (core.Pod): unknown conversion`,
		`{"kind":"Status","status":{}}`:       `json: cannot unmarshal object into Go struct field Status.status of type string`,
		`{"kind":"existing","metadata":null}`: `no kind "existing" is registered for the internal version of group "" in scheme "pkg/runtime/scheme.go:111"`,
	} {
		_, _, err := decoder(t, false).Decode([]byte(data), nil, &corev1.Pod{})
		if err == nil || err.Error() != want {
			t.Errorf("%s:\n got %v\nwant %s", data, err, want)
		}
	}
}

func TestVersionedOrDefaultedObjectsDecodeAsBefore(t *testing.T) {
	pod := &corev1.Pod{}
	if _, _, err := decoder(t, true).Decode([]byte(`{"apiVersion":"v1",`+podJSON[1:]), nil, pod); err != nil {
		t.Fatal(err)
	}
	if pod.Name != "p1" || pod.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		t.Errorf("a v1 object was not decoded and defaulted as v1: %+v", pod)
	}
	// A PUT body without apiVersion gets v1 from the request's kind.
	pod = &corev1.Pod{}
	v1Pod := corev1.SchemeGroupVersion.WithKind("Pod")
	if _, _, err := decoder(t, true).Decode([]byte(podJSON), &v1Pod, pod); err != nil || pod.Name != "p1" {
		t.Fatalf("%v %+v", err, pod)
	}
}
