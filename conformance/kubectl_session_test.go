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

package conformance

import "testing"

func TestNormalizeKubectlOutputAges(t *testing.T) {
	for in, want := range map[string]string{
		"node-1   Ready   control-plane   5m17s   v1.37.2": "<node> Ready control-plane <age> v1.37.2",
		"kubernetes   443/TCP   45s":                       "kubernetes 443/TCP <age>",
		"x   3h5m":                                         "x <age>",
		"x   2d3h":                                         "x <age>",
		"x   3y45d":                                        "x <age>",
		"x   120ms":                                        "x <age>",
		"busybox:1.36":                                     "busybox:1.36",
	} {
		if got := NormalizeKubectlOutput(in, []string{"node-1"}); got != want {
			t.Errorf("NormalizeKubectlOutput(%q) = %q, want %q", in, got, want)
		}
	}
}
