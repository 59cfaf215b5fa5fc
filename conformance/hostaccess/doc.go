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

// Package hostaccess holds the test that proves Ephemera's simulated
// containers never reach the host: the conformance suite's kubelet tier,
// every busybox golden case and a set of hostile scripts run under a
// seccomp filter whose process-creating, path-naming, signalling and
// address-naming system calls a supervisor inspects and refuses (see
// hostaccess_linux_amd64_test.go for why seccomp).
package hostaccess
