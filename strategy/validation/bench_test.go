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
	"testing"
)

// BenchmarkValidatePodEphemeralContainersUpdate measures the common
// kubectl-debug request: one valid EC added to a pod.
func BenchmarkValidatePodEphemeralContainersUpdate(b *testing.B) {
	old := defaultedPod(debugEC("existing"))
	n := defaultedPod(debugEC("existing"), debugEC("debugger"))
	opts := Options{AllowPrivileged: true}
	b.ReportAllocs()
	for b.Loop() {
		if errs := ValidatePodEphemeralContainersUpdate(n, old, opts); len(errs) != 0 {
			b.Fatal(errs)
		}
	}
}

// BenchmarkMayNotBeChanged measures the error path that renders the
// internal-struct diff (v1 -> mirror conversion plus diff.Diff).
func BenchmarkMayNotBeChanged(b *testing.B) {
	old := defaultedPod(debugEC("existing"))
	n := old.DeepCopy()
	n.Spec.EphemeralContainers[0].Image = "other"
	opts := Options{AllowPrivileged: true}
	b.ReportAllocs()
	for b.Loop() {
		if errs := ValidatePodEphemeralContainersUpdate(n, old, opts); len(errs) != 1 {
			b.Fatal(errs)
		}
	}
}
