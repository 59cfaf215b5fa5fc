// Package difftest documents the differential tests in its subdirectories.
// Each one generates random objects with sigs.k8s.io/randfill, runs them
// through upstream k8s.io/kubernetes v1.37.2 validation (after upstream
// defaulting and DropDisabledPodFields, i.e. what the server validates) and
// through Ephemera's strategy/validation, and counts mismatches of the
// rendered error lists. "orderOnly" counts lists that differ only in order;
// upstream ranges over Go maps (resource lists, labels, scheduling gates)
// there, so its order is random per call.
//
//	ec/        ValidatePodEphemeralContainersUpdate, random ephemeral containers
//	create/    ValidatePodCreate, random pod specs (uncovered areas cleared)
//	update/    ValidatePodUpdate, random single-field changes
//	specdiff/  only the "pod updates may not change fields" diff, on fully random specs
//	status/    ValidatePodStatusUpdate, random and targeted status changes
//
// Run from hack/internaltypes: go run ./difftest/ec [N] (N cases, default 20000).
package difftest
