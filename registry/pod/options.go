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

package pod

import (
	"net/url"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
)

// AddConversionFuncs registers the query-parameter decoding of
// PodLogOptions, PodAttachOptions and PodExecOptions (the url.Values conversions that
// k8s.io/kubernetes/pkg/apis/core/v1/zz_generated.conversion.go generates),
// so the pods/log and pods/attach handlers can read their options. Call it
// once, before the scheme is shared.
func AddConversionFuncs(s *runtime.Scheme) error {
	if err := s.AddConversionFunc((*url.Values)(nil), (*corev1.PodLogOptions)(nil), func(a, b interface{}, _ conversion.Scope) error {
		return valuesToPodLogOptions(*a.(*url.Values), b.(*corev1.PodLogOptions))
	}); err != nil {
		return err
	}
	if err := s.AddConversionFunc((*url.Values)(nil), (*corev1.PodAttachOptions)(nil), func(a, b interface{}, _ conversion.Scope) error {
		return valuesToPodAttachOptions(*a.(*url.Values), b.(*corev1.PodAttachOptions))
	}); err != nil {
		return err
	}
	return s.AddConversionFunc((*url.Values)(nil), (*corev1.PodExecOptions)(nil), func(a, b interface{}, _ conversion.Scope) error {
		return valuesToPodExecOptions(*a.(*url.Values), b.(*corev1.PodExecOptions))
	})
}

func valuesToPodExecOptions(v url.Values, o *corev1.PodExecOptions) error {
	var attach corev1.PodAttachOptions
	if err := valuesToPodAttachOptions(v, &attach); err != nil {
		return err
	}
	o.Container, o.Stdin, o.Stdout, o.Stderr, o.TTY = attach.Container, attach.Stdin, attach.Stdout, attach.Stderr, attach.TTY
	if has(v, "command") {
		o.Command = append([]string(nil), v["command"]...) // every value, in order
	}
	return nil
}

// The generated url.Values conversions read each parameter with the
// apimachinery helpers (first value wins; a bool is false only when absent,
// "0" or "false"); field names are the JSON names.

func param(v url.Values, key string) *[]string {
	vals := v[key]
	return &vals
}

func has(v url.Values, key string) bool {
	_, ok := v[key]
	return ok
}

func valuesToPodLogOptions(v url.Values, o *corev1.PodLogOptions) error {
	if has(v, "container") {
		_ = runtime.Convert_Slice_string_To_string(param(v, "container"), &o.Container, nil)
	}
	for _, p := range []struct {
		key string
		out *bool
	}{{"follow", &o.Follow}, {"previous", &o.Previous}, {"timestamps", &o.Timestamps}, {"insecureSkipTLSVerifyBackend", &o.InsecureSkipTLSVerifyBackend}} {
		if has(v, p.key) {
			_ = runtime.Convert_Slice_string_To_bool(param(v, p.key), p.out, nil)
		}
	}
	for _, p := range []struct {
		key string
		out **int64
	}{{"sinceSeconds", &o.SinceSeconds}, {"tailLines", &o.TailLines}, {"limitBytes", &o.LimitBytes}} {
		if has(v, p.key) {
			if err := runtime.Convert_Slice_string_To_Pointer_int64(param(v, p.key), p.out, nil); err != nil {
				return err
			}
		}
	}
	if has(v, "sinceTime") {
		if err := metav1.Convert_Slice_string_To_Pointer_v1_Time(param(v, "sinceTime"), &o.SinceTime, nil); err != nil {
			return err
		}
	}
	if has(v, "stream") {
		st := ""
		_ = runtime.Convert_Slice_string_To_string(param(v, "stream"), &st, nil)
		o.Stream = &st
	}
	return nil
}

func valuesToPodAttachOptions(v url.Values, o *corev1.PodAttachOptions) error {
	if has(v, "container") {
		_ = runtime.Convert_Slice_string_To_string(param(v, "container"), &o.Container, nil)
	}
	for _, p := range []struct {
		key string
		out *bool
	}{{"stdin", &o.Stdin}, {"stdout", &o.Stdout}, {"stderr", &o.Stderr}, {"tty", &o.TTY}} {
		if has(v, p.key) {
			_ = runtime.Convert_Slice_string_To_bool(param(v, p.key), p.out, nil)
		}
	}
	return nil
}
