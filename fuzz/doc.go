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

// Package fuzz holds Ephemera's differential fuzz targets, the
// structure-aware builders of their inputs and the two-server harness they
// run on.
//
// The oracle is the real server: every fuzzed request goes to an in-process
// Ephemera and to kube-apiserver v1.37.2 (envtest, from the binaries
// hack/reference-binaries.sh builds), and the two answers (status code,
// reason, message, causes, warnings, returned object) and the pod each
// stores afterwards must be the same after the normalization the
// conformance suite's differential mode applies (package
// conformance/observe). On top of that every execution checks what holds
// whatever the server says: both servers answer, Ephemera does not panic, a
// refused or dry-run request changes nothing, and an accepted one is stored
// as it was answered.
//
// Inputs are (mode, body, edits): mode picks the patch type and the query
// options, body is sent as is unless edits are given, and edits are a
// program of structure-aware mutations (field names and strategic-merge-
// patch metadata from the k8s.io/api/core/v1 Go types, the directives
// $patch, $retainKeys, $setElementOrder/<list> and
// $deleteFromPrimitiveList/<list>, enum values and boundary numbers), so
// that most inputs are a small change of a valid request and reach
// validation and the update strategy.
//
// Besides pods, create targets send fuzzed objects of other kinds (Kind:
// RBACKinds, AdmissionKinds), each shaped by its own v1 schema.
//
// The targets are in the test files; they need the reference binaries
// (internal/referencetest gates them: skipped without, failed in make test):
//
//	make fuzz FUZZTIME=10m       # every target in turn
//	go test ./fuzz/ -run '^$' -fuzz '^FuzzPodPatch$' -fuzztime 60s
//	go test ./fuzz/ # replay seeds and testdata/fuzz/<target>/ (make test)
package fuzz
