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

// Package controlplane holds the controllers kube-apiserver runs itself, as
// clients of its own API through the loopback connection
// (pkg/controlplane/controller in the Kubernetes repository): each
// subpackage is one of them. They are part of every Ephemera server, as they
// are part of envtest's kube-apiserver; the controllers of
// kube-controller-manager, which only a cluster runs, are in package
// controllers.
package controlplane
