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
